package dev.kilonode.tuning;

import dev.kilonode.config.InstanceType;
import dev.kilonode.config.InstanceTypes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a master can promise its control plane. The kubelet admits a pod, static or not, only if the requests of all
 * its pods fit the node's allocatable (kubernetes pkg/kubelet/lifecycle/predicate.go, generalFilter), and static
 * control-plane pods are all critical, so none can preempt another to make room. So the requests are computed here,
 * from the master type, in this order:
 * <ol>
 *   <li>capacity as the kubelet will see it ({@link MasterCapacity}: MemTotal, not EC2's nominal GiB);</li>
 *   <li>allocatable = capacity − kubeReserved − systemReserved − the hard memory eviction threshold (the same
 *       {@link KubeletSizing} reservation the master's kubelet is configured with);</li>
 *   <li>minus every pod that must run on each master ({@link Tiers#MASTER_DAEMONS}) and a headroom that stays free
 *       for a DaemonSet added later or a CoreDNS replica (it tolerates the control-plane taint);</li>
 *   <li>each static pod first gets its floor for the tier (what it needs to work at that size, {@link Tiers}); if the
 *       floors do not fit, the master type is too small and the config is rejected ({@link #check});</li>
 *   <li>the rest is shared out by weight, so a bigger master gives the API server and etcd bigger guarantees.</li>
 * </ol>
 * Requests are scheduling guarantees (CPU shares, OOM score), not caps: no CPU limits at all, so the API server can
 * burst to every idle core (report 000: 309 % of 4 vCPUs at 1,000 nodes) and etcd is never throttled. Only the events
 * etcd keeps a memory limit (see {@link Tiers#EVENTS_ETCD_MEMORY_LIMIT_FACTOR}).
 */
public record ControlPlaneBudget(
        String masterType,
        long capacityCpuMilli,
        long capacityMemoryMiB,
        long allocatableCpuMilli,
        long allocatableMemoryMiB,
        Map<String, PodRequest> masterDaemons,
        long headroomCpuMilli,
        long headroomMemoryMiB,
        Map<String, PodRequest> floors,
        Map<String, TuningProfile.Resources> staticPods) {

    public static final String API_SERVER = "kube-apiserver";
    public static final String CONTROLLER_MANAGER = "kube-controller-manager";
    public static final String SCHEDULER = "kube-scheduler";
    public static final String ETCD = "etcd";
    public static final String EVENTS_ETCD = "etcd-events";

    /** A pod's requests as the kubelet adds them up (CPU in millicores, memory in MiB). */
    public record PodRequest(long cpuMilli, long memoryMiB) {
        PodRequest plus(PodRequest o) {
            return new PodRequest(cpuMilli + o.cpuMilli, memoryMiB + o.memoryMiB);
        }
    }

    /** The outcome of fitting a size onto a master type. */
    public record Check(boolean fits, String explanation, Optional<String> smallestFittingType) {
    }

    /** The components that run as static pods on every master at this size, in render order. */
    static List<String> staticComponents(boolean eventsEtcd) {
        List<String> out = new ArrayList<>(List.of(API_SERVER, CONTROLLER_MANAGER, SCHEDULER, ETCD));
        if (eventsEtcd) {
            out.add(EVENTS_ETCD);
        }
        return out;
    }

    /** The budget, or an exception when the floors do not fit (config validation rejects that case first). */
    public static ControlPlaneBudget of(InstanceType master, int tier, boolean eventsEtcd) {
        Plan p = plan(master, tier, eventsEtcd);
        if (!p.fits()) {
            throw new IllegalArgumentException("the control plane of tier " + tier + " does not fit a " + master.name()
                    + ": " + p.shortfall());
        }
        return p.budget();
    }

    /**
     * Whether the control plane of this size fits the configured master type; if not, an explanation that names the
     * smallest supported master type that does (instance-store types, ordered by vCPUs then memory).
     */
    public static Check check(ClusterSize size) {
        int tier = Tiers.tierOf(size.workers(), size.expectedPods());
        Plan p = plan(size.masterType(), tier, size.eventsEtcd());
        if (p.fits()) {
            return new Check(true, "", Optional.empty());
        }
        Optional<String> smallest = InstanceTypes.withInstanceStore().stream().map(InstanceTypes::require)
                .sorted(Comparator.comparingInt(InstanceType::vcpus).thenComparingDouble(InstanceType::memoryGiB))
                .filter(t -> plan(t, tier, size.eventsEtcd()).fits())
                .map(InstanceType::name).findFirst();
        String why = "a master type whose allocatable holds the control plane for " + size.workers() + " workers ("
                + "tier " + tier + (size.eventsEtcd() ? ", with the events etcd" : "") + "): " + p.shortfall()
                + "; " + smallest.map(s -> "the smallest supported type that fits is " + s)
                .orElse("no supported type fits; lower workerCount or podsPerWorker");
        return new Check(false, why, smallest);
    }

    private record Plan(boolean fits, String shortfall, ControlPlaneBudget budget) {
    }

    private static Plan plan(InstanceType master, int tier, boolean eventsEtcd) {
        TuningProfile.KubeletReservation r = KubeletSizing.reservationFor(master);
        long capCpu = master.vcpus() * 1000L;
        long capMem = MasterCapacity.memoryCapacityMiB(master);
        // pkg/kubelet/cm/node_container_manager_linux.go GetNodeAllocatableReservation: kube + system reserved, plus
        // the hard eviction threshold for memory (pkg/kubelet/cm/container_manager.go hardEvictionReservation).
        long allocCpu = capCpu - milli(r.kubeReservedCpu()) - milli(r.systemReservedCpu());
        long allocMem = capMem - mib(r.kubeReservedMemory()) - mib(r.systemReservedMemory())
                - mib(r.evictionMemoryAvailable());
        PodRequest daemons = Tiers.MASTER_DAEMONS.values().stream().reduce(new PodRequest(0, 0), PodRequest::plus);
        long headCpu = allocCpu * Tiers.MASTER_HEADROOM_PERCENT / 100;
        long headMem = allocMem * Tiers.MASTER_HEADROOM_PERCENT / 100;
        long poolCpu = allocCpu - daemons.cpuMilli() - headCpu;
        long poolMem = allocMem - daemons.memoryMiB() - headMem;

        List<String> components = staticComponents(eventsEtcd);
        Map<String, PodRequest> floors = new LinkedHashMap<>();
        long floorCpu = 0;
        long floorMem = 0;
        double weights = 0;
        for (String c : components) {
            PodRequest f = new PodRequest(Tiers.FLOOR_CPU_MILLI.get(c)[tier], Tiers.FLOOR_MEMORY_MIB.get(c)[tier]);
            floors.put(c, f);
            floorCpu += f.cpuMilli();
            floorMem += f.memoryMiB();
            weights += Tiers.SURPLUS_WEIGHT.get(c);
        }
        if (floorCpu > poolCpu || floorMem > poolMem) {
            String shortfall = String.format("its static pods need at least %dm CPU / %d MiB of requests and %s has room for "
                            + "%dm / %d MiB (allocatable %dm / %d MiB, less %dm / %d MiB for the pods every master runs and "
                            + "%d%% headroom)", floorCpu, floorMem, master.name(), Math.max(0, poolCpu), Math.max(0, poolMem),
                    allocCpu, allocMem, daemons.cpuMilli(), daemons.memoryMiB(), Tiers.MASTER_HEADROOM_PERCENT);
            return new Plan(false, shortfall, null);
        }
        long spareCpu = poolCpu - floorCpu;
        long spareMem = poolMem - floorMem;
        Map<String, TuningProfile.Resources> pods = new LinkedHashMap<>();
        for (String c : components) {
            double share = Tiers.SURPLUS_WEIGHT.get(c) / weights;
            // Rounded down (10m, 16 MiB) so the sum never exceeds the pool.
            long cpu = (floors.get(c).cpuMilli() + (long) (spareCpu * share)) / 10 * 10;
            long mem = (floors.get(c).memoryMiB() + (long) (spareMem * share)) / 16 * 16;
            String memLimit = c.equals(EVENTS_ETCD) ? (mem * Tiers.EVENTS_ETCD_MEMORY_LIMIT_FACTOR) + "Mi" : null;
            pods.put(c, new TuningProfile.Resources(cpu + "m", mem + "Mi", memLimit));
        }
        return new Plan(true, "", new ControlPlaneBudget(master.name(), capCpu, capMem, allocCpu, allocMem,
                Tiers.MASTER_DAEMONS, headCpu, headMem, floors, pods));
    }

    static long milli(String cpu) {
        return cpu.endsWith("m") ? Long.parseLong(cpu.substring(0, cpu.length() - 1))
                : Math.round(Double.parseDouble(cpu) * 1000);
    }

    static long mib(String memory) {
        if (memory.endsWith("Mi")) {
            return Long.parseLong(memory.substring(0, memory.length() - 2));
        }
        if (memory.endsWith("Gi")) {
            return Long.parseLong(memory.substring(0, memory.length() - 2)) * 1024;
        }
        throw new IllegalArgumentException("memory quantity in Mi or Gi expected: " + memory);
    }
}
