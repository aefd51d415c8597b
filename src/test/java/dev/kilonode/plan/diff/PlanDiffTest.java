package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The diff model and its two renderings on small hand-written plan directories. */
class PlanDiffTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path plan(String name, List<Map<String, Object>> resources, Map<String, Object> summary,
                      Map<String, String> files) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Files.writeString(dir.resolve("resources.json"), JSON.writeValueAsString(resources));
        Files.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary));
        for (Map.Entry<String, String> f : files.entrySet()) {
            Path p = dir.resolve(f.getKey());
            Files.createDirectories(p.getParent());
            Files.writeString(p, f.getValue());
        }
        return dir;
    }

    private static Map<String, Object> res(String type, String name, Map<String, Object> inputs) {
        Map<String, Object> r = new java.util.LinkedHashMap<>();
        r.put("type", type);
        r.put("name", name);
        r.put("parent", null);
        r.put("protect", false);
        r.put("inputs", inputs);
        return r;
    }

    private static Map<String, Object> summary(double workerHourly) {
        return Map.of("stack", "t", "settings", Map.of("podsPerWorker", 30),
                "cost", Map.of("currency", "USD",
                        "roles", Map.of("worker", Map.of("hourly", workerHourly, "monthly", workerHourly * 730)),
                        "total", Map.of("hourly", workerHourly, "monthly", workerHourly * 730, "partial", false)));
    }

    private PlanDiff diff(Path a, Path b) throws PlanSnapshot.NotAPlanException {
        return PlanDiff.between(PlanSnapshot.read(a), PlanSnapshot.read(b));
    }

    @Test
    void changedInputsAreJsonPointersWithOldAndNewAndSecretsStaySecret() throws Exception {
        Path a = plan("a", List.of(
                res("aws:ssm/parameter:Parameter", "token", Map.of("type", "SecureString", "value", "[secret]")),
                res("aws:ec2/vpc:Vpc", "vpc", Map.of("cidrBlock", "10.0.0.0/16",
                        "tags", Map.of("kubernetes.io/cluster/t", "owned", "a~b", "1"))),
                res("aws:ec2/subnet:Subnet", "gone", Map.of())), summary(0.2), Map.of());
        Path b = plan("b", List.of(
                res("aws:ssm/parameter:Parameter", "token", Map.of("type", "SecureString", "value", "[secret]")),
                res("aws:ssm/parameter:Parameter", "plain", Map.of("type", "String", "value", "[secret]")),
                res("aws:ec2/vpc:Vpc", "vpc", Map.of("cidrBlock", "10.1.0.0/16",
                        "tags", Map.of("kubernetes.io/cluster/t", "shared", "a~b", "2")))), summary(0.2), Map.of());

        PlanDiff d = diff(a, b);
        String text = DiffReport.text(d);

        assertThat(d.added().stream().map(PlanSnapshot.ResourceKey::name).toList()).containsExactly("plain");
        assertThat(d.removed().stream().map(PlanSnapshot.ResourceKey::name).toList()).containsExactly("gone");
        assertThat(d.changed().stream().map(c -> c.key().name()).toList()).containsExactly("vpc"); // the secret token: no visible change
        assertThat(text).contains("  ~ aws:ec2/vpc:Vpc vpc\n"
                + "      /cidrBlock: \"10.0.0.0/16\" -> \"10.1.0.0/16\"\n"
                + "      /tags/a~0b: \"1\" -> \"2\"\n"
                + "      /tags/kubernetes.io~1cluster~1t: \"owned\" -> \"shared\"\n")
                .contains("+ aws:ssm/parameter:Parameter plain")
                .contains("- aws:ec2/subnet:Subnet gone")
                .doesNotContain("SecureString");
    }

    @Test
    void aListWhoseLengthChangedIsShownWholeAndAbsentValuesSaySo() throws Exception {
        Path a = plan("a", List.of(res("aws:ec2/securityGroup:SecurityGroup", "sg",
                Map.of("ingress", List.of(Map.of("fromPort", 22)), "description", "x"))), summary(0.2), Map.of());
        Path b = plan("b", List.of(res("aws:ec2/securityGroup:SecurityGroup", "sg",
                Map.of("ingress", List.of(Map.of("fromPort", 22), Map.of("fromPort", 443)), "name", "n"))), summary(0.2), Map.of());

        String text = DiffReport.text(diff(a, b));

        assertThat(text).contains("/description: \"x\" -> (absent)")
                .contains("/ingress: [{\"fromPort\":22}] -> [{\"fromPort\":22},{\"fromPort\":443}]")
                .contains("/name: (absent) -> \"n\"");
    }

    @Test
    void renderedFilesAreUnifiedDiffsWithAddedAndRemovedFiles() throws Exception {
        String before = "kind: KubeletConfiguration\nkubeReserved:\n  cpu: 100m\nmaxPods: 30\nserializeImagePulls: false\n";
        String after = before.replace("maxPods: 30", "maxPods: 40");
        Path a = plan("a", List.of(), summary(0.2), Map.of("userdata/worker.yaml", before, "manifests/configmap-old.yaml", "a: 1\n"));
        Path b = plan("b", List.of(), summary(0.2), Map.of("userdata/worker.yaml", after, "kubeadm/worker-join.yaml", "b: 2\n"));

        PlanDiff d = diff(a, b);
        String text = DiffReport.text(d);

        assertThat(d.files().stream().map(PlanDiff.FileDiff::path).toList()).containsExactly("kubeadm/worker-join.yaml", "manifests/configmap-old.yaml", "userdata/worker.yaml");
        assertThat(text).contains("rendered files: 1 changed, 1 added, 1 removed")
                .contains("--- a/userdata/worker.yaml\n+++ b/userdata/worker.yaml\n@@ -1,5 +1,5 @@\n"
                        + " kind: KubeletConfiguration\n kubeReserved:\n   cpu: 100m\n-maxPods: 30\n+maxPods: 40\n"
                        + " serializeImagePulls: false\n")
                .contains("--- /dev/null\n+++ b/kubeadm/worker-join.yaml\n")
                .contains("+b: 2\n")
                .contains("--- a/manifests/configmap-old.yaml\n+++ /dev/null\n")
                .contains("-a: 1\n");
    }

    @Test
    void costDeltaPerRoleAndTotal() throws Exception {
        Path a = plan("a", List.of(), summary(0.201), Map.of());
        Path b = plan("b", List.of(), summary(0.335), Map.of());

        PlanDiff d = diff(a, b);

        assertThat(d.cost().changed()).isTrue();
        assertThat(DiffReport.text(d)).containsPattern("\\n  worker +\\$0\\.201/h +\\$0\\.335/h +\\+\\$0\\.134/h \\(\\+\\$97\\.82/month\\)")
                .containsPattern("\\n  total +\\$0\\.201/h +\\$0\\.335/h +\\+\\$0\\.134/h");
        assertThat(DiffReport.markdown(d)).contains("| worker | $0.201/h | $0.335/h | +$0.134/h | +$97.82 |");
    }

    @Test
    void unknownCostStaysUnknown() throws Exception {
        Path a = plan("a", List.of(), Map.of("stack", "t"), Map.of()); // a plan written before cost estimates
        Map<String, Object> partial = Map.of("stack", "t", "cost", Map.of(
                "roles", Map.of("worker", Map.of("hourly", "unknown", "monthly", "unknown")),
                "total", Map.of("hourly", 0.0, "monthly", 0.0, "partial", true)));
        Path b = plan("b", List.of(), partial, Map.of());

        String text = DiffReport.text(diff(a, b));

        assertThat(text).contains("the earlier plan has no cost estimate")
                .containsPattern("\\n  worker +unknown +unknown +unchanged")
                .containsPattern("\\n  total +unknown +\\$0\\.00/h\\+ +unknown")
                .contains("partial");
    }

    @Test
    void identicalPlansHaveNoChanges() throws Exception {
        Map<String, String> files = Map.of("userdata/worker.yaml", "a: 1\n");
        List<Map<String, Object>> rs = List.of(res("aws:ec2/vpc:Vpc", "vpc", Map.of("cidrBlock", "10.0.0.0/16")));
        PlanDiff d = diff(plan("a", rs, summary(0.2), files), plan("b", rs, summary(0.2), files));

        assertThat(d.isEmpty()).isTrue();
        assertThat(DiffReport.text(d)).startsWith("kilonode plan diff: no changes");
        assertThat(DiffReport.markdown(d)).contains("**no changes**");
    }

    @Test
    void markdownFoldsLongDiffsAndManyInputsAndFencesAroundBackticks() throws Exception {
        String longBefore = IntStream.range(0, 100).mapToObj(i -> "line " + i).collect(Collectors.joining("\n", "", "\n"));
        String longAfter = longBefore.replaceAll("(?m)^line (\\d)0$", "line $1-zero");
        Map<String, Object> many = new java.util.TreeMap<>();
        Map<String, Object> many2 = new java.util.TreeMap<>();
        for (int i = 0; i < 20; i++) {
            many.put("k" + i, i);
            many2.put("k" + i, i + 1);
        }
        Path a = plan("a", List.of(res("aws:iam/role:Role", "r", many)), summary(0.2),
                Map.of("userdata/worker.yaml", longBefore, "manifests/configmap-x.yaml", "s: |\n  ```\n  old\n"));
        Path b = plan("b", List.of(res("aws:iam/role:Role", "r", many2)), summary(0.2),
                Map.of("userdata/worker.yaml", longAfter, "manifests/configmap-x.yaml", "s: |\n  ```\n  new\n"));

        String md = DiffReport.markdown(diff(a, b));

        assertThat(md).contains("<details><summary>`userdata/worker.yaml` changed (+9 −9)</summary>\n\n```diff\n")
                .contains("##### `manifests/configmap-x.yaml` changed (+1 −1)\n\n````diff\n")
                .contains("<details><summary>`aws:iam/role:Role` r (20 changes)</summary>")
                .contains("| `/k0` | `0` | `1` |")
                .contains("#### Changed");
        assertThat(md.split("<details>", -1).length - 1).isEqualTo(md.split("</details>", -1).length - 1);
    }

    @Test
    void notAPlan() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("x"));
        Files.writeString(dir.resolve("resources.json"), "{}");
        Files.writeString(dir.resolve("summary.json"), "{}");
        assertThatThrownBy(() -> PlanSnapshot.read(dir)).hasMessageContaining("resources.json is not a JSON array");
        assertThatThrownBy(() -> PlanSnapshot.read(dir.resolve("resources.json"))).hasMessageContaining("is not a directory");
        assertThat(PlanSnapshot.read(Files.createDirectories(tmp.resolve("empty"))).isEmptyPlan()).isTrue();
    }
}
