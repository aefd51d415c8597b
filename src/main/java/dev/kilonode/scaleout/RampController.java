package dev.kilonode.scaleout;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The desired-capacity ramp as a pure function, the model of {@code components/KubernetesMaster/scale-out-ramp.sh}
 * (same rules, same integer arithmetic; {@code ScaleOutRampScriptTest} holds the script to them). Each worker
 * Auto Scaling group is created with its first step as desired capacity and its target as maximum; every
 * {@link JoinPacing#tickSeconds()} master 0 observes each group (desired, maximum, Ready nodes among its
 * instances) and raises desired capacity only when:
 * <ul>
 * <li>the previous step is done: a step is done when the group has as many Ready nodes as the desired capacity
 *     the step set (batch by batch); a step not done within {@link JoinPacing#stepTimeoutSeconds()} halts the ramp
 *     for good (an operator looks, then removes the state file), so a failed batch never grows into a failed
 *     thousand;</li>
 * <li>the cluster-wide number of requested-but-not-Ready instances stays within {@link JoinPacing#joinBound()};</li>
 * <li>its own copy of the account's RunInstances token bucket (refilled at the documented rate, minus a reserve)
 *     covers the raise.</li>
 * </ul>
 * Raises smaller than {@link JoinPacing#minStep()} wait unless they finish the group.
 */
public final class RampController {

    /** What one tick sees of one group. */
    public record Observation(String group, int desired, int max, int ready) {
    }

    /** An outstanding raise: done when the group has {@code desiredAfter} Ready nodes. */
    public record Step(String group, long raisedAt, int desiredAfter) {
    }

    /** Carried between ticks (the script keeps it in {@code /var/lib/kilonode/scale-out-ramp/}). */
    public record State(long milliTokens, long lastTick, List<Step> steps, String haltedReason) {
        public boolean halted() {
            return haltedReason != null;
        }
    }

    /** What a tick decided: new desired capacity per group (only groups that change), the next state, log lines. */
    public record Decision(Map<String, Integer> raises, State next, List<String> log) {
    }

    private final JoinPacing pacing;

    public RampController(JoinPacing pacing) {
        this.pacing = pacing;
    }

    /** The first tick's state: the bucket as full as the instances already requested allow. */
    public State initial(long now, List<Observation> groups) {
        long requested = groups.stream().mapToLong(Observation::desired).sum();
        long tokens = Math.max(0, pacing.ec2BucketTokens() - requested) * 1000L;
        // What is already requested and not Ready is the first step (created with the group, or left by an earlier
        // master 0): it has to join before the ramp goes on.
        List<Step> steps = groups.stream().filter(o -> o.ready() < Math.min(o.desired(), o.max()))
                .map(o -> new Step(o.group(), now, o.desired())).toList();
        return new State(tokens, now, steps, null);
    }

    public Decision tick(long now, State state, List<Observation> groups) {
        List<String> log = new ArrayList<>();
        long refill = Math.max(0, now - state.lastTick()) * pacing.ec2RefillPerSecond() * 1000L;
        long tokens = Math.min(pacing.ec2BucketTokens() * 1000L, state.milliTokens() + refill);
        if (state.halted()) {
            return new Decision(Map.of(), new State(tokens, now, state.steps(), state.haltedReason()), log);
        }
        Map<String, Observation> byName = new LinkedHashMap<>();
        groups.forEach(o -> byName.put(o.group(), o));

        List<Step> open = new ArrayList<>();
        for (Step s : state.steps()) {
            Observation o = byName.get(s.group());
            // Done when Ready caught up, or when the group no longer wants that many (scaled in, parked).
            if (o == null || o.ready() >= Math.min(s.desiredAfter(), o.max())) {
                continue;
            }
            if (now - s.raisedAt() > pacing.stepTimeoutSeconds()) {
                String reason = s.group() + ": " + o.ready() + " of " + s.desiredAfter() + " Ready "
                        + (now - s.raisedAt()) + " s after the step";
                log.add("HALT " + reason);
                return new Decision(Map.of(), new State(tokens, now, state.steps(), reason), log);
            }
            open.add(s);
        }
        if (!open.isEmpty()) {
            // The previous step has not joined yet: wait for it (batch by batch, so a failure stops at one batch).
            return new Decision(Map.of(), new State(tokens, now, List.copyOf(open), null), log);
        }

        int inFlight = 0;
        for (Observation o : groups) {
            inFlight += Math.max(0, Math.min(o.desired(), o.max()) - o.ready());
        }
        Map<String, Integer> raises = new LinkedHashMap<>();
        for (Observation o : groups) {
            int remaining = o.max() - o.desired();
            if (remaining <= 0) {
                continue;
            }
            long room = Math.min(pacing.joinBound() - inFlight,
                    (tokens - pacing.ec2ReserveTokens() * 1000L) / 1000L);
            int add = (int) Math.max(0, Math.min(remaining, room));
            if (add == 0 || (add < pacing.minStep() && add < remaining)) {
                continue;
            }
            int to = o.desired() + add;
            raises.put(o.group(), to);
            inFlight += add;
            tokens -= add * 1000L;
            open.add(new Step(o.group(), now, to));
            log.add("RAISE " + o.group() + " " + o.desired() + " -> " + to + " (in flight " + inFlight + "/"
                    + pacing.joinBound() + ", tokens " + tokens / 1000 + ")");
        }
        return new Decision(raises, new State(tokens, now, List.copyOf(open), null), log);
    }
}
