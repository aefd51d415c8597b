package dev.kilonode.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What kubeadm does with our configuration's images, modelled from its source (kubernetes
 * cmd/kubeadm/app/images/images.go, stored version at commit 008b3652): every image is
 * {@code <imageRepository>/<name>:<tag>} (GetGenericImage), CoreDNS {@code <imageRepository>/coredns:<CoreDNSVersion>}
 * when the repository is not the default, pause {@code <imageRepository>/pause:<PauseVersion>}. Those tag references
 * must exist in the stack's repositories (same repository and tag the sync pushed); the static pods' patches
 * (targets and container names kube-apiserver, kube-controller-manager, kube-scheduler, etcd: cmd/kubeadm/app/util/
 * patches/patches.go known targets; container names are the component constants in controlplane/manifests.go and
 * etcd/local.go) then replace the tag with the lock's digest, merging containers by name as a strategic merge does.
 */
class KubeadmImagesTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @ParameterizedTest
    @ValueSource(strings = {"1.29.12", "1.31.4", "1.33.10"})
    void kubeadmsReferencesAreInTheMirrorAndThePatchesPinTheirDigests(String version) throws Exception {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:kubernetesVersion", version);
        ClusterSpec spec = Stacks.mirroredSpec("scale", config);
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        JsonNode cluster = null;
        for (JsonNode d : YAML.readValues(YAML.getFactory().createParser(
                KubeadmConfig.init(spec, t, new KubeadmConfig.Endpoints("api.internal"))), JsonNode.class).readAll()) {
            if (d.get("kind").asText().equals("ClusterConfiguration")) {
                cluster = d;
            }
        }
        String repo = cluster.get("imageRepository").asText();
        assertThat(repo).isEqualTo(spec.images().registry() + "/" + ImageCatalog.prefix(spec));
        int minor = spec.kubernetesMinorNumber();
        String tag = "v" + version;
        Map<String, String> kubeadmRefs = new LinkedHashMap<>();
        for (String name : ImageCatalog.KUBEADM_COMPONENTS) {
            kubeadmRefs.put(ImageCatalog.kubernetes(spec, name), repo + "/" + name + ":" + tag);
        }
        kubeadmRefs.put(ImageCatalog.etcd(minor), repo + "/etcd:" + after(ImageCatalog.etcd(minor)));
        // CoreDNS: GetDNSImage = <dns.imageRepository or imageRepository>/coredns:<dns.imageTag or CoreDNSVersion>.
        String corednsTag = cluster.at("/dns/imageTag").asText();
        assertThat(corednsTag).as("dns.imageTag pins CoreDNS from kubeadm init on")
                .isEqualTo(after(ImageCatalog.coredns(spec)) + "@" + digestOf(spec.images().of(ImageCatalog.coredns(spec))));
        assertThat(cluster.at("/dns/imageRepository").isMissingNode()).isTrue();
        String kubeadmCoredns = repo + "/coredns:" + corednsTag;
        assertThat(kubeadmCoredns).isEqualTo(spec.images().taggedWithDigest(ImageCatalog.coredns(spec)));
        assertThat(parseDockerRef(kubeadmCoredns)).as("what containerd pulls").isEqualTo(spec.images().of(ImageCatalog.coredns(spec)));
        assertThat(spec.images().tagged(ImageCatalog.coredns(spec))).isEqualTo(repo + "/coredns:" + after(ImageCatalog.coredns(spec)));
        kubeadmRefs.put(ImageCatalog.pause(spec), repo + "/pause:" + after(ImageCatalog.pause(spec)));
        kubeadmRefs.forEach((source, kubeadmRef) -> assertThat(spec.images().tagged(source)).as(source).isEqualTo(kubeadmRef));

        Map<String, String> patches = KubeadmConfig.controlPlanePatches(t, KubeadmConfig.staticPodImages(spec));
        for (String component : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")) {
            String source = component.equals("etcd") ? ImageCatalog.etcd(minor) : ImageCatalog.kubernetes(spec, component);
            JsonNode patch = YAML.readTree(patches.get(component + "+strategic.yaml"));
            // kubeadm's static pod, as kubeadm writes it, then the patch merged in by container name.
            Map<String, Object> pod = Map.of("spec", Map.of("containers", List.of(Map.of("name", component,
                    "image", kubeadmRefs.get(source), "command", List.of(component)))));
            JsonNode merged = YAML.valueToTree(mergeContainers(pod, YAML.convertValue(patch, Map.class)));
            JsonNode c = merged.at("/spec/containers/0");
            assertThat(merged.at("/spec/containers").size()).isEqualTo(1);
            assertThat(c.get("image").asText()).isEqualTo(spec.images().of(source)).contains("@sha256:");
            assertThat(c.get("command").get(0).asText()).isEqualTo(component);
        }
    }

    @org.junit.jupiter.api.Test
    void theCorednsPatchSetsTheImageKubeadmWroteSoAddingItRestartsNothing() {
        ClusterSpec spec = Stacks.mirroredSpec("scale", Stacks.config("scale"));
        Stacks.Plan plan = Stacks.plan("scale");
        var patch = plan.resources().stream()
                .filter(r -> r.type().equals("kubernetes:apps/v1:DeploymentPatch") && r.name().equals("coredns"))
                .findFirst().orElseThrow();
        JsonNode inputs = YAML.valueToTree(patch.inputs());
        JsonNode container = inputs.at("/spec/template/spec/containers/0");
        assertThat(container.get("name").asText()).isEqualTo("coredns");
        String repo = spec.images().repositoryBase().orElseThrow();
        JsonNode cluster = null;
        for (JsonNode d : readAll(KubeadmConfig.init(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                new KubeadmConfig.Endpoints("api.internal")))) {
            if (d.get("kind").asText().equals("ClusterConfiguration")) {
                cluster = d;
            }
        }
        assertThat(container.get("image").asText()).isEqualTo(repo + "/coredns:" + cluster.at("/dns/imageTag").asText());
    }

    @org.junit.jupiter.api.Test
    void withoutAMirrorKubeadmKeepsItsOwnCorednsTag() {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        assertThat(spec.images().isMirrored()).isFalse();
        for (JsonNode d : readAll(KubeadmConfig.init(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                new KubeadmConfig.Endpoints("api.internal")))) {
            assertThat(d.has("dns")).isFalse();
        }
    }

    private static List<JsonNode> readAll(String yaml) {
        try {
            return YAML.readValues(YAML.getFactory().createParser(yaml), JsonNode.class).readAll();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String digestOf(String ref) {
        return ref.substring(ref.indexOf('@') + 1);
    }

    /**
     * containerd's reading of a reference (distribution/reference normalize.go ParseDockerRef, used by containerd's
     * CRI image service): a reference with both a tag and a digest keeps only the digest.
     */
    static String parseDockerRef(String ref) {
        int at = ref.indexOf('@');
        if (at < 0) {
            return ref;
        }
        String name = ref.substring(0, at);
        int slash = name.lastIndexOf('/');
        int colon = name.lastIndexOf(':');
        if (colon > slash) {
            name = name.substring(0, colon);
        }
        return name + ref.substring(at);
    }

    private static String after(String ref) {
        return ref.substring(ref.lastIndexOf(':') + 1);
    }

    /** Strategic merge of spec.containers (patchMergeKey name) with scalar fields replaced: the part the patch uses. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> mergeContainers(Map<String, Object> pod, Map<String, Object> patch) {
        List<Map<String, Object>> base = (List<Map<String, Object>>) ((Map<String, Object>) pod.get("spec")).get("containers");
        List<Map<String, Object>> over = (List<Map<String, Object>>) ((Map<String, Object>) patch.get("spec")).get("containers");
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (Map<String, Object> c : base) {
            Map<String, Object> m = new LinkedHashMap<>(c);
            over.stream().filter(o -> o.get("name").equals(c.get("name"))).forEach(m::putAll);
            out.add(m);
        }
        over.stream().filter(o -> base.stream().noneMatch(c -> c.get("name").equals(o.get("name")))).forEach(out::add);
        return Map.of("spec", Map.of("containers", out));
    }
}
