package dev.kilonode.tuning;

import dev.kilonode.config.InstanceType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every control-plane and kubelet setting kilonode changes from Kubernetes' defaults, as one pure function of the
 * cluster's size ({@link #forCluster}). Values step up by tier and never go down as the cluster grows (a test checks
 * monotonicity); the sources of each number are in the comments of {@link Tiers}.
 */
public record TuningProfile(
        int tier,
        ApiServer apiServer,
        ControllerManager controllerManager,
        Scheduler scheduler,
        Etcd etcd,
        Map<String, KubeletReservation> kubelet,
        ControlPlaneBudget controlPlane,
        int apiLoadBalancerIdleTimeoutSeconds) {

    public record ApiServer(int maxRequestsInflight, int maxMutatingRequestsInflight, String goawayChance) {
    }

    public record ControllerManager(int kubeApiQps, int kubeApiBurst, int concurrentDeploymentSyncs,
                                    int concurrentReplicasetSyncs, int concurrentEndpointSyncs,
                                    int concurrentServiceEndpointSyncs, int concurrentGcSyncs,
                                    int concurrentNamespaceSyncs) {
    }

    public record Scheduler(int kubeApiQps, int kubeApiBurst) {
    }

    public record Etcd(long quotaBackendBytes, int heartbeatIntervalMs, int electionTimeoutMs) {
    }

    /**
     * Per instance type: what the kubelet keeps back from pods (report 003), when it evicts (every hard-eviction signal
     * the kubelet has a default for: before 1.33 a signal left out of evictionHard is switched off, not defaulted) and
     * how many pods it admits and pulls images for at once.
     */
    public record KubeletReservation(String kubeReservedCpu, String kubeReservedMemory, String systemReservedCpu,
                                     String systemReservedMemory, String reservedEphemeralStorage,
                                     String evictionMemoryAvailable, String evictionNodefsAvailable,
                                     String evictionNodefsInodesFree, String evictionImagefsAvailable,
                                     String evictionImagefsInodesFree, int maxPods, int maxParallelImagePulls) {
    }

    /**
     * A static control-plane pod's requests (Burstable QoS: no CPU limit; a memory limit only where
     * {@link ControlPlaneBudget} explains why, else null).
     */
    public record Resources(String cpu, String memory, String memoryLimit) {
    }

    /** Each static control-plane pod's resources by component (kube-apiserver, ..., etcd-events when on). */
    public Map<String, Resources> controlPlaneResources() {
        return controlPlane.staticPods();
    }

    public static TuningProfile forCluster(ClusterSize size) {
        int tier = Tiers.tierOf(size.workers(), size.expectedPods());
        Map<String, KubeletReservation> kubelet = new LinkedHashMap<>();
        for (InstanceType type : size.workerTypes()) {
            kubelet.put(type.name(), KubeletSizing.reservationFor(type));
        }
        kubelet.put(size.masterType().name(), KubeletSizing.reservationFor(size.masterType()));
        return new TuningProfile(
                tier,
                new ApiServer(Tiers.MAX_REQUESTS_INFLIGHT[tier], Tiers.MAX_MUTATING_REQUESTS_INFLIGHT[tier],
                        size.masterCount() > 1 ? Tiers.GOAWAY_CHANCE : null),
                new ControllerManager(Tiers.CM_KUBE_API_QPS[tier], Tiers.CM_KUBE_API_BURST[tier],
                        Tiers.CONCURRENT_DEPLOYMENT_SYNCS[tier], Tiers.CONCURRENT_REPLICASET_SYNCS[tier],
                        Tiers.CONCURRENT_ENDPOINT_SYNCS[tier], Tiers.CONCURRENT_SERVICE_ENDPOINT_SYNCS[tier],
                        Tiers.CONCURRENT_GC_SYNCS[tier], Tiers.CONCURRENT_NAMESPACE_SYNCS[tier]),
                new Scheduler(Tiers.SCHEDULER_QPS[tier], Tiers.SCHEDULER_BURST[tier]),
                new Etcd(Tiers.ETCD_QUOTA_BYTES[tier], Tiers.ETCD_HEARTBEAT_MS[tier], Tiers.ETCD_ELECTION_MS[tier]),
                kubelet,
                ControlPlaneBudget.of(size.masterType(), tier, size.eventsEtcd()),
                Tiers.API_LB_IDLE_TIMEOUT_SECONDS);
    }
}
