package dev.kilonode.scaleout;

import dev.kilonode.tuning.TuningProfile;

/**
 * How fast workers may be brought up: at most {@link #joinBound()} instances between "requested from the Auto
 * Scaling group" and "node Ready" at any time, cluster-wide, and never more EC2 launches than the account's
 * RunInstances resource token bucket holds. {@link RampController} enforces it on master 0
 * ({@code components/KubernetesMaster/scale-out-ramp.sh}); the plan prints it.
 *
 * <p>The join bound comes from the API servers' concurrency limits in the tuning profile. A joining node holds
 * requests against the API servers behind the load balancer: TLS bootstrap (CSR create), Node create and status
 * patches, Lease updates, and the initial LISTs of its pods, services and nodes before it watches them (watches
 * are long-running requests, which the inflight limits do not count). We allow the joins
 * {@value #JOIN_SHARE_PERCENT} % of the control plane's total concurrency (masters x --max-requests-inflight and x --max-mutating-requests-inflight), the rest stays with controllers,
 * the scheduler and the nodes that already run; and count {@value #MUTATING_PER_JOIN} mutating and
 * {@value #READONLY_PER_JOIN} read-only requests in flight at a time per joining node (its informers start
 * their LISTs side by side; its writes are sequential per loop). These per-node figures are our assumption, not a
 * measurement; they are one place to change. Counting requested-but-not-Ready instances (not only kubelets past
 * boot) against the bound keeps it a hard limit whatever the boot times are.
 *
 * <p>EC2: RunInstances has a resource token bucket of 1,000 instances per account and Region, refilled at 2 per
 * second (AWS, Request throttling for the Amazon EC2 API,
 * docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). The ramp keeps its own conservative copy of
 * that bucket and leaves {@value #EC2_RESERVE_TOKENS} tokens to everything else in the account.
 */
public record JoinPacing(int joinBound, int stepTimeoutSeconds, int tickSeconds, int ec2BucketTokens,
                         int ec2RefillPerSecond, int ec2ReserveTokens) {

    static final int JOIN_SHARE_PERCENT = 25;
    static final int MUTATING_PER_JOIN = 1;
    static final int READONLY_PER_JOIN = 2;
    static final int MIN_JOIN_BOUND = 10;
    public static final int EC2_RUN_INSTANCES_BUCKET = 1_000;
    public static final int EC2_RUN_INSTANCES_REFILL_PER_SECOND = 2;
    static final int EC2_RESERVE_TOKENS = 100;
    /** A step whose instances are not all Ready after this long stops the ramp: boot + install + join of one
     * stock-AMI worker is ~5 minutes (README), a worker retries its join for up to ~20 minutes before it marks
     * itself Unhealthy (join-cluster.sh), and the Auto Scaling group then replaces it once. */
    static final int STEP_TIMEOUT_SECONDS = 45 * 60;
    /** kilonode-scale-out-ramp.timer's interval. */
    public static final int TICK_SECONDS = 30;

    public JoinPacing {
        if (joinBound < 1 || ec2BucketTokens <= ec2ReserveTokens || ec2RefillPerSecond < 1 || tickSeconds < 1) {
            throw new IllegalArgumentException("invalid pacing " + joinBound + "/" + ec2BucketTokens + "/"
                    + ec2ReserveTokens + "/" + ec2RefillPerSecond + "/" + tickSeconds);
        }
    }

    public static JoinPacing forCluster(TuningProfile tuning, int masters) {
        int byMutating = masters * tuning.apiServer().maxMutatingRequestsInflight() * JOIN_SHARE_PERCENT / 100
                / MUTATING_PER_JOIN;
        int byReadOnly = masters * tuning.apiServer().maxRequestsInflight() * JOIN_SHARE_PERCENT / 100
                / READONLY_PER_JOIN;
        int bound = Math.max(MIN_JOIN_BOUND, Math.min(byMutating, byReadOnly));
        // Never ask for more instances at once than the bucket can give without throttling.
        bound = Math.min(bound, EC2_RUN_INSTANCES_BUCKET - EC2_RESERVE_TOKENS);
        return new JoinPacing(bound, STEP_TIMEOUT_SECONDS, TICK_SECONDS, EC2_RUN_INSTANCES_BUCKET,
                EC2_RUN_INSTANCES_REFILL_PER_SECOND, EC2_RESERVE_TOKENS);
    }

    /** A group's desired capacity at creation: its share of the join bound (the ramp does the rest). */
    public int firstStep(int target, int groups) {
        return Math.min(target, Math.max(1, joinBound / Math.max(1, groups)));
    }

    /** Smallest raise worth a scaling activity (avoids one-instance dribbles while a step finishes). */
    public int minStep() {
        return Math.max(1, joinBound / 4);
    }

    /** The explanation the plan prints. */
    public String summaryLine() {
        return "scale-out: at most " + joinBound + " workers joining at once (" + JOIN_SHARE_PERCENT
                + " % of the API servers' inflight limits), EC2 RunInstances bucket " + ec2BucketTokens + " + "
                + ec2RefillPerSecond + "/s with " + ec2ReserveTokens + " kept back; a step not Ready in "
                + stepTimeoutSeconds / 60 + " min stops the ramp";
    }
}
