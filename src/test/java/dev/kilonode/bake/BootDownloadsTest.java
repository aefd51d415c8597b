package dev.kilonode.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kilonode.bake.BootDownloads.NodeImage;
import dev.kilonode.bake.BootDownloads.Obtained;
import dev.kilonode.bake.BootDownloads.Path;
import dev.kilonode.bake.BootDownloads.Role;
import dev.kilonode.bake.BootDownloads.Row;
import dev.kilonode.bake.BootDownloads.Sum;
import dev.kilonode.bake.BootDownloads.When;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.CredentialProvider;
import dev.kilonode.images.KubeadmImageVersions;
import dev.kilonode.master.kubeadm.EventsEtcdManifest;
import dev.kilonode.testing.Stacks;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The boot-download table's rules (a source per row, "not found" never counted as zero) and its ties to the code. */
class BootDownloadsTest {

    private static final BootDownloads TABLE = BootDownloads.table();

    private static String row(String id, String size, String obtained, String source, String note, String roles,
                              String path, String when, String baked) {
        return """
                {"id": "%s", "what": "%s", "kind": "package", "version": "1", "size": %s, "source": "%s", "obtained": "%s",
                 "note": "%s", "roles": [%s], "path": "%s", "when": "%s", "baked": "%s"}"""
                .formatted(id, id, size == null ? "null" : "\"" + size + "\"", source, obtained, note, roles, path, when, baked);
    }

    private static BootDownloads table(String... rows) throws IOException {
        String json = "{\"comment\": \"t\", \"asOf\": \"2026-11-23\", \"units\": \"decimal\", \"fields\": {}, \"rows\": ["
                + String.join(",", rows) + "]}";
        return BootDownloads.parse(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void everyShippedRowHasASourceAndASizeOnlyWhenOneWasFound() {
        assertThat(TABLE.rows()).isNotEmpty();
        for (Row r : TABLE.rows()) {
            assertThat(r.source()).as(r.id()).isNotBlank();
            if (r.obtained() == Obtained.notFound) {
                assertThat(r.size()).as(r.id()).isNull();
                assertThat(r.source()).as(r.id()).startsWith("not found");
                assertThat(r.bytes()).as(r.id()).isEmpty();
            } else {
                assertThat(r.source()).as(r.id()).startsWith("https://");
                assertThat(r.bytes()).as(r.id()).isPresent();
            }
        }
    }

    @Test
    void aRowWithoutSourceOrWithASizeAndNoPageIsRejected() {
        assertThatThrownBy(() -> table(row("a", "1.0 kB", "page", "", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("no source");
        assertThatThrownBy(() -> table(row("a", "1.0 kB", "notFound", "not found", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("obtained notFound but size 1.0 kB");
        assertThatThrownBy(() -> table(row("a", null, "page", "https://example.org/a", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("obtained page but size null");
        assertThatThrownBy(() -> table(row("a", "1.0 kB", "neighbour", "https://example.org/a", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("neighbouring version needs the difference");
        assertThatThrownBy(() -> table(row("a", "1.0 kB", "page", "packages.ubuntu.com", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("needs the page's address");
        assertThatThrownBy(() -> table(row("a", "about 1 MB", "page", "https://example.org/a", "", "\"worker\"", "nat", "always", "skipped")))
                .hasMessageContaining("'about 1 MB'");
    }

    @Test
    void anUnknownRowTurnsTheSumIntoALowerBoundNeverAZero() throws IOException {
        BootDownloads known = table(row("a", "1,500.5 kB", "page", "https://example.org/a", "", "\"worker\"", "nat", "always", "skipped"));
        Sum exact = known.sum(Role.worker, NodeImage.stock, Path.nat, When.always);
        assertThat(exact.knownBytes()).isEqualTo(1_500_500L);
        assertThat(exact.lowerBound()).isFalse();
        assertThat(exact.describe()).isEqualTo("1.5 MB");

        BootDownloads withUnknown = table(
                row("a", "1,500.5 kB", "page", "https://example.org/a", "", "\"worker\"", "nat", "always", "skipped"),
                row("b", null, "notFound", "not found", "", "\"worker\"", "nat", "always", "skipped"));
        Sum bound = withUnknown.sum(Role.worker, NodeImage.stock, Path.nat, When.always);
        assertThat(bound.knownBytes()).isEqualTo(1_500_500L);
        assertThat(bound.lowerBound()).isTrue();
        assertThat(bound.notFound()).extracting(Row::id).containsExactly("b");
        assertThat(bound.describe()).isEqualTo("at least 1.5 MB, plus 1 input not found");
        assertThat(bound.times(1000).describe()).isEqualTo("at least 1.5 GB, plus 1 input not found");
        // Only the rows of the asked role, path and condition count.
        assertThat(withUnknown.sum(Role.master, NodeImage.stock, Path.nat, When.always).empty()).isTrue();
        assertThat(withUnknown.sum(Role.worker, NodeImage.stock, Path.endpoints, null).empty()).isTrue();
        assertThat(withUnknown.sum(Role.worker, NodeImage.stock, Path.nat, When.ifAbsentFromAmi).empty()).isTrue();
    }

    @Test
    void aBakedNodeCountsOnlyWhatItStillDownloads() throws IOException {
        BootDownloads t = table(
                row("pkg", "2 MB", "page", "https://example.org/p", "", "\"worker\", \"master\"", "nat", "always", "skipped"),
                row("img", "3 MB", "page", "https://example.org/i", "", "\"worker\"", "endpoints", "always", "skipped"),
                row("left", "5 kB", "page", "https://example.org/l", "", "\"worker\"", "nat", "always", "downloaded"));
        var stock = t.figure(Role.worker, NodeImage.stock);
        var baked = t.figure(Role.worker, NodeImage.baked);
        assertThat(stock.natAlways().knownBytes()).isEqualTo(2_005_000L);
        assertThat(stock.endpoints().knownBytes()).isEqualTo(3_000_000L);
        assertThat(baked.natAlways().knownBytes()).isEqualTo(5_000L);
        assertThat(baked.natAlways().counted()).extracting(Row::id).containsExactly("left");
        assertThat(baked.endpoints().empty()).isTrue();
        assertThat(t.figure(Role.master, NodeImage.stock).endpoints().empty()).isTrue();
    }

    @Test
    void displayedSizesAreReadAsDecimalUnits() {
        assertThat(BootDownloads.parseBytes("27,485.8 kB")).isEqualTo(27_485_800L);
        assertThat(BootDownloads.parseBytes("309.16 KB")).isEqualTo(309_160L);
        assertThat(BootDownloads.parseBytes("300.9 MB")).isEqualTo(300_900_000L);
        assertThat(BootDownloads.parseBytes("3.9 kB")).isEqualTo(3_900L);
        assertThat(BootDownloads.humanBytes(300_900_000L)).isEqualTo("300.9 MB");
        assertThat(BootDownloads.humanBytes(999L)).isEqualTo("999 B");
        assertThatThrownBy(() -> BootDownloads.parseBytes("27 485,8 Kb")).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Every package, snap and file install-kubernetes.sh fetches sits in install_packages(), which the baked path
     * skips; that is what the table's "baked: skipped" claims. A download moved out of it must become a row with
     * "baked": "downloaded".
     */
    @Test
    void everyDownloadOfTheBootScriptIsInTheFunctionTheBakedPathSkips() throws IOException {
        String script = Files.readString(java.nio.file.Path.of("components/KubernetesNode/install-kubernetes.sh"));
        int start = script.indexOf("install_packages() {");
        int end = script.indexOf("\n}\n", start);
        assertThat(start).as("install_packages() in install-kubernetes.sh").isPositive();
        String inside = script.substring(start, end);
        String outside = script.substring(0, start) + script.substring(end);
        Pattern fetch = Pattern.compile("apt_get (?:update|install)|apt-get (?:update|install)|snap install|curl ");
        assertThat(fetch.matcher(inside).find()).isTrue();
        Matcher m = fetch.matcher(outside);
        List<String> stray = new ArrayList<>();
        while (m.find()) {
            stray.add(outside.substring(Math.max(0, outside.lastIndexOf('\n', m.start()) + 1),
                    Math.max(m.end(), outside.indexOf('\n', m.end()))));
        }
        assertThat(stray).as("downloads outside install_packages(): add them to bake/boot-downloads.json with "
                + "\"baked\": \"downloaded\" and relax this test").isEmpty();
        assertThat(script).contains("if baked_matches; then").contains("  install_packages\n");
        assertThat(TABLE.rows()).allMatch(r -> r.baked() == BootDownloads.Baked.skipped);
    }

    /** The packages install-kubernetes.sh names are all rows, so a package added to the script needs a size row too. */
    @Test
    void everyPackageTheBootScriptInstallsHasARow() throws IOException {
        String script = Files.readString(java.nio.file.Path.of("components/KubernetesNode/install-kubernetes.sh"))
                .replace("\\\n", " ");
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        var kernel = spec.tungstenFabric().release().kernel();
        Set<String> named = new LinkedHashSet<>();
        Matcher m = Pattern.compile("apt_get install(?: --[a-z-]+)* ([^\\n]+)").matcher(script);
        while (m.find()) {
            for (String word : m.group(1).trim().split("\\s+")) {
                named.add(word.replace("\"", "").replace("$KERNEL_PACKAGE", kernel.packageName())
                        .replace("$KERNEL_HEADERS_PACKAGE", kernel.headersPackage())
                        .replace("linux-headers-$KERNEL_RELEASE", "linux-headers-running")
                        .replaceAll("=\\$\\{KUBERNETES_VERSION}-\\*$", ""));
            }
        }
        Matcher snap = Pattern.compile("snap install ([a-z-]+)").matcher(script);
        while (snap.find()) {
            named.add(snap.group(1) + "-snap");
        }
        named.remove("awscli"); // the deb branch: no awscli deb exists on 24.04 (the README says so), the snap is the row
        assertThat(named).contains("containerd", kernel.packageName(), "kubelet", "aws-cli-snap");
        String ids = TABLE.rows().stream().map(r -> r.id() + " " + r.what()).collect(Collectors.joining("\n"));
        for (String p : named) {
            assertThat(ids).as("bake/boot-downloads.json has a row for " + p).contains(p);
        }
    }

    /** The image rows are the images the code runs on each node role, at the example stacks' versions. */
    @Test
    void theImageRowsAreWhatEachNodeRunsAtTheConfiguredVersions() {
        ClusterSpec spec = Stacks.spec("scale", Stacks.config("scale"));
        var images = spec.tungstenFabric().release().nodeImages();
        Set<String> worker = new LinkedHashSet<>(List.of(images.nodeInit(), images.vrouterKernelInit(), images.cniInit(),
                images.vrouterAgent(), images.nodemgr(), images.provisioner(), "kube-proxy", "pause"));
        Set<String> master = new LinkedHashSet<>(worker);
        master.addAll(List.of(images.kubeManager(), "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd",
                "etcd-tools"));
        assertThat(imageIds(Role.worker)).containsExactlyInAnyOrderElementsOf(worker);
        assertThat(imageIds(Role.master)).containsExactlyInAnyOrderElementsOf(master);
        assertThat(imageIds(Role.worker)).doesNotContain(images.status()); // run on demand by contrail-status, not at boot

        assertThat(byId("kube-proxy").version()).isEqualTo("v" + spec.kubernetesVersion());
        assertThat(byId("kube-apiserver").version()).isEqualTo("v" + spec.kubernetesVersion());
        assertThat(byId("kubelet").version()).startsWith(spec.kubernetesVersion() + "-");
        assertThat(byId("pause").version())
                .isEqualTo(KubeadmImageVersions.table().forVersion(spec.kubernetesVersion()).pause());
        assertThat(byId("etcd").version()).isEqualTo(EventsEtcdManifest.etcdImageTag(spec.kubernetesMinorNumber()));
        assertThat(byId("ecr-credential-provider").version()).isEqualTo(CredentialProvider.VERSION);
        assertThat(byId("opensdn-vrouter-agent").version()).isEqualTo(spec.tungstenFabric().tag());
        assertThat(byId(spec.tungstenFabric().release().kernel().packageName())).isNotNull();
    }

    private static Set<String> imageIds(Role role) {
        return TABLE.rows().stream().filter(r -> "image".equals(r.kind()) && r.roles().contains(role)).map(Row::id)
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    private static Row byId(String id) {
        return TABLE.rows().stream().filter(r -> r.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + id));
    }
}
