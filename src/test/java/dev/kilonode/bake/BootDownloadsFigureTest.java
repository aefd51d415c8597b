package dev.kilonode.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.bake.BootDownloads.Figure;
import dev.kilonode.bake.BootDownloads.NodeImage;
import dev.kilonode.bake.BootDownloads.Role;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.scaleout.JoinPacing;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A printed figure for the README's "Per-node downloads at boot": each node's boot downloads, stock and baked, and the
 * scale stack's 1,000 workers through the NAT gateway and the ECR endpoints, derived from bake/boot-downloads.json.
 * The README's section must be exactly what {@link BootDownloadsMarkdown} renders, so the numbers cannot drift from the
 * table.
 */
class BootDownloadsFigureTest {

    private static final BootDownloads TABLE = BootDownloads.table();

    private static ClusterSpec scale() {
        return Stacks.spec("scale", Stacks.config("scale"));
    }

    private static int joinBound(ClusterSpec spec) {
        return JoinPacing.forCluster(TuningProfile.forCluster(ClusterSize.of(spec)), spec.masters().count()).joinBound();
    }

    @Test
    void printsThePerNodeAndThousandWorkerFigures() {
        ClusterSpec spec = scale();
        int workers = spec.workerCount();
        assertThat(workers).isEqualTo(1_000);
        for (Role role : Role.values()) {
            for (NodeImage image : NodeImage.values()) {
                Figure f = TABLE.figure(role, image);
                System.out.printf("%-6s %-5s NAT always: %s | NAT if not on AMI: %s | ECR endpoints: %s%n", role, image,
                        f.natAlways().describe(), f.natIfAbsentFromAmi().describe(), f.endpoints().describe());
            }
        }
        for (NodeImage image : NodeImage.values()) {
            Figure all = TABLE.figure(Role.worker, image).times(workers);
            System.out.printf("%,d workers %-5s NAT always: %s | NAT if not on AMI: %s | ECR endpoints: %s%n", workers,
                    image, all.natAlways().describe(), all.natIfAbsentFromAmi().describe(), all.endpoints().describe());
        }

        System.out.print(BootDownloadsMarkdown.render(TABLE, workers, joinBound(spec)));

        Figure stock = TABLE.figure(Role.worker, NodeImage.stock);
        Figure baked = TABLE.figure(Role.worker, NodeImage.baked);
        // The stock worker downloads something on every path; what is not found is named, not counted as zero.
        assertThat(stock.natAlways().knownBytes()).isPositive();
        assertThat(stock.endpoints().knownBytes()).isPositive();
        assertThat(stock.natAlways().lowerBound()).isTrue();
        // A baked worker whose marker matches downloads none of the inputs: install_packages() is skipped and the
        // locked images are in containerd's store.
        assertThat(baked.natAlways().empty()).isTrue();
        assertThat(baked.natIfAbsentFromAmi().empty()).isTrue();
        assertThat(baked.endpoints().empty()).isTrue();
        // A master downloads at least what a worker does, plus the control plane.
        Figure master = TABLE.figure(Role.master, NodeImage.stock);
        assertThat(master.endpoints().knownBytes()).isGreaterThan(stock.endpoints().knownBytes());
        assertThat(master.natAlways().knownBytes()).isEqualTo(stock.natAlways().knownBytes());
        // The largest found image bounds a worker's image transfer from below; the sum is the figure shown.
        assertThat(TABLE.largestImage(Role.worker, NodeImage.stock).orElseThrow())
                .isLessThanOrEqualTo(stock.endpoints().knownBytes());
        assertThat(stock.times(workers).endpoints().knownBytes()).isEqualTo(stock.endpoints().knownBytes() * workers);
    }

    @Test
    void theReadmeShowsExactlyWhatTheTableDerives() throws IOException {
        ClusterSpec spec = scale();
        String expected = BootDownloadsMarkdown.render(TABLE, spec.workerCount(), joinBound(spec));
        String readme = Files.readString(Path.of("README.md"));
        assertThat(BootDownloadsMarkdown.section(readme))
                .as("README.md's per-node download section; regenerate it from BootDownloadsMarkdown.render")
                .isEqualTo(expected);
    }
}
