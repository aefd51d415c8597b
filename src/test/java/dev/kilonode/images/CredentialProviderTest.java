package dev.kilonode.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.testing.FixtureLocks;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kubelet's CredentialProviderConfig, checked by the rules of its consumer:
 * <ul>
 *   <li>fields: kubernetes staging/src/k8s.io/kubelet/config/v1/types.go (CredentialProviderConfig: providers;
 *       CredentialProvider: name, matchImages, defaultCacheDuration, apiVersion, args, env; the v1 API as GA'd in
 *       1.26, so every minor 1.29-1.33 reads it; later releases add only tokenAttributes);</li>
 *   <li>validation: pkg/credentialprovider/plugin/config.go validateCredentialProviderConfig (at least one provider;
 *       name without '/', spaces, not '.'/'..', unique; apiVersion one of the supported
 *       credentialprovider.kubelet.k8s.io versions; matchImages non-empty; defaultCacheDuration required, >= 0);</li>
 *   <li>matching: types.go's matchImages rule (same number of domain parts, each glob matches one part) must match
 *       the stack's registry and no upstream registry;</li>
 *   <li>kubelet flags {@code --image-credential-provider-config} / {@code --image-credential-provider-bin-dir}
 *       (kubernetes cmd/kubelet/app/options/options.go) given to every node through kubeadm's kubeletExtraArgs.</li>
 * </ul>
 */
class CredentialProviderTest {

    static final Set<String> CONFIG_FIELDS = Set.of("apiVersion", "kind", "providers");
    static final Set<String> PROVIDER_FIELDS = Set.of("name", "matchImages", "defaultCacheDuration", "apiVersion", "args", "env");
    static final Set<String> PLUGIN_API_VERSIONS = Set.of("credentialprovider.kubelet.k8s.io/v1",
            "credentialprovider.kubelet.k8s.io/v1beta1", "credentialprovider.kubelet.k8s.io/v1alpha1");

    @Test
    void configPassesTheKubeletsValidation() throws Exception {
        JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(CredentialProvider.config());
        assertThat(doc.get("apiVersion").asText()).isEqualTo("kubelet.config.k8s.io/v1");
        assertThat(doc.get("kind").asText()).isEqualTo("CredentialProviderConfig");
        List<String> fields = new ArrayList<>();
        doc.fieldNames().forEachRemaining(fields::add);
        assertThat(CONFIG_FIELDS).containsAll(fields);
        assertThat(doc.get("providers")).isNotEmpty();
        for (JsonNode p : doc.get("providers")) {
            List<String> pf = new ArrayList<>();
            p.fieldNames().forEachRemaining(pf::add);
            assertThat(PROVIDER_FIELDS).containsAll(pf);
            String name = p.get("name").asText();
            assertThat(name).isEqualTo(CredentialProvider.NAME).doesNotContain("/", " ").isNotIn(".", "..");
            assertThat(p.get("apiVersion").asText()).isIn(PLUGIN_API_VERSIONS);
            assertThat(p.get("matchImages")).isNotEmpty();
            // metav1.Duration parses Go durations ("12h").
            assertThat(goDuration(p.get("defaultCacheDuration").asText())).isGreaterThanOrEqualTo(Duration.ZERO);

            String registry = FixtureLocks.registry("us-east-1");
            List<String> patterns = new ArrayList<>();
            p.get("matchImages").forEach(m -> patterns.add(m.asText()));
            assertThat(patterns).anyMatch(m -> matches(m, registry + "/kilonode-scale/pause@sha256:0"));
            assertThat(patterns).noneMatch(m -> matches(m, "registry.k8s.io/pause:3.10")
                    || matches(m, "docker.io/opensdn/opensdn-vrouter-agent:R25.1-latest"));
        }
    }

    @Test
    void everyNodesKubeletGetsTheFlags() {
        var spec = Stacks.mirroredSpec("dev", Stacks.config("dev"));
        var t = dev.kilonode.tuning.TuningProfile.forCluster(dev.kilonode.tuning.ClusterSize.of(spec));
        var endpoints = new KubeadmConfig.Endpoints("api.internal");
        for (String kubeadm : List.of(KubeadmConfig.init(spec, t, endpoints),
                KubeadmConfig.joinControlPlane(spec, endpoints, "sha256:abc", 0),
                KubeadmConfig.joinWorker(spec, spec.workerGroups().get(0), endpoints, "sha256:abc"))) {
            assertThat(kubeadm).contains("image-credential-provider-config", CredentialProvider.CONFIG_PATH,
                    "image-credential-provider-bin-dir", CredentialProvider.BIN_DIR);
        }
        assertThat(CredentialProvider.DOWNLOAD_URL).endsWith("/" + CredentialProvider.VERSION
                + "/linux/amd64/ecr-credential-provider-linux-amd64");
    }

    /** types.go: same number of domain parts, each part a glob ('*' within one part); the path a prefix. */
    static boolean matches(String pattern, String image) {
        String host = image.substring(0, image.indexOf('/'));
        String patternHost = pattern.contains("/") ? pattern.substring(0, pattern.indexOf('/')) : pattern;
        String[] hp = host.split("\\.");
        String[] pp = patternHost.split("\\.");
        if (hp.length != pp.length) {
            return false;
        }
        for (int i = 0; i < hp.length; i++) {
            if (!hp[i].matches(pp[i].replace(".", "\\.").replace("*", "[^.]*"))) {
                return false;
            }
        }
        return !pattern.contains("/") || image.substring(host.length()).startsWith(pattern.substring(patternHost.length()));
    }

    static Duration goDuration(String s) {
        assertThat(s).matches("(\\d+h)?(\\d+m)?(\\d+s)?");
        long secs = 0;
        var m = java.util.regex.Pattern.compile("(\\d+)([hms])").matcher(s);
        while (m.find()) {
            secs += Long.parseLong(m.group(1)) * switch (m.group(2)) { case "h" -> 3600; case "m" -> 60; default -> 1; };
        }
        return Duration.ofSeconds(secs);
    }
}
