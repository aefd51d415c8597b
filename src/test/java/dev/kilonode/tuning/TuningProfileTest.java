package dev.kilonode.tuning;

import dev.kilonode.config.InstanceType;
import dev.kilonode.config.InstanceTypes;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.ToLongFunction;

import static org.assertj.core.api.Assertions.assertThat;

class TuningProfileTest {

    /** Large enough for every tier (a 4,000-worker control plane does not fit an m3.xlarge; ControlPlaneFitTest). */
    private static final InstanceType MASTER = InstanceTypes.require("m3.2xlarge");
    private static final InstanceType WORKER = InstanceTypes.require("m3.medium");

    static TuningProfile at(int workers) {
        return TuningProfile.forCluster(new ClusterSize(workers, 30, 1, MASTER, List.of(WORKER), workers >= 500));
    }

    @Test
    void smallClusterKeepsKubernetesDefaults() {
        TuningProfile t = at(10);
        assertThat(t.apiServer().maxRequestsInflight()).isEqualTo(400);
        assertThat(t.apiServer().maxMutatingRequestsInflight()).isEqualTo(200);
        assertThat(t.controllerManager().kubeApiQps()).isEqualTo(20);
        assertThat(t.etcd().quotaBackendBytes()).isEqualTo(2L << 30);
    }

    @Test
    void thousandNodesGetTheFieldReportsSettings() {
        TuningProfile t = at(1_000);
        // Report 002: 400 was not enough at ~1,000 nodes, 2000 worked.
        assertThat(t.apiServer().maxRequestsInflight()).isGreaterThanOrEqualTo(2_000);
        assertThat(t.apiServer().maxMutatingRequestsInflight()).isGreaterThanOrEqualTo(1_000);
        // Report 001: 8 GiB etcd quota.
        assertThat(t.etcd().quotaBackendBytes()).isEqualTo(8L << 30);
        assertThat(t.controllerManager().concurrentDeploymentSyncs()).isGreaterThan(5);
        assertThat(t.apiLoadBalancerIdleTimeoutSeconds()).isGreaterThanOrEqualTo(600);
    }

    @Test
    void fourThousandNodesGoFurther() {
        TuningProfile t = at(4_000);
        assertThat(t.apiServer().maxRequestsInflight()).isEqualTo(3_000);
        assertThat(t.controllerManager().kubeApiQps()).isEqualTo(200);
        assertThat(t.scheduler().kubeApiQps()).isEqualTo(400);
        assertThat(t.etcd().quotaBackendBytes()).isEqualTo(8L << 30);
    }

    @Test
    void profileIsMonotonicInSize() {
        List<ToLongFunction<TuningProfile>> fields = List.of(
                t -> t.apiServer().maxRequestsInflight(), t -> t.apiServer().maxMutatingRequestsInflight(),
                t -> t.controllerManager().kubeApiQps(), t -> t.controllerManager().kubeApiBurst(),
                t -> t.controllerManager().concurrentDeploymentSyncs(), t -> t.controllerManager().concurrentReplicasetSyncs(),
                t -> t.controllerManager().concurrentEndpointSyncs(), t -> t.controllerManager().concurrentServiceEndpointSyncs(),
                t -> t.controllerManager().concurrentGcSyncs(), t -> t.controllerManager().concurrentNamespaceSyncs(),
                t -> t.scheduler().kubeApiQps(), t -> t.scheduler().kubeApiBurst(), t -> t.etcd().quotaBackendBytes(),
                t -> t.etcd().heartbeatIntervalMs(), t -> t.etcd().electionTimeoutMs(), 
                TuningProfile::apiLoadBalancerIdleTimeoutSeconds);
        TuningProfile previous = at(0);
        for (int workers = 1; workers <= 5_000; workers += 7) {
            TuningProfile next = at(workers);
            for (var f : fields) {
                assertThat(f.applyAsLong(next)).as("at %d workers", workers).isGreaterThanOrEqualTo(f.applyAsLong(previous));
            }
            previous = next;
        }
        // More expected pods never lowers a limit either.
        assertThat(TuningProfile.forCluster(new ClusterSize(50, 200, 1, MASTER, List.of(WORKER), false)).tier()).isGreaterThan(at(50).tier());
    }

    @Test
    void kubeletReservationFollowsReport003ScaledToTheNode() {
        TuningProfile.KubeletReservation medium = at(1_000).kubelet().get("m3.medium");
        assertThat(medium.kubeReservedCpu()).isEqualTo("100m");
        assertThat(medium.kubeReservedMemory()).isEqualTo("256Mi");
        assertThat(medium.systemReservedCpu()).isEqualTo("50m");
        assertThat(medium.systemReservedMemory()).isEqualTo("128Mi");
        assertThat(medium.evictionMemoryAvailable()).isEqualTo("100Mi");
        assertThat(medium.evictionNodefsAvailable()).isEqualTo("10%");
        assertThat(medium.maxPods()).isEqualTo(20);
        // Report 003's own 16-CPU, 32 GiB example comes out as its numbers.
        TuningProfile.KubeletReservation big = KubeletSizing.reservationFor(new InstanceType("x.16", 16, 32, 0, 0, false));
        assertThat(big.kubeReservedCpu()).isEqualTo("1000m");
        assertThat(big.kubeReservedMemory()).isEqualTo("2048Mi");
        assertThat(big.systemReservedCpu()).isEqualTo("500m");
        assertThat(big.systemReservedMemory()).isEqualTo("1024Mi");
        assertThat(big.evictionMemoryAvailable()).isEqualTo("500Mi");
    }
}
