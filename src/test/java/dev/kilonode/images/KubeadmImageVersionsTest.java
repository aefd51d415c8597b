package dev.kilonode.images;

import dev.kilonode.config.ClusterSpecReader;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The CoreDNS/pause table: every rendered minor from its first patch, each row sourced, lookups by patch. */
class KubeadmImageVersionsTest {

    @Test
    void everyRenderedMinorHasARowFromItsFirstPatchWithASource() {
        KubeadmImageVersions t = KubeadmImageVersions.table();
        Set<String> keys = new HashSet<>();
        for (KubeadmImageVersions.Row r : t.rows()) {
            assertThat(keys.add(r.minor() + "." + r.fromPatch())).as("duplicate row " + r).isTrue();
            assertThat(r.source()).isNotBlank();
            assertThat(r.coredns()).matches("v\\d+\\.\\d+\\.\\d+");
            assertThat(r.pause()).matches("\\d+\\.\\d+(\\.\\d+)?");
        }
        for (int minor = ClusterSpecReader.MIN_KUBERNETES_MINOR; minor <= ClusterSpecReader.MAX_KUBERNETES_MINOR; minor++) {
            assertThat(keys).contains(minor + ".0");
        }
    }

    @Test
    void aRowAppliesFromItsPatchUntilTheNext() {
        KubeadmImageVersions t = KubeadmImageVersions.table();
        for (KubeadmImageVersions.Row r : t.rows()) {
            String at = "1." + r.minor() + "." + r.fromPatch();
            assertThat(t.forVersion(at)).isEqualTo(r);
            assertThat(t.forVersion("1." + r.minor() + "." + (r.fromPatch() + 100))).satisfies(later ->
                    assertThat(later.fromPatch()).isGreaterThanOrEqualTo(r.fromPatch()));
            if (r.fromPatch() > 0) {
                assertThat(t.forVersion("1." + r.minor() + "." + (r.fromPatch() - 1)).fromPatch()).isLessThan(r.fromPatch());
            }
        }
    }
}
