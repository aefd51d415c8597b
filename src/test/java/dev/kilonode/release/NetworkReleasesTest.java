package dev.kilonode.release;

import dev.kilonode.config.ClusterSpecReader;
import org.junit.jupiter.api.Test;

import java.lang.reflect.RecordComponent;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The compatibility table itself: every cell cited, every row consistent with itself and with kilonode. */
class NetworkReleasesTest {

    static final NetworkReleases TABLE = NetworkReleases.table();
    /** Fields that identify a row rather than state a fact about it. */
    static final Set<String> NOT_FACTS = Set.of("id", "project", "sources");

    @Test
    void everyCellOfEveryRowCitesAnUpstreamFileOrCommit() {
        assertThat(TABLE.releases()).isNotEmpty();
        for (NetworkRelease row : TABLE.releases()) {
            for (RecordComponent c : NetworkRelease.class.getRecordComponents()) {
                if (NOT_FACTS.contains(c.getName())) {
                    continue;
                }
                String source = row.sources().get(c.getName());
                assertThat(source).as(row.id() + "." + c.getName()).isNotBlank()
                        // a repository@commit, a repository file path, or a URL
                        .containsPattern("(@[0-9a-f]{7,40}|/[A-Za-z0-9_.-]+\\.(ya?ml|sh|py|c|h|md)\\b|https?://|/work/shared/seeds/)");
            }
            assertThat(row.sources().keySet()).as("sources for fields that do not exist")
                    .allSatisfy(k -> assertThat(List.of(NetworkRelease.class.getRecordComponents()).stream()
                            .map(RecordComponent::getName)).contains(k));
        }
        assertThat(TABLE.kubernetesUpstream().source()).contains("kubernetes.io/releases");
    }

    @Test
    void eachRowIsConsistentWithItself() {
        for (NetworkRelease row : TABLE.releases()) {
            assertThat(row.tagAllowed(row.defaultTag())).as(row.id() + " default tag").isTrue();
            assertThat(row.tagAllowed(row.id() + "-2026-06-16")).isTrue();
            assertThat(row.tagAllowed("R2011-latest")).isFalse();
            assertThat(row.deployer().ref()).matches("[0-9a-f]{40}");
            assertThat(row.deployer().playbooks()).isNotEmpty().allSatisfy(p -> assertThat(p).startsWith("playbooks/"));
            assertThat(row.testedKubernetesMinors()).allSatisfy(m ->
                    assertThat(row.kubernetesMinors().contains(NetworkRelease.minorNumber(m))).isTrue());
            assertThat(row.ubuntuRelease()).isIn("22.04", "24.04");
            assertThat(row.kernel().matches(row.kernel().series() + ".0-1062-aws")).isTrue();
            assertThat(row.kernel().matches("6.14.0-1011-aws")).isFalse();
            assertThat(row.kernel().packageName()).endsWith("-lts-" + row.ubuntuRelease());
            assertThat(row.kernel().headersPackage()).startsWith("linux-headers-").endsWith("-lts-" + row.ubuntuRelease());
            assertThat(row.nodeImages().all()).allSatisfy(n -> assertThat(n).startsWith("opensdn-"));
            assertThat(row.imageReferences(row.registry(), row.defaultTag()))
                    .doesNotHaveDuplicates()
                    .hasSize(Set.copyOf(row.nodeImages().all()).size()
                            + (int) row.controllerImages().stream().filter(i -> !row.nodeImages().all().contains(i)).distinct().count());
            assertThat(row.ansible().pip()).isEqualTo("ansible>=" + row.ansible().minVersion() + ",<" + row.ansible().belowVersion());
            assertThat(row.workersPerControllerGuidance()).isPositive();
        }
    }

    @Test
    void upstreamKeepsThreeMinorsAndTheDefaultIsTheClosestOneKilonodeRenders() {
        List<Integer> supported = TABLE.upstreamSupported();
        // Kubernetes maintains the three newest minors: the table's dates must say so on its own date.
        assertThat(supported).hasSize(3);
        supported.forEach(m -> assertThat(TABLE.kubernetesUpstream().endOfLife(m).orElseThrow()).isAfterOrEqualTo(TABLE.asOfDate()));
        NetworkRelease row = TABLE.defaultRow();
        int lo = Math.max(ClusterSpecReader.MIN_KUBERNETES_MINOR, row.kubernetesMinors().minMinor());
        int hi = Math.min(ClusterSpecReader.MAX_KUBERNETES_MINOR, row.kubernetesMinors().maxMinor());
        int defaultMinor = Integer.parseInt(ClusterSpecReader.DEFAULT_KUBERNETES_VERSION.split("\\.")[1]);
        List<Integer> both = supported.stream().filter(m -> m >= lo && m <= hi).toList();
        if (both.isEmpty()) {
            // None fits both: the default is the allowed minor nearest to upstream support (the plan warns).
            int oldestSupported = supported.get(0);
            assertThat(defaultMinor).isEqualTo(oldestSupported > hi ? hi : lo);
        } else {
            assertThat(both).contains(defaultMinor);
        }
        assertThat(LocalDate.parse(TABLE.asOf())).isNotNull();
    }
}
