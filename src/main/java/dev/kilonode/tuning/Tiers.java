package dev.kilonode.tuning;

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

    /** CoreDNS floor and the cluster-proportional autoscaler's nodesPerReplica. Report 002: kube-dns collapsed near
     * 900 nodes and was stable with 6 replicas; we never go below that from 500 workers and add one per 64 nodes. */
    static final int[] COREDNS_MIN_REPLICAS = {2, 3, 6, 12};
    static final int COREDNS_NODES_PER_REPLICA = 64;

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
