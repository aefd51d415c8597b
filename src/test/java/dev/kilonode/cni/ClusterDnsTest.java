package dev.kilonode.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.dns.ClusterDns;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.kilonode.cni.AddonsPlan.at;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterDnsTest {

    static AddonsPlan scale;

    @BeforeAll
    static void plan() {
        scale = AddonsPlan.run("scale");
    }

    @Test
    void autoscalerParametersAreTheFixedLinearOnes() throws Exception {
        String linear = at(scale.object("ConfigMap", ClusterDns.AUTOSCALER).inputs(), "data", "linear");
        JsonNode params = new ObjectMapper().readTree(linear);
        assertThat(params.get("min").asInt()).isEqualTo(ClusterDns.MIN_REPLICAS);
        assertThat(params.get("nodesPerReplica").asInt()).isEqualTo(ClusterDns.NODES_PER_REPLICA);
        assertThat(params.get("preventSinglePointFailure").asBoolean()).isTrue();
        assertThat(params.get("includeUnschedulableNodes").asBoolean()).isTrue();
        assertThat(params.has("coresPerReplica")).isFalse();
    }

    /**
     * Finding 10: a resize never changes the autoscaler's ConfigMap (before, its min followed the tuning tier), so
     * `pulumi up` after a worker-count change leaves it alone; the replica count follows the live nodes instead.
     */
    @Test
    void theConfigMapIsTheSameForEveryWorkerCount() {
        Map<String, Object> at1000 = scale.object("ConfigMap", ClusterDns.AUTOSCALER).inputs();
        for (String workers : List.of("0", "3", "1000", "5000")) {
            AddonsPlan p = AddonsPlan.run("scale", Map.of("kilonode:workerCount", workers,
                    "kilonode:masterInstanceType", "m3.2xlarge"));
            assertThat(p.spec.plannedWorkerCount()).isEqualTo(Integer.parseInt(workers));
            assertThat(p.object("ConfigMap", ClusterDns.AUTOSCALER).inputs()).as("%s workers", workers).isEqualTo(at1000);
        }
    }

    /**
     * Report 002: kube-dns collapsed near 900 nodes; 6 replicas held. The replica counts v1.8.9's linear controller
     * computes from these parameters (getExpectedReplicasFromParams): 16 at the scale stack's 1,003 nodes, 79 at 5,003,
     * 6 from 321 nodes, 2 for a small cluster and 2 (min) with no node.
     */
    @Test
    void replicasFollowTheLiveNodeCount() {
        int nodes = scale.spec.workerCount() + scale.spec.masters().count();
        assertThat(nodes).isGreaterThanOrEqualTo(1_000);
        assertThat(ClusterDns.expectedReplicas(nodes)).isEqualTo(16).isGreaterThan(6);
        assertThat(ClusterDns.expectedReplicas(5_003)).isEqualTo(79);
        assertThat(ClusterDns.expectedReplicas(320)).isEqualTo(5);
        assertThat(ClusterDns.expectedReplicas(321)).isEqualTo(6);
        assertThat(ClusterDns.expectedReplicas(4)).isEqualTo(2);
        assertThat(ClusterDns.expectedReplicas(1)).isEqualTo(2);
        assertThat(ClusterDns.expectedReplicas(0)).isEqualTo(2);
    }

    @Test
    void autoscalerTargetsKubeadmsCoreDnsAndCanOnlyScaleIt() {
        Map<String, Object> pod = at(scale.object("Deployment", ClusterDns.AUTOSCALER).inputs(), "spec", "template", "spec");
        List<String> command = at(pod, "containers", 0, "command");
        assertThat(command).contains("--target=deployment/coredns", "--configmap=" + ClusterDns.AUTOSCALER);
        assertThat((String) at(pod, "containers", 0, "image")).startsWith("registry.k8s.io/cpa/cluster-proportional-autoscaler:v");
        List<Map<String, Object>> rules = at(scale.object("Role", ClusterDns.AUTOSCALER).inputs(), "rules");
        assertThat(rules).anySatisfy(r -> assertThat(r).containsEntry("resources", List.of("deployments/scale"))
                .containsEntry("resourceNames", List.of("coredns")));
        List<Map<String, Object>> clusterRules = at(scale.object("ClusterRole", ClusterDns.AUTOSCALER).inputs(), "rules");
        assertThat(clusterRules).singleElement().satisfies(r -> assertThat(r).containsEntry("resources", List.of("nodes"))
                .containsEntry("verbs", List.of("list", "watch")));
    }

    @Test
    void coreDnsIsSpreadAndKeptOffTheMastersWithoutTouchingReplicas() {
        var patch = scale.resources().stream().filter(r -> r.type().equals("kubernetes:apps/v1:DeploymentPatch"))
                .findFirst().orElseThrow();
        Map<String, Object> spec = at(patch.inputs(), "spec");
        assertThat(spec).doesNotContainKey("replicas");
        List<Map<String, Object>> spread = at(spec, "template", "spec", "topologySpreadConstraints");
        assertThat(spread).extracting(c -> c.get("topologyKey"))
                .containsExactly("kubernetes.io/hostname", "topology.kubernetes.io/zone");
        assertThat(spread).allSatisfy(c -> assertThat(at(c, "labelSelector", "matchLabels").toString())
                .isEqualTo("{k8s-app=kube-dns}"));
        List<Map<String, Object>> expressions = at(spec, "template", "spec", "affinity", "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms", 0, "matchExpressions");
        assertThat(expressions).singleElement().satisfies(e -> assertThat(e)
                .containsEntry("key", "node-role.kubernetes.io/control-plane").containsEntry("operator", "DoesNotExist"));
        assertThat(AddonsPlan.metadata(patch)).containsEntry("name", "coredns").containsEntry("namespace", "kube-system");
    }

    @Test
    void noNodeLocalDnsCache() {
        assertThat(scale.kubernetesObjects()).noneMatch(r -> String.valueOf(AddonsPlan.metadata(r).get("name"))
                .contains("node-local-dns"));
    }
}
