package dev.kilonode.tuning;

import dev.kilonode.cni.AgentResources;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Size tiers and the numbers behind them. Tier 0: fewer than 100 workers (Kubernetes' defaults); tier 1: 100+;
 * tier 2: 500+ (the 1,000-node clusters of reports 000 and 002); tier 3: 2,000+ (report 001's 4,100 nodes).
 * A cluster also moves up a tier when its expected pod count does (report 001 counted pods, not only nodes).
 */
final class Tiers {

    static final int[] MIN_WORKERS = {0, 100, 500, 2_000};
    static final long[] MIN_PODS = {0, 3_000, 15_000, 60_000};

    /**
     * kube-apiserver --max-requests-inflight (default 400) and --max-mutating-requests-inflight (default 200).
     * Report 002: "defaults to 400, but in our case it became workable at 2000" at ~1,000 nodes; report 001 raised
     * both (with API Priority and Fairness they set the server's total concurrency) for 4,100 nodes.
     */
    static final int[] MAX_REQUESTS_INFLIGHT = {400, 800, 2_000, 3_000};
    static final int[] MAX_MUTATING_REQUESTS_INFLIGHT = {200, 400, 1_000, 1_500};

    /** --goaway-chance: rebalances long-lived HTTP/2 clients across API servers behind a load balancer
     * (kube-apiserver reference: "the recommended value is 0.001"); only set with more than one master. */
    static final String GOAWAY_CHANCE = "0.001";

    /**
     * kube-controller-manager --kube-api-qps (default 20), --kube-api-burst (default 30) and the --concurrent-*-syncs
     * (defaults 5; gc 20; namespace 10). Report 001: the rate the controller manager could sync with the API server
     * was the limit with many deployments; it raised kube-api-qps, kube-api-burst and concurrent-deployment-syncs.
     */
    static final int[] CM_KUBE_API_QPS = {20, 50, 100, 200};
    static final int[] CM_KUBE_API_BURST = {30, 100, 200, 400};
    static final int[] CONCURRENT_DEPLOYMENT_SYNCS = {5, 10, 25, 50};
    static final int[] CONCURRENT_REPLICASET_SYNCS = {5, 10, 25, 50};
    static final int[] CONCURRENT_ENDPOINT_SYNCS = {5, 10, 20, 30};
    static final int[] CONCURRENT_SERVICE_ENDPOINT_SYNCS = {5, 10, 20, 30};
    static final int[] CONCURRENT_GC_SYNCS = {20, 30, 50, 80};
    static final int[] CONCURRENT_NAMESPACE_SYNCS = {10, 10, 20, 40};

    /** kube-scheduler --kube-api-qps / --kube-api-burst (defaults 50 / 100). Report 001: the scheduler's binding
     * throughput fell behind in a real cluster; its queue should stay under 100 pods. */
    static final int[] SCHEDULER_QPS = {50, 100, 200, 400};
    static final int[] SCHEDULER_BURST = {100, 200, 400, 800};

    /**
     * etcd --quota-backend-bytes: default 2 GiB; report 001 raised it "to the maximum of 8 GB" and used ~60 % at
     * 200,000 pods (etcd docs: 8 GiB is the suggested maximum). Heartbeat/election: etcd's tuning guide sets the
     * heartbeat near the peers' round trip and the election timeout at 10x; across AWS zones we allow more at size.
     */
    static final long GIB = 1024L * 1024 * 1024;
    static final long[] ETCD_QUOTA_BYTES = {2 * GIB, 4 * GIB, 8 * GIB, 8 * GIB};
    static final int[] ETCD_HEARTBEAT_MS = {100, 100, 150, 200};
    static final int[] ETCD_ELECTION_MS = {1_000, 1_000, 1_500, 2_000};

    /**
     * TCP idle timeout of the API load balancer. Report 002: a proxy that cut idle connections after 3 s made clients
     * re-establish watches and TLS sessions and drove two API servers to 2,000 % CPU; 10 minutes fixed it. We take
     * twice that; clients' TCP keepalives also reset an NLB's idle timer.
     */
    static final int API_LB_IDLE_TIMEOUT_SECONDS = 1_200;

    // CoreDNS is not tiered: dns.ClusterDns's autoscaler parameters are fixed (one replica per 64 live nodes).


    /**
     * Pods that run on every master besides the static control plane, with the requests the kubelet adds up for them
     * (max of the sum of the containers and the largest init container; see cni/ContrailCni, a test checks these
     * against what it renders):
     * kube-manager (masters only) and the vRouter agent (masters run it so that they have a pod network), both from
     * cni/AgentResources, the one place their requests are declared; kube-proxy (kubeadm's DaemonSet tolerates every taint and sets no requests,
     * cmd/kubeadm/app/phases/addons/proxy/manifests.go), counted as zero.
     */
    static final Map<String, ControlPlaneBudget.PodRequest> MASTER_DAEMONS = ordered(
            "contrail-kube-manager", new ControlPlaneBudget.PodRequest(
                    AgentResources.kubeManagerPod().cpuMilli(), AgentResources.kubeManagerPod().memoryMi()),
            // The agent's preallocated 2 MB hugepages leave the node's allocatable memory too.
            "contrail-agent", new ControlPlaneBudget.PodRequest(AgentResources.agentPod().cpuMilli(),
                    AgentResources.agentPod().memoryMi() + AgentResources.agentPod().hugepages2MiMi()),
            "kube-proxy", new ControlPlaneBudget.PodRequest(0, 0));

    /**
     * Share of a master's allocatable left unrequested: room for a CoreDNS replica (kubeadm's CoreDNS tolerates the
     * control-plane taint; 100m/70Mi), a DaemonSet added later (log or metrics agents), and for raising the static
     * pods' requests on a running master when the cluster grows a tier (a pod the scheduler bound there meanwhile could
     * otherwise make the kubelet reject the regenerated static pod).
     */
    static final int MASTER_HEADROOM_PERCENT = 10;

    /**
     * Floors: the smallest requests each control-plane component gets at each tier; a master type that cannot give
     * all of them is rejected. Tier 0 is kubeadm's own requests (cmd/kubeadm/app/phases/controlplane/manifests.go:
     * API server 250m, controller manager 200m, scheduler 100m; cmd/kubeadm/app/phases/etcd/local.go: etcd 100m /
     * 100Mi) with the memory each needs to start. Tier 2 is what report 000 measured on its m3.xlarge master at 1,000
     * nodes (top: kube-apiserver 309 % CPU / 2.7 GiB RES, etcd 47.5 % / 520 MB, kube-controller-manager 17.6 % / 350 MB,
     * kube-scheduler 2.7 % / 120 MB), rounded up: the API server's CPU floor is one core, the rest of its 3 cores is
     * burst, which requests do not cap. Tier 3 (4× the nodes, report 001's 4,100) doubles tier 2.
     */
    static final Map<String, long[]> FLOOR_CPU_MILLI = ordered(
            ControlPlaneBudget.API_SERVER, new long[]{250, 500, 1_000, 2_000},
            ControlPlaneBudget.CONTROLLER_MANAGER, new long[]{200, 200, 200, 400},
            ControlPlaneBudget.SCHEDULER, new long[]{100, 100, 100, 200},
            ControlPlaneBudget.ETCD, new long[]{100, 200, 500, 1_000},
            ControlPlaneBudget.EVENTS_ETCD, new long[]{100, 100, 250, 500});
    static final Map<String, long[]> FLOOR_MEMORY_MIB = ordered(
            ControlPlaneBudget.API_SERVER, new long[]{512, 1_024, 3_072, 6_144},
            ControlPlaneBudget.CONTROLLER_MANAGER, new long[]{256, 256, 512, 1_024},
            ControlPlaneBudget.SCHEDULER, new long[]{128, 128, 256, 512},
            ControlPlaneBudget.ETCD, new long[]{256, 512, 1_024, 2_048},
            ControlPlaneBudget.EVENTS_ETCD, new long[]{128, 256, 512, 1_024});

    /** How what is left above the floors is shared: mostly to the API server, which report 000 saw saturate first. */
    static final Map<String, Double> SURPLUS_WEIGHT = ordered(
            ControlPlaneBudget.API_SERVER, 0.50,
            ControlPlaneBudget.CONTROLLER_MANAGER, 0.12,
            ControlPlaneBudget.SCHEDULER, 0.08,
            ControlPlaneBudget.ETCD, 0.20,
            ControlPlaneBudget.EVENTS_ETCD, 0.10);

    /**
     * The one memory limit kept, on the events etcd, at this multiple of its request: its data is expendable (events
     * live an hour and are not backed up), so when the event rate runs away it is the one that should be OOM-killed at
     * its own cgroup limit, not the main etcd or the API server chosen by the kernel's OOM killer. The API server,
     * controller manager, scheduler and main etcd have none: an OOM kill at a limit would restart them (API server:
     * every client re-lists; etcd: a leader election) under exactly the load that raised their memory, and the kubelet's
     * eviction never evicts a static pod, so a limit would protect nothing the node's reservations do not.
     */
    static final int EVENTS_ETCD_MEMORY_LIMIT_FACTOR = 2;

    private static <V> Map<String, V> ordered(Object... keyValues) {
        Map<String, V> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            V v = (V) keyValues[i + 1];
            m.put((String) keyValues[i], v);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private Tiers() {
    }

    static int tierOf(int workers, long pods) {
        int tier = 0;
        for (int i = 0; i < MIN_WORKERS.length; i++) {
            if (workers >= MIN_WORKERS[i] || pods >= MIN_PODS[i]) {
                tier = i;
            }
        }
        return tier;
    }
}
