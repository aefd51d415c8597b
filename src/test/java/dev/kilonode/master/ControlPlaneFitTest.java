package dev.kilonode.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ConfigProblem;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.config.InstanceType;
import dev.kilonode.config.InstanceTypes;
import dev.kilonode.master.kubeadm.EventsEtcdManifest;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.ControlPlaneBudget;
import dev.kilonode.tuning.TuningProfile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Would the master's kubelet admit the control plane we render? Reads what a master really receives (its cloud-config
 * files: kubeadm's KubeletConfiguration, the static-pod patches, the events etcd manifest; the DaemonSets the stack
 * deploys) and applies the kubelet's rules, written here from the kubelet's and kubeadm's source, never from the tuning
 * profile's own numbers.
 */
class ControlPlaneFitTest {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final String CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
    /** One tier each: below 100 workers, 100+, 500+ (report 000's 1,000), 2,000+ (report 001's 4,100). */
    static final int[] WORKERS = {10, 200, 1_000, 3_000};

    static List<Map<String, Object>> daemonSets;

    @BeforeAll
    static void planTheAddons() {
        daemonSets = Stacks.plan("scale").resources().stream().map(PlannedResource::inputs)
                .filter(in -> "DaemonSet".equals(in.get("kind"))).toList();
        assertThat(daemonSets).isNotEmpty();
    }

    // ------------------------------------------------------------------ the kubelet's rules, from its source

    /**
     * Memory capacity: cAdvisor's MemoryCapacity = /proc/meminfo MemTotal, below EC2's nominal GiB. Karpenter's
     * vmMemoryOverheadPercent default (0.075) is the conservative model; report 000 measured 15,233,672 KiB on an
     * m3.xlarge, 3.1 % under nominal (checked in {@link #theCapacityModelIsBelowWhatReport000Measured}).
     */
    static long capacityMemoryBytes(InstanceType type) {
        return (long) Math.floor(type.memoryGiB() * (1L << 30) * 0.925);
    }

    /**
     * Allocatable, kubernetes pkg/kubelet/cm/node_container_manager_linux.go (GetNodeAllocatableReservation, used by
     * nodestatus MachineInfo for status.allocatable, v1.31-v1.33): capacity − systemReserved − kubeReserved − the hard
     * eviction reservation, where pkg/kubelet/cm/container_manager.go hardEvictionReservation counts memory.available
     * (a quantity, or a percentage of memory capacity) against memory. CPU: capacity − the two reservations.
     */
    record Allocatable(long cpuMilli, long memoryBytes, int pods, long hugepages2MiBytes) {
    }

    /**
     * With a pre-allocated 2 MB hugepage pool (vm.nr_hugepages, set on every node for the vRouter agent), the kubelet
     * also takes the pool out of allocatable memory and offers it as hugepages-2Mi (node_container_manager_linux.go
     * getNodeAllocatableAbsoluteImpl: "allocatableMemory.Sub(hugepages)"); MemTotal still counts the pool.
     */
    static Allocatable allocatable(InstanceType type, JsonNode kubelet, long hugepages2Mb) {
        Allocatable a = allocatable(type, kubelet);
        long pool = hugepages2Mb * 2 * (1L << 20);
        return new Allocatable(a.cpuMilli(), a.memoryBytes() - pool, a.pods(), pool);
    }

    static Allocatable allocatable(InstanceType type, JsonNode kubelet) {
        long capMem = capacityMemoryBytes(type);
        long cpu = type.vcpus() * 1000L - cpuMilli(kubelet.at("/kubeReserved/cpu")) - cpuMilli(kubelet.at("/systemReserved/cpu"));
        long mem = capMem - bytes(kubelet.at("/kubeReserved/memory")) - bytes(kubelet.at("/systemReserved/memory"));
        JsonNode evict = kubelet.at("/evictionHard/memory.available");
        if (!evict.isMissingNode()) {
            String v = evict.asText();
            mem -= v.endsWith("%") ? (long) (capMem * Double.parseDouble(v.substring(0, v.length() - 1)) / 100) : bytes(evict);
        } else {
            mem -= 100L << 20; // kubelet default memory.available<100Mi (pkg/kubelet/eviction/defaults_linux.go)
        }
        int pods = kubelet.has("maxPods") ? kubelet.get("maxPods").asInt() : 110;
        return new Allocatable(cpu, mem, pods, 0);
    }

    /**
     * A pod's requests as admission adds them (k8s.io/component-helpers resource.PodRequests, used by the scheduler's
     * noderesources fit that the kubelet's generalFilter runs): the larger of the sum over containers and the largest
     * init container, per resource (no sidecar init containers and no RuntimeClass overhead here).
     */
    record Request(long cpuMilli, long memoryBytes, long hugepages2MiBytes) {
        Request(long cpuMilli, long memoryBytes) {
            this(cpuMilli, memoryBytes, 0);
        }

        Request plus(Request o) {
            return new Request(cpuMilli + o.cpuMilli, memoryBytes + o.memoryBytes, hugepages2MiBytes + o.hugepages2MiBytes);
        }

        Request max(Request o) {
            return new Request(Math.max(cpuMilli, o.cpuMilli), Math.max(memoryBytes, o.memoryBytes),
                    Math.max(hugepages2MiBytes, o.hugepages2MiBytes));
        }
    }

    static Request podRequest(JsonNode podSpec) {
        Request sum = new Request(0, 0);
        for (JsonNode c : podSpec.path("containers")) {
            sum = sum.plus(containerRequest(c));
        }
        Request init = new Request(0, 0);
        for (JsonNode c : podSpec.path("initContainers")) {
            init = init.max(containerRequest(c));
        }
        return sum.max(init);
    }

    static Request containerRequest(JsonNode c) {
        return new Request(cpuMilli(c.at("/resources/requests/cpu")), bytes(c.at("/resources/requests/memory")),
                bytes(c.at("/resources/requests/hugepages-2Mi")));
    }

    /**
     * kubeadm's static pod containers before our patches: requests only, no limits (cmd/kubeadm/app/phases/controlplane
     * /manifests.go: ComponentResources("250m") for the API server, "200m" controller manager, "100m" scheduler;
     * cmd/kubeadm/app/phases/etcd/local.go: cpu 100m, memory 100Mi). kubeadm applies a "+strategic" patch as a
     * strategic merge: containers merge by name, resources.requests/limits merge key by key.
     */
    static final Map<String, Map<String, String>> KUBEADM_REQUESTS = Map.of(
            "kube-apiserver", Map.of("cpu", "250m"),
            "kube-controller-manager", Map.of("cpu", "200m"),
            "kube-scheduler", Map.of("cpu", "100m"),
            "etcd", Map.of("cpu", "100m", "memory", "100Mi"));

    static JsonNode staticPodContainer(String component, String patch) throws Exception {
        var container = YAML.createObjectNode();
        container.put("name", component);
        var requests = container.putObject("resources").putObject("requests");
        KUBEADM_REQUESTS.get(component).forEach(requests::put);
        if (patch != null) {
            for (JsonNode c : first(patch).at("/spec/containers")) {
                if (c.get("name").asText().equals(component)) {
                    Iterator<Map.Entry<String, JsonNode>> kinds = c.path("resources").fields();
                    while (kinds.hasNext()) {
                        var kind = kinds.next();
                        var target = (com.fasterxml.jackson.databind.node.ObjectNode) container.get("resources")
                                .withObject("/" + kind.getKey());
                        kind.getValue().fields().forEachRemaining(e -> target.set(e.getKey(), e.getValue()));
                    }
                }
            }
        }
        return container;
    }

    /** Does a DaemonSet's pod land on a master? nodeSelector, required node affinity and NoSchedule/NoExecute taints. */
    static boolean landsOnMaster(JsonNode pod) {
        Map<String, String> labels = Map.of(CONTROL_PLANE, "", "kubernetes.io/os", "linux");
        var selector = pod.path("nodeSelector").fields();
        while (selector.hasNext()) {
            var e = selector.next();
            if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        JsonNode terms = pod.at("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
        if (terms.isArray() && !terms.isEmpty()) {
            boolean anyTerm = false;
            for (JsonNode term : terms) {
                boolean all = true;
                for (JsonNode ex : term.path("matchExpressions")) {
                    String key = ex.get("key").asText();
                    List<String> values = new ArrayList<>();
                    ex.path("values").forEach(v -> values.add(v.asText()));
                    all &= switch (ex.get("operator").asText()) {
                        case "Exists" -> labels.containsKey(key);
                        case "DoesNotExist" -> !labels.containsKey(key);
                        case "In" -> labels.containsKey(key) && values.contains(labels.get(key));
                        case "NotIn" -> !labels.containsKey(key) || !values.contains(labels.get(key));
                        default -> throw new AssertionError("operator " + ex);
                    };
                }
                anyTerm |= all;
            }
            if (!anyTerm) {
                return false;
            }
        }
        // kubeadm taints control-plane nodes node-role.kubernetes.io/control-plane:NoSchedule.
        for (JsonNode t : pod.path("tolerations")) {
            boolean keyMatches = !t.has("key") || t.get("key").asText().equals(CONTROL_PLANE);
            boolean effectMatches = !t.has("effect") || t.get("effect").asText().equals("NoSchedule");
            if (keyMatches && effectMatches && "Exists".equals(t.path("operator").asText("Equal"))) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ the matrix

    record Outcome(String type, int workers, int masters, String eventsEtcd) {
        @Override
        public String toString() {
            return type + " x " + workers + " workers x " + masters + " masters (eventsEtcd " + eventsEtcd + ")";
        }
    }

    static Map<String, String> config(String type, int workers, int masters, String eventsEtcd) {
        Map<String, String> c = Stacks.config("scale");
        c.put("kilonode:masterInstanceType", type);
        c.put("kilonode:masterCount", String.valueOf(masters));
        c.put("kilonode:workerCount", String.valueOf(workers));
        c.put("kilonode:eventsEtcd", eventsEtcd);
        return c;
    }

    static Optional<ClusterSpec> accepted(Map<String, String> config) {
        try {
            return Optional.of(Stacks.spec("scale", config));
        } catch (ConfigValidationException e) {
            return Optional.empty();
        }
    }

    @Test
    void everySupportedMasterTypeAndTierEitherFitsTheKubeletOrIsRejectedNamingOneThatDoes() throws Exception {
        List<String> types = InstanceTypes.withInstanceStore();
        int fitted = 0;
        for (String type : types) {
            for (int workers : WORKERS) {
                for (int masters : new int[]{1, 3}) {
                    // auto: the tier decides (on from 500 workers); true/false: an operator's explicit choice.
                    for (String events : List.of("auto", "true", "false")) {
                        Outcome o = new Outcome(type, workers, masters, events);
                        Map<String, String> config = config(type, workers, masters, events);
                        Optional<ClusterSpec> spec = accepted(config);
                        if (spec.isPresent()) {
                            assertAdmitted(spec.get(), o);
                            fitted++;
                        } else {
                            assertRejectedNamingTheSmallestThatFits(config, o);
                        }
                    }
                }
            }
        }
        assertThat(fitted).as("combinations that fit").isGreaterThan(types.size() * 6);
    }

    @Test
    void theFieldReportsShapeFitsWithOneAndThreeMasters() throws Exception {
        for (int masters : new int[]{1, 3}) {
            Map<String, String> config = Stacks.config("scale");
            config.put("kilonode:masterCount", String.valueOf(masters));
            ClusterSpec spec = Stacks.spec("scale", config);
            assertThat(spec.masters().instanceType().name()).isEqualTo("m3.xlarge");
            assertThat(spec.plannedWorkerCount()).isEqualTo(1_000);
            assertThat(spec.eventsEtcdEnabled()).isTrue();
            assertAdmitted(spec, new Outcome("m3.xlarge", 1_000, masters, "auto"));
        }
    }

    @Test
    void aMasterTooSmallForTheSizeIsOneClearConfigError() {
        Map<String, String> config = config("m3.large", 1_000, 1, "auto");
        assertThatThrownBy(() -> Stacks.spec("scale", config))
                .isInstanceOfSatisfying(ConfigValidationException.class, e -> {
                    assertThat(e.problems()).hasSize(1);
                    ConfigProblem p = e.problems().get(0);
                    assertThat(p.key()).isEqualTo("kilonode:masterInstanceType");
                    assertThat(p.value()).contains("m3.large");
                    assertThat(p.allowed()).contains("1000 workers", "the smallest supported type that fits is m3.xlarge");
                });
    }

    @Test
    void theCapacityModelIsBelowWhatReport000Measured() {
        // Report 000, top on the m3.xlarge master: "KiB Mem : 15233672 total".
        long measured = 15_233_672L * 1024;
        assertThat(capacityMemoryBytes(InstanceTypes.require("m3.xlarge"))).isLessThan(measured);
    }

    @Test
    void theBudgetCountsTheContrailPodsAsTheyAreRendered() throws Exception {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        Map<String, ControlPlaneBudget.PodRequest> reserved =
                TuningProfile.forCluster(ClusterSize.of(spec)).controlPlane().masterDaemons();
        for (Map<String, Object> ds : daemonSets) {
            JsonNode d = YAML.valueToTree(ds);
            String name = d.at("/metadata/name").asText();
            JsonNode pod = d.at("/spec/template/spec");
            Request r = podRequest(pod);
            // The vRouter agent is counted whether or not it is placed on masters yet: masters need a pod network.
            if (landsOnMaster(pod) || name.equals("contrail-agent")) {
                assertThat(reserved).as("budget reserves room on every master for DaemonSet " + name).containsKey(name);
                assertThat(reserved.get(name).cpuMilli()).as(name + " CPU").isGreaterThanOrEqualTo(r.cpuMilli());
                assertThat(reserved.get(name).memoryMiB() << 20).as(name + " memory").isGreaterThanOrEqualTo(r.memoryBytes());
            }
        }
        assertThat(reserved).containsKeys("contrail-kube-manager", "contrail-agent");
    }

    // ------------------------------------------------------------------ checks

    /** Renders every master's cloud-config and admits its static pods and the DaemonSets that land on it. */
    static void assertAdmitted(ClusterSpec spec, Outcome o) throws Exception {
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        InstanceType type = spec.masters().instanceType();
        // Every master's kubelet takes the cluster's KubeletConfiguration: master 0's from init.yaml, the others
        // from the kubelet-config ConfigMap that kubeadm init uploads from the same document.
        JsonNode master0 = cloudConfig(spec, t, 0);
        JsonNode kubelet = documents(file(master0, KubeadmConfig.DIR + "/init.yaml")).stream()
                .filter(d -> "KubeletConfiguration".equals(d.path("kind").asText())).findFirst().orElseThrow();
        String env = file(master0, "/etc/kilonode/kilonode.env");
        long hugepages = env.lines().filter(l -> l.startsWith("HUGE_PAGES_2MB=")).map(l -> Long.parseLong(l.substring(15).replace("\"", "")))
                .findFirst().orElse(0L);
        Allocatable alloc = allocatable(type, kubelet, hugepages);
        for (int i = 0; i < spec.masters().count(); i++) {
            JsonNode cc = i == 0 ? master0 : cloudConfig(spec, t, i);
            Map<String, Request> pods = new LinkedHashMap<>();
            for (String component : KUBEADM_REQUESTS.keySet().stream().sorted().toList()) {
                JsonNode c = staticPodContainer(component, file(cc, KubeadmConfig.PATCH_DIR + "/" + component + "+strategic.yaml"));
                assertThat(c.at("/resources/limits/cpu").isMissingNode()).as(o + ": no CPU limit on " + component).isTrue();
                assertThat(c.at("/resources/limits/memory").isMissingNode()).as(o + ": no memory limit on " + component).isTrue();
                pods.put(component, containerRequest(c));
            }
            // The events etcd pod: the template events-etcd.sh turns into the manifest (only its --initial-cluster* differ),
            // as the reconcile gets it from SSM (.../etcd-events; "none" without an events etcd).
            String events = MasterUserData.desiredEventsEtcd(new MasterUserData.Inputs(spec, t,
                    new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", i));
            assertThat(!events.strip().equals(MasterUserData.NO_EVENTS_ETCD)).as(o + ": events etcd manifest").isEqualTo(spec.eventsEtcdEnabled());
            if (!events.strip().equals(MasterUserData.NO_EVENTS_ETCD)) {
                JsonNode podSpec = first(events).get("spec");
                assertThat(podSpec.at("/containers/0/resources/limits/cpu").isMissingNode()).isTrue();
                pods.put("etcd-events", podRequest(podSpec));
            }
            for (Map<String, Object> ds : daemonSets) {
                JsonNode d = YAML.valueToTree(ds);
                if (landsOnMaster(d.at("/spec/template/spec"))) {
                    pods.put(d.at("/metadata/name").asText(), podRequest(d.at("/spec/template/spec")));
                }
            }
            assertThat(pods).as(o + ": kube-manager must run on masters").containsKey("contrail-kube-manager");
            // The vRouter agent will run on masters too (it is their pod network): admit it as rendered even while
            // today's affinity still keeps it off them.
            daemonSets.stream().map(ds -> (JsonNode) YAML.valueToTree(ds))
                    .filter(d -> d.at("/metadata/name").asText().equals("contrail-agent"))
                    .forEach(d -> pods.putIfAbsent("contrail-agent", podRequest(d.at("/spec/template/spec"))));

            // pkg/kubelet/lifecycle/predicate.go Admit -> generalFilter -> noderesources Fits: each pod is admitted
            // against the pods already admitted; static pods are critical and cannot preempt one another, so the
            // order does not matter and every prefix must fit, i.e. the total must.
            Request used = new Request(0, 0);
            int count = 0;
            for (var e : pods.entrySet()) {
                used = used.plus(e.getValue());
                count++;
                assertThat(used.cpuMilli()).as(o + " master " + i + ": CPU requests up to " + e.getKey() + " vs allocatable")
                        .isLessThanOrEqualTo(alloc.cpuMilli());
                assertThat(used.memoryBytes()).as(o + " master " + i + ": memory requests up to " + e.getKey() + " vs allocatable")
                        .isLessThanOrEqualTo(alloc.memoryBytes());
                assertThat(count).isLessThanOrEqualTo(alloc.pods());
                assertThat(used.hugepages2MiBytes()).as(o + " master " + i + ": hugepages-2Mi").isLessThanOrEqualTo(alloc.hugepages2MiBytes());
            }
        }
    }

    /** Rejected: one problem on masterInstanceType naming the smallest supported type, which is accepted and fits. */
    static void assertRejectedNamingTheSmallestThatFits(Map<String, String> config, Outcome o) throws Exception {
        ConfigValidationException e = null;
        try {
            Stacks.spec("scale", config);
        } catch (ConfigValidationException x) {
            e = x;
        }
        assertThat(e).as(o.toString()).isNotNull();
        assertThat(e.problems()).as(o + ": " + e.problems()).hasSize(1);
        ConfigProblem p = e.problems().get(0);
        assertThat(p.key()).isEqualTo("kilonode:masterInstanceType");
        assertThat(p.value()).contains(o.type());
        var m = java.util.regex.Pattern.compile("the smallest supported type that fits is (\\S+)").matcher(p.allowed());
        assertThat(m.find()).as(o + ": " + p.allowed()).isTrue();
        String smallest = m.group(1);
        Map<String, String> fixed = new LinkedHashMap<>(config);
        fixed.put("kilonode:masterInstanceType", smallest);
        ClusterSpec ok = accepted(fixed).orElseThrow(() -> new AssertionError(o + ": suggested " + smallest + " is rejected too"));
        assertAdmitted(ok, new Outcome(smallest, o.workers(), o.masters(), o.eventsEtcd()));
        // ... and it is the smallest: no type ordered before it (vCPUs, then memory) is accepted.
        InstanceType s = InstanceTypes.require(smallest);
        Comparator<InstanceType> order = Comparator.comparingInt(InstanceType::vcpus).thenComparingDouble(InstanceType::memoryGiB);
        for (String other : InstanceTypes.withInstanceStore()) {
            if (order.compare(InstanceTypes.require(other), s) < 0) {
                Map<String, String> c = new LinkedHashMap<>(config);
                c.put("kilonode:masterInstanceType", other);
                assertThat(accepted(c)).as(o + ": " + other + " is smaller than " + smallest).isEmpty();
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    static JsonNode cloudConfig(ClusterSpec spec, TuningProfile t, int index) throws Exception {
        String text = MasterUserData.render(new MasterUserData.Inputs(spec, t,
                new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", index));
        return YAML.readTree(text);
    }

    static String file(JsonNode cloudConfig, String path) {
        for (JsonNode f : cloudConfig.get("write_files")) {
            if (f.get("path").asText().equals(path)) {
                return f.get("content").asText();
            }
        }
        return null;
    }

    static List<JsonNode> documents(String yaml) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(out::add);
        }
        return out;
    }

    static JsonNode first(String yaml) throws Exception {
        return documents(yaml).get(0);
    }

    /** Kubernetes quantities as the API parses them: "250m", "2", "512Mi", "1Gi", "100M", plain bytes. */
    static long cpuMilli(JsonNode q) {
        if (q.isMissingNode() || q.isNull()) {
            return 0;
        }
        String s = q.asText();
        return s.endsWith("m") ? Long.parseLong(s.substring(0, s.length() - 1))
                : new BigDecimal(s).multiply(BigDecimal.valueOf(1000)).longValueExact();
    }

    static long bytes(JsonNode q) {
        if (q.isMissingNode() || q.isNull()) {
            return 0;
        }
        String s = q.asText();
        String[][] units = {{"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}, {"Ti", "1099511627776"},
                {"k", "1000"}, {"M", "1000000"}, {"G", "1000000000"}, {"T", "1000000000000"}};
        for (String[] u : units) {
            if (s.endsWith(u[0])) {
                return new BigDecimal(s.substring(0, s.length() - u[0].length())).multiply(new BigDecimal(u[1])).longValueExact();
            }
        }
        return new BigDecimal(s).longValueExact();
    }
}
