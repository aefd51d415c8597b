package dev.kilonode.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.master.MasterUserData;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every image reference the scale plan renders - resource inputs (Kubernetes objects and patches included), every
 * role's user-data (its env file, kubeadm configuration and patches, static pod manifest, CredentialProviderConfig),
 * the control-plane configuration in SSM - is the stack's ECR registry by digest:
 * {@code <12 digits>.dkr.ecr.<region>.amazonaws.com/kilonode-scale/...@sha256:<64 hex>}, the shape the policy pack's
 * image rule accepts. Consumers that build tag references themselves from a repository get exactly
 * {@code <registry>/kilonode-scale} (kubeadm's imageRepository; the deployer's CONTAINER_REGISTRY) - tags in those
 * repositories are IMMUTABLE (ImageSupplyPlanTest). No upstream registry name may appear anywhere.
 */
class RenderedImageReferencesTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** Registries and repository paths an upstream reference would name. */
    static final Pattern UPSTREAM = Pattern.compile(
            "(?<![\\w.-])(registry\\.k8s\\.io|k8s\\.gcr\\.io|gcr\\.io|docker\\.io|quay\\.io|ghcr\\.io|public\\.ecr\\.aws)/"
                    + "|(?<![\\w./-])opensdn/opensdn-");

    final ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
    final String prefix = ImageCatalog.prefix(spec);
    final Pattern mirrored = Pattern.compile("\\d{12}\\.dkr\\.ecr\\." + Pattern.quote(spec.region())
            + "\\.amazonaws\\.com/" + Pattern.quote(prefix) + "/[a-z0-9._/-]+(:[\\w][\\w.-]{0,127})?@sha256:[0-9a-f]{64}");

    final Set<String> found = new TreeSet<>();
    final List<String> bad = new ArrayList<>();
    final Set<String> repositoryBases = new TreeSet<>();

    @Test
    void everyRenderedImageIsTheStacksMirrorByDigest() throws Exception {
        Stacks.Plan plan = Stacks.plan("scale");
        int userData = 0;
        for (PlannedResource r : plan.resources()) {
            String where = r.type() + " " + r.name();
            walk(where, null, r.inputs());
            Object ud = r.type().equals("aws:ec2/instance:Instance") ? r.inputs().get("userDataBase64")
                    : r.type().equals("aws:ec2/launchTemplate:LaunchTemplate") ? r.inputs().get("userData") : null;
            if (ud instanceof String s) {
                cloudConfig(where + " user-data", UserData.decode(s));
                userData++;
            }
            if (r.type().equals("aws:ssm/parameter:Parameter") && r.inputs().get("value") instanceof String v) {
                text(where + " value", v);
            }
        }
        assertThat(userData).as("user-data of masters, controllers and every worker group").isGreaterThanOrEqualTo(3);
        assertThat(bad).isEmpty();

        String registry = FixtureRegistry.of(spec);
        // Every image a node runs is there by digest, except the controllers' (the deployer builds
        // <CONTAINER_REGISTRY>/<name>:<tag> itself, from the immutable repositories).
        Set<String> nodeImages = new TreeSet<>();
        var release = spec.tungstenFabric().release();
        for (PinnedImage image : ImageCatalog.of(spec)) {
            boolean controllerOnly = image.component().equals("network")
                    && !release.nodeImages().all().contains(image.repository().substring(prefix.length() + 1));
            if (!controllerOnly) {
                nodeImages.add(image.repository());
            }
        }
        Set<String> foundRepositories = new TreeSet<>();
        // A tag before the digest (CoreDNS as kubeadm writes it from dns.imageTag) names no other repository.
        found.forEach(ref -> foundRepositories.add(ref.substring(registry.length() + 1, ref.indexOf('@')).replaceFirst(":[^/]*$", "")));
        assertThat(foundRepositories).isEqualTo(nodeImages);
        assertThat(repositoryBases).containsExactly(registry + "/" + prefix);
    }

    /** Kubernetes objects and any nested input: every "image" value, and every *_IMAGE environment value. */
    private void walk(String where, String key, Object value) throws Exception {
        if (value instanceof Map<?, ?> m) {
            Object name = m.get("name");
            if (name instanceof String n && n.endsWith("_IMAGE") && m.get("value") instanceof String v) {
                reference(where + " env " + n, v);
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                walk(where, String.valueOf(e.getKey()), e.getValue());
            }
        } else if (value instanceof List<?> l) {
            for (Object o : l) {
                walk(where, key, o);
            }
        } else if (value instanceof String s) {
            if ("image".equals(key)) {
                reference(where + " image", s);
            } else if ("imageTag".equals(key)) {
                // kubeadm's dns.imageTag: <repository base>/coredns:<imageTag> must be pinned too.
                if (!s.matches("[\\w][\\w.-]{0,127}@sha256:[0-9a-f]{64}")) {
                    bad.add(where + " imageTag " + s + " is not <tag>@sha256:<digest>");
                }
                upstreamFree(where + " " + key, s);
            } else if ("imageRepository".equals(key) || "CONTAINER_REGISTRY".equals(key)) {
                repositoryBases.add(s);
            } else if (!"userData".equals(key) && !"userDataBase64".equals(key)) {
                upstreamFree(where + " " + key, s);
            }
        }
    }

    private void cloudConfig(String where, String text) throws Exception {
        JsonNode doc = YAML.readTree(text);
        for (JsonNode f : doc.get("write_files")) {
            text(where + " " + f.get("path").asText(), f.get("content").asText());
        }
    }

    /** A rendered file: its *_IMAGE= lines, its YAML documents (kubeadm, patches, manifests), the whole text. */
    private void text(String where, String body) throws Exception {
        upstreamFree(where, body);
        if (body.contains(MasterUserData.FILE_MARKER)) {
            for (String part : body.split(Pattern.quote(MasterUserData.FILE_MARKER))) {
                if (!part.isBlank()) {
                    text(where + " " + part.lines().findFirst().orElse(""), part.substring(part.indexOf('\n') + 1));
                }
            }
            return;
        }
        Matcher env = Pattern.compile("(?m)^([A-Z_]*_IMAGE)=(.*)$").matcher(body);
        while (env.find()) {
            reference(where + " " + env.group(1), env.group(2));
        }
        if (body.startsWith("#!") || body.startsWith("[")) {
            return; // scripts and units: only the upstream scan
        }
        try (YAMLParser parser = new YAMLFactory().createParser(body)) {
            for (JsonNode d : YAML.readValues(parser, JsonNode.class).readAll()) {
                walk(where, null, YAML.convertValue(d, Object.class));
            }
        } catch (com.fasterxml.jackson.core.JacksonException notYaml) {
            // env files and the like: covered by the line and upstream scans
        }
    }

    private void reference(String where, String ref) {
        if (mirrored.matcher(ref).matches()) {
            found.add(ref);
        } else {
            bad.add(where + ": " + ref);
        }
    }

    private void upstreamFree(String where, String text) {
        Matcher m = UPSTREAM.matcher(text);
        if (m.find()) {
            int from = Math.max(0, m.start() - 40);
            bad.add(where + ": upstream reference near \"" + text.substring(from, Math.min(text.length(), m.end() + 40)) + "\"");
        }
    }

    /** The fixture lock's registry for this spec (what Stacks.plan gives the program). */
    static final class FixtureRegistry {
        static String of(ClusterSpec spec) {
            return dev.kilonode.testing.FixtureLocks.registry(spec.region());
        }
    }
}
