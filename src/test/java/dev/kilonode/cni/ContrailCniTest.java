package dev.kilonode.cni;

import dev.kilonode.plan.PlanWriter;
import dev.kilonode.plan.PlannedResource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static dev.kilonode.cni.AddonsPlan.at;
import static org.assertj.core.api.Assertions.assertThat;

class ContrailCniTest {

    static AddonsPlan dev;
    static AddonsPlan threeControllers;

    @BeforeAll
    static void plan() {
        dev = AddonsPlan.run("dev");
        threeControllers = AddonsPlan.run("dev", Map.of("kilonode:controllerCount", "3"));
    }

    @Test
    void envConfigMapPointsEveryControllerKeyAtTheTfControllers() {
        for (AddonsPlan plan : List.of(dev, threeControllers)) {
            String controllers = String.join(",", plan.spec.controllerIps());
            Map<String, Object> data = at(plan.object("ConfigMap", "env").inputs(), "data");
            for (String key : List.of("CONTROLLER_NODES", "CONFIG_NODES", "CONFIGDB_NODES", "CONTROL_NODES",
                    "ANALYTICS_NODES", "ANALYTICSDB_NODES", "RABBITMQ_NODES", "ZOOKEEPER_NODES")) {
                assertThat(data).as(key).containsEntry(key, controllers);
            }
            assertThat(data).containsEntry("AUTH_MODE", "noauth").containsEntry("CLOUD_ORCHESTRATOR", "kubernetes")
                    .containsEntry("KUBERNETES_POD_SUBNETS", plan.spec.network().podCidr().toString())
                    .containsEntry("KUBERNETES_SERVICE_SUBNETS", plan.spec.network().serviceCidr().toString());
            // Never the masters' addresses (what resolve-manifest.sh put there in report 000).
            plan.spec.masterIps().forEach(ip -> assertThat(data.values().toString()).doesNotContain(ip));
            assertThat(data.keySet()).noneMatch(k -> k.startsWith("KEYSTONE_"));
        }
        assertThat(threeControllers.spec.controllerIps()).hasSize(3);
    }

    @Test
    void kubeManagerConfigPointsAtTheApiEndpoint() {
        Map<String, Object> data = at(dev.object("ConfigMap", "kube-manager-config").inputs(), "data");
        assertThat(data).containsEntry("KUBERNETES_API_SERVER", "kilonode-api-0123456789.elb.us-east-1.amazonaws.com")
                .containsEntry("KUBERNETES_API_SECURE_PORT", "6443")
                .containsEntry("K8S_TOKEN_FILE", "/tmp/serviceaccount/token");
        assertThat(dev.object("ConfigMap", "nodemgr-config").inputs()).containsKey("data");
    }

    @Test
    void noObjectHasNullsOrEmptyStrings() {
        for (PlannedResource r : dev.kubernetesObjects()) {
            List<String> problems = new ArrayList<>();
            walk(r.inputs(), r.type() + "/" + r.name(), problems);
            assertThat(problems).as(r.name()).isEmpty();
        }
    }

    private static void walk(Object node, String path, List<String> problems) {
        if (node == null) {
            problems.add(path + " is null");
        } else if (node instanceof Map<?, ?> m) {
            m.forEach((k, v) -> {
                // An empty string is meaningful only as a label/selector value (node-role...: "").
                boolean labelValue = String.valueOf(k).startsWith("node-role.kubernetes.io/");
                if (!(labelValue && "".equals(v))) {
                    walk(v, path + "." + k, problems);
                }
            });
        } else if (node instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                walk(l.get(i), path + "[" + i + "]", problems);
            }
        } else if (node instanceof String s && (s.isEmpty() && !path.matches(".*\\.apiGroups\\[\\d+]")
                || s.equals("null") || s.contains("{{"))) {
            // ("" is the core API group in RBAC rules.)
            problems.add(path + " = '" + s + "'");
        }
    }

    @Test
    void agentRunsOnEveryNodeMastersIncludedAndToleratesNotReadyNodes() {
        Map<String, Object> spec = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec");
        Map<String, Object> pod = at(spec, "template", "spec");
        List<Map<String, Object>> tolerations = at(pod, "tolerations");
        assertThat(tolerations).anySatisfy(t -> assertThat(t).containsEntry("key", "node.kubernetes.io/not-ready")
                .containsEntry("operator", "Exists").containsEntry("effect", "NoSchedule"));
        assertThat(tolerations).anySatisfy(t -> assertThat(t).containsEntry("key", "node.kubernetes.io/not-ready")
                .containsEntry("effect", "NoExecute"));
        // Masters: kubeadm taints them node-role.kubernetes.io/control-plane:NoSchedule; the agent tolerates it.
        assertThat(tolerations).anySatisfy(t -> assertThat(t).containsEntry("key", "node-role.kubernetes.io/control-plane")
                .containsEntry("operator", "Exists").containsEntry("effect", "NoSchedule"));
        List<Map<String, Object>> terms = at(pod, "affinity", "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms");
        assertThat(terms).hasSize(1);
        List<Map<String, Object>> expressions = at(terms.get(0), "matchExpressions");
        // Only TF controllers are excluded; nothing keeps it off masters or any worker group.
        assertThat(expressions).singleElement().satisfies(e -> assertThat(e)
                .containsEntry("key", ContrailCni.TF_CONTROLLER_LABEL).containsEntry("operator", "NotIn")
                .containsEntry("values", List.of("true")));
        assertThat(pod).doesNotContainKey("nodeSelector");
        assertThat(pod).containsEntry("hostNetwork", true).containsEntry("priorityClassName", "system-node-critical");
        assertThat(at(spec, "selector", "matchLabels", "app").toString()).isEqualTo("contrail-agent");
        assertThat(at(spec, "template", "metadata", "labels", "app").toString()).isEqualTo("contrail-agent");
    }

    @Test
    void agentRequestsTheUpstreamHugepagesThatNodesReserve() {
        Map<String, Object> pod = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "spec");
        Map<String, Object> agent = AddonsPlan.<List<Map<String, Object>>>at(pod, "containers").stream()
                .filter(c -> c.get("name").equals("opensdn-vrouter-agent")).findFirst().orElseThrow();
        assertThat(AddonsPlan.<Object>at(agent, "resources", "requests", "hugepages-2Mi")).isEqualTo("256Mi");
        assertThat(AddonsPlan.<Object>at(agent, "resources", "limits", "hugepages-2Mi")).isEqualTo("256Mi");
        Map<String, Object> env = at(dev.object("ConfigMap", "env").inputs(), "data");
        // 128 pages of 2 MiB: what the agent maps equals what it requests.
        assertThat(Integer.parseInt((String) env.get("HUGE_PAGES_2MB")) * 2).isEqualTo(256);
    }

    @Test
    void agentRollsInTenPercentBatches() {
        Map<String, Object> strategy = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "updateStrategy");
        assertThat(strategy).containsEntry("type", "RollingUpdate");
        assertThat(at(strategy, "rollingUpdate", "maxUnavailable").toString()).isEqualTo("10%");
    }

    @Test
    void agentHasTheUpstreamInitContainersContainersAndHostPaths() {
        Map<String, Object> pod = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "spec");
        List<Map<String, Object>> init = at(pod, "initContainers");
        List<Map<String, Object>> containers = at(pod, "containers");
        assertThat(init).extracting(c -> c.get("name")).containsExactly("opensdn-node-init",
                "opensdn-vrouter-kernel-init", "opensdn-kubernetes-cni-init");
        assertThat(containers).extracting(c -> c.get("name")).contains("opensdn-vrouter-agent", "opensdn-agent-nodemgr");
        assertThat(init).extracting(c -> c.get("image")).containsExactly(
                "opensdn/opensdn-node-init:R25.1-latest",
                "opensdn/opensdn-vrouter-kernel-build-init:R25.1-latest",
                "opensdn/opensdn-kubernetes-cni-init:R25.1-latest");
        List<Map<String, Object>> volumes = at(pod, "volumes");
        Set<String> declared = new java.util.HashSet<>();
        volumes.forEach(v -> declared.add((String) v.get("name")));
        // Every mount refers to a declared volume (upstream's cni-init log volume was not declared).
        Stream.concat(init.stream(), containers.stream()).forEach(c -> {
            List<Map<String, Object>> mounts = at(c, "volumeMounts");
            mounts.forEach(m -> assertThat(declared).as(c.get("name") + " mount " + m.get("name")).contains((String) m.get("name")));
        });
        Map<String, String> hostPaths = new java.util.HashMap<>();
        volumes.stream().filter(v -> v.containsKey("hostPath"))
                .forEach(v -> hostPaths.put((String) v.get("name"), at(v, "hostPath", "path")));
        assertThat(hostPaths).containsEntry("lib-modules", "/lib/modules").containsEntry("usr-src", "/usr/src")
                .containsEntry("dev", "/dev").containsEntry("etc-cni", "/etc/cni").containsEntry("opt-cni-bin", "/opt/cni/bin")
                .containsEntry("var-lib-contrail", "/var/lib/contrail");
    }

    /** Requests must fit an m3.medium worker (1 vCPU, 3.75 GiB) after the kubelet's reservations. */
    @Test
    void agentRequestsFitAnM3MediumWorker() {
        Map<String, Object> pod = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "spec");
        long cpu = 0;
        long mem = 0;
        for (Map<String, Object> c : AddonsPlan.<List<Map<String, Object>>>at(pod, "containers")) {
            cpu += milli(at(c, "resources", "requests", "cpu"));
            mem += mib(at(c, "resources", "requests", "memory"));
            // Preallocated hugepages leave the node's allocatable memory too.
            Object huge = AddonsPlan.<Map<String, Object>>at(c, "resources", "requests").get("hugepages-2Mi");
            mem += huge == null ? 0 : mib((String) huge);
        }
        // The declared figures are the ones the plan renders (AgentResources is the one place they live).
        assertThat(AgentResources.agentPod().cpuMilli()).isEqualTo(cpu);
        long initMem = 0;
        for (Map<String, Object> c : AddonsPlan.<List<Map<String, Object>>>at(pod, "initContainers")) {
            assertThat(c).containsKey("resources");
            initMem = Math.max(initMem, mib(at(c, "resources", "requests", "memory")));
        }
        var reservation = dev.tuning.kubelet().get("m3.medium");
        long allocCpu = 1000 - milli(reservation.kubeReservedCpu()) - milli(reservation.systemReservedCpu());
        long allocMem = 3840 - mib(reservation.kubeReservedMemory()) - mib(reservation.systemReservedMemory())
                - mib(reservation.evictionMemoryAvailable());
        assertThat(cpu).isGreaterThan(0).isLessThanOrEqualTo(allocCpu / 2);
        assertThat(Math.max(mem, initMem)).isGreaterThan(0).isLessThanOrEqualTo(allocMem / 4);
    }

    private static long milli(String cpu) {
        return cpu.endsWith("m") ? Long.parseLong(cpu.substring(0, cpu.length() - 1)) : Long.parseLong(cpu) * 1000;
    }

    private static long mib(String mem) {
        if (mem.endsWith("Gi")) {
            return Long.parseLong(mem.substring(0, mem.length() - 2)) * 1024;
        }
        return Long.parseLong(mem.substring(0, mem.length() - 2));
    }

    @Test
    void kubeManagerRunsOnTheMastersOnly() {
        Map<String, Object> pod = at(dev.object("DaemonSet", "contrail-kube-manager").inputs(), "spec", "template", "spec");
        assertThat(pod).containsEntry("hostNetwork", true)
                .containsEntry("nodeSelector", Map.of("node-role.kubernetes.io/control-plane", ""));
        List<Map<String, Object>> tolerations = at(pod, "tolerations");
        assertThat(tolerations).anySatisfy(t -> assertThat(t)
                .containsEntry("key", "node-role.kubernetes.io/control-plane").containsEntry("effect", "NoSchedule"));
        assertThat(tolerations).anySatisfy(t -> assertThat(t)
                .containsEntry("key", "node.kubernetes.io/not-ready").containsEntry("effect", "NoSchedule"));
        List<Map<String, Object>> containers = at(pod, "containers");
        assertThat(containers).singleElement().satisfies(c -> assertThat(c.get("image"))
                .isEqualTo("opensdn/opensdn-kubernetes-kube-manager:R25.1-latest"));
    }

    @Test
    void serviceAccountHasItsTokenSecret() {
        PlannedResource secret = dev.object("Secret", ContrailCni.TOKEN_SECRET);
        assertThat(secret.inputs()).containsEntry("type", "kubernetes.io/service-account-token");
        assertThat(AddonsPlan.<Map<String, Object>>at(secret.inputs(), "metadata", "annotations"))
                .containsEntry("kubernetes.io/service-account.name", ContrailCni.SERVICE_ACCOUNT);
        dev.object("ServiceAccount", ContrailCni.SERVICE_ACCOUNT);
        Map<String, Object> binding = dev.object("ClusterRoleBinding", "contrail-kube-manager").inputs();
        assertThat(AddonsPlan.<String>at(binding, "subjects", 0, "name")).isEqualTo(ContrailCni.SERVICE_ACCOUNT);
        assertThat(AddonsPlan.<String>at(binding, "roleRef", "name")).isEqualTo("contrail-kube-manager");
    }

    @Test
    void kubeManagerRoleHasNoWildcards() {
        List<Map<String, Object>> rules = at(dev.object("ClusterRole", "contrail-kube-manager").inputs(), "rules");
        assertThat(rules).isNotEmpty().allSatisfy(rule -> rule.values().forEach(v ->
                assertThat(v.toString()).doesNotContain("*")));
        assertThat(rules).anySatisfy(r -> assertThat(String.valueOf(r.get("resources"))).contains("pods"));
        assertThat(rules).allSatisfy(r -> assertThat(String.valueOf(r.get("verbs"))).doesNotContain("delete"));
    }

    /** No object uses an API version removed from Kubernetes (extensions/v1beta1, apps/v1beta*, rbac v1beta1...). */
    @Test
    void noRemovedApiVersions() {
        Set<String> current = Set.of("v1", "apps/v1", "rbac.authorization.k8s.io/v1");
        assertThat(dev.kubernetesObjects()).isNotEmpty().allSatisfy(r -> {
            String apiVersion = String.valueOf(r.inputs().get("apiVersion"));
            assertThat(current).as(r.type() + " " + r.name()).contains(apiVersion);
            assertThat(r.type()).contains(":" + apiVersion.replace("v1", "").replace("/", "")).doesNotContain("beta");
        });
    }

    @Test
    void imagesComeFromConfig() {
        AddonsPlan pinned = AddonsPlan.run("dev", Map.of("kilonode:tfRegistry", "registry.example.com/tf",
                "kilonode:tfTag", "R25.1-2026-06-16"));
        Map<String, Object> pod = at(pinned.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "spec");
        List<Map<String, Object>> containers = at(pod, "containers");
        assertThat(containers).allSatisfy(c -> assertThat((String) c.get("image"))
                .startsWith("registry.example.com/tf/opensdn-").endsWith(":R25.1-2026-06-16"));
        assertThat(pinned.spec.tungstenFabric().usesLatestTag()).isFalse();
        assertThat(dev.spec.tungstenFabric().usesLatestTag()).isTrue();
    }

    @Test
    void everyObjectIsInKubeSystemOrClusterScoped() {
        assertThat(dev.kubernetesObjects()).allSatisfy(r -> {
            Object ns = AddonsPlan.metadata(r).get("namespace");
            boolean clusterScoped = r.type().contains(":ClusterRole");
            assertThat(clusterScoped ? ns : ns).isEqualTo(clusterScoped ? null : "kube-system");
        });
    }

    @Test
    void planWritesEveryObjectAsAManifestDeterministicallyAndWithoutTheAdminKey(@TempDir Path tmp) throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        PlanWriter.write(a, dev.resources(), Map.of("stack", "dev"));
        PlanWriter.write(b, AddonsPlan.run("dev").resources(), Map.of("stack", "dev"));
        for (String file : List.of("configmap-env.yaml", "configmap-nodemgr-config.yaml",
                "configmap-kube-manager-config.yaml", "daemonset-contrail-agent.yaml",
                "daemonset-contrail-kube-manager.yaml", "serviceaccount-contrail-kube-manager.yaml",
                "secret-contrail-kube-manager-token.yaml", "clusterrole-contrail-kube-manager.yaml",
                "clusterrolebinding-contrail-kube-manager.yaml", "deployment-kube-dns-autoscaler.yaml",
                "configmap-kube-dns-autoscaler.yaml", "deployment-coredns.yaml")) {
            assertThat(a.resolve("manifests").resolve(file)).exists();
            assertThat(Files.readString(a.resolve("manifests").resolve(file)))
                    .isEqualTo(Files.readString(b.resolve("manifests").resolve(file)));
        }
        assertThat(Files.readString(a.resolve("resources.json"))).isEqualTo(Files.readString(b.resolve("resources.json")));
        try (Stream<Path> manifests = Files.list(a.resolve("manifests"))) {
            for (Path p : manifests.toList()) {
                assertThat(Files.readString(p)).doesNotContain("THIS-IS-THE-TEST-ADMIN-KEY").doesNotContain("client-key-data");
            }
        }
    }
}
