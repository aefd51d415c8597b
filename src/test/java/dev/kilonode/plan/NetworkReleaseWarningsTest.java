package dev.kilonode.plan;

import dev.kilonode.release.NetworkReleases;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class NetworkReleaseWarningsTest {

    @Test
    void theDefaultKubernetesIsPastUpstreamSupportAndUntestedAndThePlanSaysSo() {
        List<String> warnings = NetworkReleaseWarnings.of(Stacks.spec("dev", Stacks.config("dev")));
        var table = NetworkReleases.table();
        assertThat(warnings).anySatisfy(w -> assertThat(w).startsWith("kilonode:kubernetesVersion")
                .contains("reached end of life on " + table.kubernetesUpstream().endOfLife(33).orElseThrow())
                .contains("upstream maintains 1.35, 1.36, 1.37 as of " + table.asOf()));
        assertThat(warnings).anySatisfy(w -> assertThat(w).contains("CI tests Kubernetes 1.28 only"));
        assertThat(warnings).anySatisfy(w -> assertThat(w).startsWith("kilonode:tfTag is 'R25.1-latest'"));
    }

    @Test
    void aPinnedTagAndATestedVersionAreNotWarnedAbout() {
        var config = Stacks.config("dev");
        config.put("kilonode:tfTag", "R25.1-2026-06-16");
        List<String> warnings = NetworkReleaseWarnings.of(Stacks.spec("dev", config));
        assertThat(warnings).noneSatisfy(w -> assertThat(w).startsWith("kilonode:tfTag"));
    }

    @Test
    void oneControllerForAThousandWorkersIsWarnedAboutAndThreeAreNot() {
        var scale = Stacks.config("scale");
        assertThat(NetworkReleaseWarnings.of(Stacks.spec("scale", scale)))
                .anySatisfy(w -> assertThat(w).startsWith("kilonode:controllerCount 1 serves 1000 workers per controller"));
        scale.put("kilonode:controllerCount", "3");
        assertThat(NetworkReleaseWarnings.of(Stacks.spec("scale", scale)))
                .noneSatisfy(w -> assertThat(w).startsWith("kilonode:controllerCount"));
        assertThat(NetworkReleaseWarnings.of(Stacks.spec("dev", Stacks.config("dev"))))
                .noneSatisfy(w -> assertThat(w).startsWith("kilonode:controllerCount"));
    }
}
