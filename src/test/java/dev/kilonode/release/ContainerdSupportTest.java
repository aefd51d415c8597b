package dev.kilonode.release;

import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.plan.NetworkReleaseWarnings;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The containerd rows of the compatibility table: cited, read the way containerd's RELEASES.md means them, tied to
 * what the node script configures, and covering every Kubernetes minor kilonode renders; the plan says when the
 * containerd nodes install is outside containerd's recommendation for the stack's minor.
 */
class ContainerdSupportTest {

    static final ContainerdSupport TABLE = NetworkReleases.table().containerd();

    @Test
    void everyRowAndArchiveVersionIsCited() {
        assertThat(TABLE.kubernetesSupport()).isNotEmpty().allSatisfy((minor, row) -> {
            assertThat(NetworkRelease.minorNumber(minor)).isPositive();
            assertThat(row.source()).as(minor).contains("containerd/containerd RELEASES.md")
                    .containsPattern("(v2\\.[0-9]+\\.[0-9]+|main@[0-9a-f]{12})");
            assertThat(row.containerd()).as(minor).isNotEmpty().allSatisfy(ContainerdSupport::parse);
        });
        assertThat(TABLE.ubuntuArchive()).isNotEmpty().allSatisfy(a -> {
            assertThat(a.source()).startsWith("https://packages.ubuntu.com/" + a.pocket() + "/");
            assertThat(a.packageVersion()).startsWith(a.upstream() + "-");
            assertThat(a.pocket()).startsWith("noble"); // the node's Ubuntu (the network release's ubuntuRelease)
        });
        assertThat(NetworkReleases.table().releases()).allSatisfy(r -> assertThat(r.ubuntuRelease()).isEqualTo("24.04"));
        assertThat(TABLE.installed().pocket()).isEqualTo(TABLE.installs());
    }

    /** The boot-download figures (bake/boot-downloads.json) count the containerd this table says nodes install. */
    @Test
    void theBootDownloadFiguresCountTheContainerdNodesInstall() {
        var row = dev.kilonode.bake.BootDownloads.table().rows().stream().filter(r -> r.id().equals("containerd"))
                .findFirst().orElseThrow();
        assertThat(row.version()).isEqualTo(TABLE.installed().packageVersion());
        assertThat(row.source()).isEqualTo(TABLE.installed().source().split(" ")[0]);
    }

    /** RELEASES.md lists, per Kubernetes minor, the lowest patch of each recommended containerd minor. */
    @Test
    void aVersionIsRecommendedOnlyAtOrAboveItsMinorsListedPatch() {
        assertThat(TABLE.recommended(29, "1.7.12")).isTrue();   // 1.29: 1.7.11+
        assertThat(TABLE.recommended(30, "1.7.12")).isFalse();  // 1.30: 1.7.13+
        assertThat(TABLE.recommended(33, "2.1.9")).isTrue();    // 1.33: 2.1.0+
        assertThat(TABLE.recommended(33, "2.0.3")).isFalse();   // 1.33: 2.0.4+
        assertThat(TABLE.recommended(33, "2.2.1")).isFalse();   // 2.2 is not in the 1.33 row
        assertThat(TABLE.recommended(35, "2.2.1")).isTrue();    // 1.35: 2.2.0+
        assertThat(TABLE.recommended(36, "1.7.28")).isFalse();  // 1.36: 2.x only
        assertThat(TABLE.recommended(40, "2.2.1")).isFalse();   // no row
    }

    /** Each containerd Ubuntu can give a node matches a major install-kubernetes.sh configures (its case patterns). */
    @Test
    void theNodeScriptConfiguresEveryContainerdTheArchiveGives() throws Exception {
        String script = Files.readString(Path.of("components/KubernetesNode/install-kubernetes.sh"));
        String body = script.substring(script.indexOf("configure_containerd() {"));
        body = body.substring(body.indexOf("case ${v#v} in"), body.indexOf("esac"));
        List<String> globs = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s*([0-9][0-9.]*\\.\\*)\\)").matcher(body);
        while (m.find()) {
            globs.add(m.group(1));
        }
        assertThat(globs).containsExactly("1.7.*", "2.*");
        assertThat(TABLE.ubuntuArchive()).allSatisfy(a -> assertThat(globs)
                .anySatisfy(g -> assertThat(a.upstream()).matches(Pattern.quote(g.replace(".*", "")) + "\\..*")));
    }

    /**
     * Every Kubernetes minor kilonode renders (and the committed stacks' choice) has a row in containerd's table, so
     * the plan can say whether the nodes' containerd is recommended; it says so exactly when it is not.
     */
    @Test
    void everyRenderedKubernetesMinorHasARowAndThePlanWarnsWhenTheNodesContainerdIsNotRecommended() {
        NetworkRelease row = NetworkReleases.table().defaultRow();
        int lo = Math.max(ClusterSpecReader.MIN_KUBERNETES_MINOR, row.kubernetesMinors().minMinor());
        int hi = Math.min(ClusterSpecReader.MAX_KUBERNETES_MINOR, row.kubernetesMinors().maxMinor());
        assertThat(lo).isLessThanOrEqualTo(hi);
        for (int m = lo; m <= hi; m++) {
            final int minor = m;
            assertThat(TABLE.recommendedFor(minor)).as("containerd's RELEASES.md row for Kubernetes 1." + minor).isPresent();
            var config = Stacks.config("dev");
            config.put("kilonode:kubernetesVersion", "1." + minor + ".1");
            List<String> warnings = NetworkReleaseWarnings.of(Stacks.spec("dev", config));
            boolean recommended = TABLE.recommended(minor, TABLE.installed().upstream());
            if (recommended) {
                assertThat(warnings).noneSatisfy(w -> assertThat(w).contains("nodes install containerd"));
            } else {
                assertThat(warnings).as("1." + minor).anySatisfy(w -> assertThat(w)
                        .startsWith("kilonode:kubernetesVersion 1." + minor + ".1: nodes install containerd "
                                + TABLE.installed().upstream() + " (Ubuntu " + TABLE.installs())
                        .contains("not among the versions containerd recommends for Kubernetes 1." + minor + ": " + String.join("+, ", TABLE.recommendedFor(minor).orElseThrow().containerd()) + "+"));
            }
        }
        for (String stack : List.of("dev", "scale")) {
            var spec = Stacks.spec(stack, Stacks.config(stack));
            assertThat(spec.kubernetesMinorNumber()).isBetween(lo, hi);
            assertThat(TABLE.recommendedFor(spec.kubernetesMinorNumber())).as(stack).isPresent();
        }
    }

    /** A containerd that is recommended for the minor is not warned about (the warning is not unconditional). */
    @Test
    void aRecommendedPairingIsNotWarnedAbout() {
        var recommended = new ContainerdSupport(TABLE.comment(), List.of(new ContainerdSupport.ArchiveVersion("noble-updates",
                "2.1.9-0ubuntu1", "2.1.9", "https://packages.ubuntu.com/noble-updates/containerd")), "noble-updates",
                TABLE.kubernetesSupport());
        assertThat(recommended.warning("1.33.10", 33)).isEmpty();
        assertThat(recommended.warning("1.37.0", 37)).get().asString()
                .contains("containerd's RELEASES.md has no row for Kubernetes 1.37");
        assertThat(TABLE.warning("1.33.10", 33)).get().asString()
                .contains("nodes install containerd 2.2.1 (Ubuntu noble-updates 2.2.1-0ubuntu1~24.04.3)")
                .contains("noble's 1.7.12 is not either");
    }
}
