package dev.kilonode.scaleout;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * A bring-up over simulated time, one-second resolution: one Auto Scaling group that launches what its desired
 * capacity asks for as far as the real RunInstances bucket allows, instances that take {@code launchSeconds} to
 * run, {@code bootSeconds} to install, {@code joinSeconds} to join and turn Ready (or never, for the ordinals
 * {@code fails} picks), and {@link RampController} ticking every {@link JoinPacing#tickSeconds()}. It records what
 * the invariants are about: instances in flight and joining at once, launches EC2 would have throttled, when the
 * ramp halted. The timing inputs are the caller's; {@code README} shows which ones it uses.
 */
public final class RampSimulation {

    public record Timing(int launchSeconds, int bootSeconds, int joinSeconds) {
    }

    /**
     * A worker from the stock Ubuntu AMI, as the plan estimates it: ~60 s from RunInstances to running, ~240 s of
     * cloud-init installing containerd, kubelet/kubeadm and building the vRouter module, ~120 s from kubeadm join
     * to Ready with the vRouter agent up. Our estimates for m3.medium, not measurements (README, "Bring-up").
     */
    public static final Timing STOCK_AMI = new Timing(60, 240, 120);

    /** A sample of the ramp every {@code sampleSeconds}. */
    public record Sample(long second, int desired, int launched, int joining, int ready) {
    }

    public record Result(int target, long allReadySecond, int maxInFlight, int maxJoining, long throttledLaunches,
                         long minBucketTokens, int steps, String haltedReason, long haltedSecond, int finalDesired,
                         int finalReady, List<Sample> samples) {
        public boolean completed() {
            return allReadySecond >= 0;
        }
    }

    private RampSimulation() {
    }

    /** What the plan shows: the ramp for {@code workers} with stock-AMI timing (all groups as one). */
    public static java.util.Map<String, Object> planEstimate(JoinPacing pacing, int workers) {
        Result r = run(pacing, workers, STOCK_AMI, i -> false, 7 * 24 * 3600L, 3600);
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("workers", workers);
        m.put("steps", workers == 0 ? 0 : r.steps() + 1);
        m.put("minutesToAllReady", r.completed() ? Math.round(r.allReadySecond() / 60.0) : null);
        m.put("assumedSecondsPerWorker", java.util.Map.of("launch", STOCK_AMI.launchSeconds(),
                "boot", STOCK_AMI.bootSeconds(), "join", STOCK_AMI.joinSeconds()));
        return m;
    }

    public static Result run(JoinPacing pacing, int target, Timing timing, IntPredicate fails, long limitSeconds,
                             int sampleSeconds) {
        RampController controller = new RampController(pacing);
        String group = "workers";
        int desired = pacing.firstStep(target, 1);
        List<long[]> instances = new ArrayList<>(); // {launchedAt, ordinal}
        long bucket = pacing.ec2BucketTokens() * 1000L; // the real account bucket, milli-tokens
        long minBucket = bucket;
        long throttled = 0;
        int maxInFlight = 0;
        int maxJoining = 0;
        int steps = 0;
        RampController.State state = null;
        long haltedAt = -1;
        List<Sample> samples = new ArrayList<>();
        long allReady = -1;
        int ready = 0;
        int joining = 0;
        for (long t = 0; t <= limitSeconds; t++) {
            if (t > 0) {
                bucket = Math.min(pacing.ec2BucketTokens() * 1000L, bucket + pacing.ec2RefillPerSecond() * 1000L);
            }
            // The group launches what is missing; EC2 refuses launches without a token (RequestLimitExceeded).
            int missing = desired - instances.size();
            if (missing > 0) {
                int canLaunch = (int) Math.min(missing, bucket / 1000L);
                throttled += missing - canLaunch;
                for (int i = 0; i < canLaunch; i++) {
                    instances.add(new long[]{t, instances.size()});
                }
                bucket -= canLaunch * 1000L;
                minBucket = Math.min(minBucket, bucket);
            }
            ready = 0;
            joining = 0;
            for (long[] inst : instances) {
                long age = t - inst[0];
                boolean failed = fails.test((int) inst[1]);
                long joinStarts = timing.launchSeconds() + timing.bootSeconds();
                if (!failed && age >= joinStarts + timing.joinSeconds()) {
                    ready++;
                } else if (age >= joinStarts) {
                    joining++; // a failed node keeps retrying its join
                }
            }
            maxInFlight = Math.max(maxInFlight, desired - ready);
            maxJoining = Math.max(maxJoining, joining);
            if (ready == target && allReady < 0) {
                allReady = t;
            }
            if (t % sampleSeconds == 0) {
                samples.add(new Sample(t, desired, instances.size(), joining, ready));
            }
            if (allReady >= 0) {
                break;
            }
            if (t % pacing.tickSeconds() == 0) {
                List<RampController.Observation> obs = List.of(new RampController.Observation(group, desired, target, ready));
                if (state == null) {
                    state = controller.initial(t, obs);
                }
                RampController.Decision d = controller.tick(t, state, obs);
                state = d.next();
                Integer raised = d.raises().get(group);
                if (raised != null) {
                    desired = raised;
                    steps++;
                }
                if (state.halted() && haltedAt < 0) {
                    haltedAt = t;
                }
            }
        }
        samples.add(new Sample(Math.min(limitSeconds, allReady >= 0 ? allReady : limitSeconds), desired,
                instances.size(), joining, ready));
        return new Result(target, allReady, maxInFlight, maxJoining, throttled, minBucket / 1000L, steps,
                state == null ? null : state.haltedReason(), haltedAt, desired, ready, samples);
    }
}
