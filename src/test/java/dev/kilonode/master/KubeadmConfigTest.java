package dev.kilonode.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.master.kubeadm.EventsEtcdManifest;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class KubeadmConfigTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final KubeadmConfig.Endpoints ENDPOINTS = new KubeadmConfig.Endpoints("api.dev.k8s.example.com");

    static List<JsonNode> docs(String yaml) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (YAMLParser p = new YAMLFactory().createParser(yaml)) {
            YAML.readValues(p, JsonNode.class).forEachRemaining(out::add);
        }
        return out;
    }

    static JsonNode kind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).findFirst().orElseThrow();
    }

    /** extraArgs as a map whatever the API version. */
    static Map<String, String> args(JsonNode extraArgs) {
        Map<String, String> m = new HashMap<>();
        if (extraArgs.isArray()) {
            extraArgs.forEach(a -> m.put(a.get("name").asText(), a.get("value").textValue()));
        } else {
            extraArgs.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().textValue()));
        }
        return m;
    }

    static String init(String stack, Map<String, String> overrides) {
        var config = Stacks.config(stack);
        config.putAll(overrides);
        ClusterSpec spec = Stacks.spec(stack, config);
        return KubeadmConfig.init(spec, TuningProfile.forCluster(ClusterSize.of(spec)), ENDPOINTS);
    }

    @Test
    void scaleInitCarriesTheProfileFlagsAsStrings() throws IOException {
        List<JsonNode> docs = docs(init("scale", Map.of()));
        JsonNode cluster = kind(docs, "ClusterConfiguration");
        assertThat(cluster.get("apiVersion").asText()).isEqualTo("kubeadm.k8s.io/v1beta4");
        Map<String, String> api = args(cluster.at("/apiServer/extraArgs"));
        assertThat(api).containsEntry("max-requests-inflight", "2000").containsEntry("max-mutating-requests-inflight", "1000")
                // kubeadm init must not wait on the events etcd: the override comes with the reconcile.
                .doesNotContainKey("etcd-servers-overrides");
        assertThat(args(cluster.at("/etcd/local/extraArgs"))).containsEntry("quota-backend-bytes", String.valueOf(8L << 30));
        assertThat(args(cluster.at("/controllerManager/extraArgs"))).containsEntry("kube-api-qps", "100")
                .containsEntry("concurrent-deployment-syncs", "25");
        // Finding 12: the scheduler's --kube-api-qps/--kube-api-burst are deprecated; QPS and burst are in its file.
        Map<String, String> scheduler = args(cluster.at("/scheduler/extraArgs"));
        assertThat(scheduler).doesNotContainKeys("kube-api-qps", "kube-api-burst")
                .containsEntry("config", KubeadmConfig.schedulerConfigurationPath(profile("scale")));
        assertThat(cluster.get("controlPlaneEndpoint").asText()).isEqualTo("api.dev.k8s.example.com:6443");
        assertThat(cluster.get("apiServer").get("certSANs").toString()).contains("\"api.dev.k8s.example.com\"");
        JsonNode kubelet = kind(docs, "KubeletConfiguration");
        assertThat(kubelet.at("/kubeReserved/cpu").asText()).isEqualTo("250m");
        assertThat(kind(docs, "InitConfiguration").at("/patches/directory").asText()).isEqualTo(KubeadmConfig.PATCH_DIR);
    }

    static TuningProfile profile(String stack) {
        return TuningProfile.forCluster(ClusterSize.of(Stacks.spec(stack, Stacks.config(stack))));
    }

    /**
     * The kubelet's own hard-eviction defaults (kubernetes pkg/kubelet/eviction/defaults_linux.go, DefaultEvictionHard,
     * 1.29-1.33). Until mergeDefaultEvictionSettings (newer than the kubelets we run), a KubeletConfiguration that sets
     * evictionHard at all gets 0 - no eviction - for every signal it leaves out (KubeletConfiguration reference,
     * evictionHard / mergeDefaultEvictionSettings).
     */
    static final Map<String, String> KUBELET_DEFAULT_EVICTION_HARD = Map.of(
            "memory.available", "100Mi", "nodefs.available", "10%", "nodefs.inodesFree", "5%",
            "imagefs.available", "15%", "imagefs.inodesFree", "5%");

    @Test
    void everyKubeletKeepsEveryDefaultEvictionSignalAndBoundsParallelPulls() throws IOException {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        List<JsonNode> kubelets = List.of(kind(docs(KubeadmConfig.init(spec, t, ENDPOINTS)), "KubeletConfiguration"),
                docs(KubeadmConfig.workerKubeletPatch(t, spec.workerGroups().get(0).instanceType())).get(0));
        for (JsonNode kubelet : kubelets) {
            JsonNode hard = kubelet.get("evictionHard");
            KUBELET_DEFAULT_EVICTION_HARD.forEach((signal, dflt) -> {
                assertThat(hard.has(signal)).as(signal + " would be switched off").isTrue();
                String v = hard.get(signal).asText();
                if (dflt.endsWith("%")) {
                    assertThat(Double.parseDouble(v.replace("%", ""))).as(signal)
                            .isGreaterThanOrEqualTo(Double.parseDouble(dflt.replace("%", "")));
                } else {
                    assertThat(Long.parseLong(v.replace("Mi", ""))).as(signal).isGreaterThanOrEqualTo(100);
                }
            });
            // serializeImagePulls false without maxParallelImagePulls pulls without bound (KubeletConfiguration
            // reference: maxParallelImagePulls "Default: nil" = unlimited; settable only when not serialized).
            assertThat(kubelet.get("serializeImagePulls").asBoolean()).isFalse();
            assertThat(kubelet.path("maxParallelImagePulls").asInt(0)).isGreaterThan(1);
        }
    }

    @Test
    void schedulerQpsAndBurstComeFromItsConfigurationFileMountedIntoThePod() throws IOException {
        for (String version : List.of("1.30.6", "1.31.4")) {
            Map<String, String> overrides = Map.of("kilonode:kubernetesVersion", version);
            var config = Stacks.config("scale");
            config.putAll(overrides);
            ClusterSpec spec = Stacks.spec("scale", config);
            TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
            JsonNode cluster = kind(docs(KubeadmConfig.init(spec, t, ENDPOINTS)), "ClusterConfiguration");
            String path = args(cluster.at("/scheduler/extraArgs")).get("config");
            // kubeadm v1beta3 and v1beta4 HostPathMount: name, hostPath, mountPath, readOnly, pathType.
            JsonNode volume = cluster.at("/scheduler/extraVolumes/0");
            assertThat(path).startsWith(volume.get("mountPath").asText() + "/");
            assertThat(volume.get("hostPath").asText()).isEqualTo(volume.get("mountPath").asText());
            assertThat(volume.get("readOnly").asBoolean()).isTrue();
            assertThat(volume.get("pathType").asText()).isIn("DirectoryOrCreate", "Directory");
            assertThat(volume.get("name").asText()).matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

            JsonNode file = docs(KubeadmConfig.schedulerConfiguration(t)).get(0);
            assertThat(file.get("apiVersion").asText()).isEqualTo("kubescheduler.config.k8s.io/v1");
            assertThat(file.get("kind").asText()).isEqualTo("KubeSchedulerConfiguration");
            assertThat(file.at("/clientConnection/qps").asInt()).isEqualTo(t.scheduler().kubeApiQps()).isGreaterThan(50);
            assertThat(file.at("/clientConnection/burst").asInt()).isEqualTo(t.scheduler().kubeApiBurst());
            // With --config the scheduler ignores --kubeconfig (cmd/kube-scheduler/app/options/options.go ApplyTo).
            assertThat(file.at("/clientConnection/kubeconfig").asText()).isEqualTo("/etc/kubernetes/scheduler.conf");
            assertThat(file.at("/leaderElection/leaderElect").asBoolean()).isTrue();
        }
        // A new QPS is a new file name, so the scheduler's manifest changes and the kubelet restarts it.
        assertThat(KubeadmConfig.schedulerConfigurationPath(profile("dev")))
                .isNotEqualTo(KubeadmConfig.schedulerConfigurationPath(profile("scale")));
    }

    @Test
    void olderKubernetesGetsV1beta3WithMapArgs() throws IOException {
        JsonNode cluster = kind(docs(init("dev", Map.of("kilonode:kubernetesVersion", "1.30.6"))), "ClusterConfiguration");
        assertThat(cluster.get("apiVersion").asText()).isEqualTo("kubeadm.k8s.io/v1beta3");
        assertThat(cluster.at("/apiServer/extraArgs").isObject()).isTrue();
        assertThat(args(cluster.at("/apiServer/extraArgs"))).containsEntry("max-requests-inflight", "400");
        assertThat(cluster.get("kubernetesVersion").asText()).isEqualTo("v1.30.6");
    }

    @Test
    void devHasNoEventsEtcdAndScaleHasOneOnEveryMaster() throws IOException {
        assertThat(init("dev", Map.of())).doesNotContain("etcd-servers-overrides");
        var config = Stacks.config("scale");
        config.put("kilonode:masterCount", "3");
        ClusterSpec spec = Stacks.spec("scale", config);
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        JsonNode pod = docs(EventsEtcdManifest.render(spec, t, 1)).get(0);
        String command = pod.at("/spec/containers/0/command").toString();
        assertThat(command).contains("--name=events-1", "--listen-peer-urls=https://10.0.32.21:2383",
                "--initial-cluster=__INITIAL_CLUSTER__", "--initial-cluster-state=__INITIAL_CLUSTER_STATE__",
                "--quota-backend-bytes=8589934592", "--data-dir=/var/lib/etcd-events");
        // Burstable: no CPU limit; the events etcd alone keeps a memory limit, twice its request.
        JsonNode res = pod.at("/spec/containers/0/resources");
        assertThat(res.at("/limits/cpu").isMissingNode()).isTrue();
        assertThat(Long.parseLong(res.at("/limits/memory").asText().replace("Mi", "")))
                .isEqualTo(2 * Long.parseLong(res.at("/requests/memory").asText().replace("Mi", "")));
        assertThat(args(kind(docs(KubeadmConfig.init(spec, t, ENDPOINTS)), "ClusterConfiguration").at("/apiServer/extraArgs")))
                .doesNotContainKey("etcd-servers-overrides");
        // The desired configuration the reconcile applies once the events etcd answers.
        Map<String, String> api = args(kind(docs(KubeadmConfig.controlPlane(spec, t, ENDPOINTS, 1)), "ClusterConfiguration").at("/apiServer/extraArgs"));
        assertThat(api.get("etcd-servers-overrides")).isEqualTo(
                "/events#https://10.0.0.20:2382;https://10.0.32.21:2382;https://10.0.64.22:2382");
        assertThat(api).containsEntry("goaway-chance", "0.001");
    }

    @Test
    void controlPlanePodsGetRequestsAndNoLimits() throws IOException {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        var patches = KubeadmConfig.controlPlanePatches(TuningProfile.forCluster(ClusterSize.of(spec)));
        assertThat(patches).containsOnlyKeys("kube-apiserver+strategic.yaml", "etcd+strategic.yaml",
                "kube-controller-manager+strategic.yaml", "kube-scheduler+strategic.yaml");
        for (String body : patches.values()) {
            JsonNode c = docs(body).get(0).at("/spec/containers/0");
            assertThat(c.at("/resources/requests/cpu").asText()).endsWith("m");
            assertThat(c.at("/resources/requests/memory").asText()).endsWith("Mi");
            // Finding 13: a CPU limit throttles the API server and etcd exactly when report 001 says they need it.
            assertThat(c.at("/resources/limits").isMissingNode()).as(body).isTrue();
        }
    }

    @Test
    void joiningMastersPinTheCaAndUseTheSharedPki() throws IOException {
        var config = Stacks.config("scale");
        config.put("kilonode:masterCount", "3");
        ClusterSpec spec = Stacks.spec("scale", config);
        JsonNode join = docs(KubeadmConfig.joinControlPlane(spec, ENDPOINTS, "sha256:abc", 2)).get(0);
        assertThat(join.at("/discovery/bootstrapToken/caCertHashes/0").asText()).isEqualTo("sha256:abc");
        assertThat(join.at("/discovery/bootstrapToken/token").asText()).isEqualTo(KubeadmConfig.TOKEN_PLACEHOLDER);
        assertThat(join.at("/controlPlane/localAPIEndpoint/advertiseAddress").asText()).isEqualTo("10.0.64.22");
        assertThat(join.has("unsafeSkipCAVerification")).isFalse();
        assertThat(join.at("/controlPlane/certificateKey").isMissingNode()).isTrue();
    }
}
