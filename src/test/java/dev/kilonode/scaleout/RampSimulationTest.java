package dev.kilonode.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.config.InstanceTypes;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ramp over simulated time for 1,000 and 5,000 workers: it finishes, never has more than the bound in flight or
 * joining, never asks EC2 for more than the RunInstances bucket holds, and stops when a step fails. Prints the
 * ramp (the README's figures come from here).
 */
class RampSimulationTest {

    /** Stock AMI: ~1 min pending->running, ~4 min install (containerd, kubelet, vRouter module build), ~2 min
     * join + vRouter agent Ready. The README derives these. */
    static final RampSimulation.Timing STOCK = new RampSimulation.Timing(60, 240, 120);
    static final long DAY = 24 * 3600;

    static JoinPacing pacingFor(int workers, int masters) {
        // 2,000+ workers need a bigger master than m3.xlarge (tuning/ControlPlaneBudget).
        var m3xl = InstanceTypes.require(workers >= 2_000 ? "m3.2xlarge" : "m3.xlarge");
        var m3m = InstanceTypes.require("m3.medium");
        return JoinPacing.forCluster(TuningProfile.forCluster(new ClusterSize(workers, 30, masters, m3xl, List.of(m3m), true)),
                masters);
    }

    static void print(String title, JoinPacing p, RampSimulation.Result r) {
        String outcome = r.completed() ? "all " + r.target() + " Ready after " + r.allReadySecond() / 60 + " min"
                : "HALTED after " + r.haltedSecond() / 60 + " min with " + r.finalReady() + " Ready (" + r.haltedReason() + ")";
        System.out.printf("%s: bound %d, %d steps, %s; max in flight %d, max joining %d, "
                        + "EC2 throttled launches %d, lowest bucket %d tokens%n", title, p.joinBound(), r.steps() + 1,
                outcome, r.maxInFlight(), r.maxJoining(), r.throttledLaunches(), r.minBucketTokens());
        System.out.println("    min  desired  launched  joining  ready");
        for (RampSimulation.Sample s : r.samples()) {
            System.out.printf("  %5d  %7d  %8d  %7d  %5d%n", s.second() / 60, s.desired(), s.launched(), s.joining(), s.ready());
        }
    }

    void assertPaced(JoinPacing p, RampSimulation.Result r, int target) {
        assertThat(r.completed()).as("all %d Ready", target).isTrue();
        assertThat(r.finalReady()).isEqualTo(target);
        assertThat(r.haltedReason()).isNull();
        assertThat(r.maxInFlight()).isLessThanOrEqualTo(p.joinBound());
        assertThat(r.maxJoining()).isLessThanOrEqualTo(p.joinBound());
        assertThat(r.throttledLaunches()).isZero();
        assertThat(r.minBucketTokens()).isGreaterThanOrEqualTo(p.ec2ReserveTokens());
        // It is a ramp: many steps, and the bound is actually used (not a trivially slow one-at-a-time).
        assertThat(r.steps()).isGreaterThanOrEqualTo(target / p.joinBound() - 1);
        assertThat(r.maxInFlight()).isGreaterThan(p.joinBound() * 3 / 4);
    }

    @Test
    void thousandWorkersOneMaster() {
        JoinPacing p = pacingFor(1_000, 1);
        RampSimulation.Result r = RampSimulation.run(p, 1_000, STOCK, i -> false, DAY, 600);
        print("1,000 workers, 1 master (Pulumi.scale.yaml)", p, r);
        assertPaced(p, r, 1_000);
    }

    @Test
    void thousandWorkersThreeMasters() {
        JoinPacing p = pacingFor(1_000, 3);
        RampSimulation.Result r = RampSimulation.run(p, 1_000, STOCK, i -> false, DAY, 300);
        print("1,000 workers, 3 masters", p, r);
        assertPaced(p, r, 1_000);
    }

    @Test
    void fiveThousandWorkers() {
        for (int masters : new int[]{1, 3}) {
            JoinPacing p = pacingFor(5_000, masters);
            RampSimulation.Result r = RampSimulation.run(p, 5_000, STOCK, i -> false, DAY, 1_200);
            print("5,000 workers, " + masters + " master(s)", p, r);
            assertPaced(p, r, 5_000);
        }
    }

    @Test
    void withThreeMastersAtFiveThousandTheBucketIsWhatLimits() {
        // 3 masters at tier 3 allow more joins than EC2 can launch at once: the token copy has to hold the ramp.
        JoinPacing p = pacingFor(5_000, 3);
        assertThat(p.joinBound()).isEqualTo(p.ec2BucketTokens() - p.ec2ReserveTokens());
        RampSimulation.Result r = RampSimulation.run(p, 5_000, new RampSimulation.Timing(60, 30, 30), i -> false, DAY, 600);
        print("5,000 workers, 3 masters, baked image fast joins", p, r);
        assertThat(r.throttledLaunches()).isZero();
        assertThat(r.minBucketTokens()).isGreaterThanOrEqualTo(p.ec2ReserveTokens()).isLessThan(p.joinBound());
    }

    @Test
    void aFailedStepStopsTheRamp() {
        JoinPacing p = pacingFor(1_000, 1);
        // Instances 300..349 never join (say, a bad subnet): their step never completes.
        RampSimulation.Result r = RampSimulation.run(p, 1_000, STOCK, i -> i >= 300 && i < 350, DAY, 900);
        print("1,000 workers with instances 300-349 failing", p, r);
        assertThat(r.completed()).isFalse();
        assertThat(r.haltedReason()).contains("workers:").contains("Ready");
        assertThat(r.haltedSecond()).isGreaterThan(p.stepTimeoutSeconds());
        // Nothing was requested after the halt, and what was requested stayed within one bound of the failure.
        RampSimulation.Sample atHalt = r.samples().stream().filter(s -> s.second() >= r.haltedSecond()).findFirst().orElseThrow();
        assertThat(r.finalDesired()).isEqualTo(atHalt.desired()).isLessThanOrEqualTo(350 + p.joinBound());
        assertThat(r.samples().stream().filter(s -> s.second() > r.haltedSecond()).mapToInt(RampSimulation.Sample::desired).max().orElse(0))
                .isEqualTo(r.finalDesired());
        assertThat(r.maxInFlight()).isLessThanOrEqualTo(p.joinBound());
    }

    @Test
    void withoutTheRampEc2WouldThrottleFiveThousand() {
        // The same simulated group asking for all 5,000 at once: the check above can fail.
        JoinPacing unpaced = new JoinPacing(5_000, JoinPacing.STEP_TIMEOUT_SECONDS, 30, 1_000, 2, 100);
        RampSimulation.Result r = RampSimulation.run(unpaced, 5_000, STOCK, i -> false, DAY, 3_600);
        assertThat(r.throttledLaunches()).isGreaterThan(0);
        assertThat(r.maxInFlight()).isGreaterThan(pacingFor(5_000, 1).joinBound());
    }
}
