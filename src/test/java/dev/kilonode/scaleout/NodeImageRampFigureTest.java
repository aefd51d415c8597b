package dev.kilonode.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A printed figure for the README's per-node section: the 1,000-worker ramp of the scale stack as a function of the
 * seconds a worker spends installing at boot. The stock figure (240 s) is the plan's assumption
 * ({@link RampSimulation#STOCK_AMI}); a baked node's boot time is not measured here, so the figure shows what the
 * ramp would be for each value instead of claiming one. Launch (60 s) and join (120 s) stay as assumed.
 */
class NodeImageRampFigureTest {

    @Test
    void theRampShortensWithTheBootInstallAndMatchesThePlanAtTheStockAssumption() {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        JoinPacing pacing = JoinPacing.forCluster(TuningProfile.forCluster(ClusterSize.of(spec)), spec.masters().count());
        int workers = spec.workerCount();
        assertThat(workers).isEqualTo(1_000);
        List<Long> minutes = new ArrayList<>();
        System.out.println("scale stack, " + workers + " workers, bound " + pacing.joinBound()
                + ": boot install s -> steps, all Ready after (simulated)");
        for (int boot : new int[] {RampSimulation.STOCK_AMI.bootSeconds(), 180, 120, 60, 30}) {
            RampSimulation.Result r = RampSimulation.run(pacing, workers,
                    new RampSimulation.Timing(RampSimulation.STOCK_AMI.launchSeconds(), boot, RampSimulation.STOCK_AMI.joinSeconds()),
                    i -> false, 7 * 24 * 3600L, 3600);
            assertThat(r.completed()).isTrue();
            assertThat(r.maxInFlight()).isLessThanOrEqualTo(pacing.joinBound());
            minutes.add(r.allReadySecond());
            System.out.printf("  %4d s -> %d steps, %d min%n", boot, r.steps() + 1, Math.round(r.allReadySecond() / 60.0));
        }
        // The stock row is the plan's own estimate.
        Map<String, Object> plan = RampSimulation.planEstimate(pacing, workers);
        assertThat(Math.round(minutes.get(0) / 60.0)).isEqualTo(((Number) plan.get("minutesToAllReady")).longValue());
        // Less to install at boot never slows the ramp, and strictly shortens it here (every step waits for its boot).
        for (int i = 1; i < minutes.size(); i++) {
            assertThat(minutes.get(i)).isLessThan(minutes.get(i - 1));
        }
    }
}
