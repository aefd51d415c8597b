package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.App;
import dev.kilonode.plan.PlanCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kilonode plan --diff} on real plans: the committed dev stack, and a copy of it with more workers of a bigger
 * type and one more allowed CIDR. Runs the command in-process the way {@code java -jar kilonode.jar} does.
 */
class PlanDiffCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run kilonode(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CommandLine cl = new CommandLine(new App());
        ((PlanCommand) cl.getSubcommands().get("plan").getCommand())
                .output(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = cl.execute(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @TempDir
    static Path tmp;
    static Path a;
    static Path b;
    static Run changed;
    static Run markdown;
    static Run identical;
    static JsonNode summaryA;

    @BeforeAll
    static void plan() throws IOException {
        a = tmp.resolve("a");
        b = tmp.resolve("b");
        Run first = kilonode("plan", "--stack", "dev", "--out", a.toString());
        assertThat(first.code()).as(first.err()).isZero();
        summaryA = new ObjectMapper().readTree(a.resolve("summary.json").toFile());

        String original = Files.readString(Path.of("Pulumi.dev.yaml"));
        String modified = original
                .replaceAll("(?m)^(\\s*kilonode:workerCount:).*$", "$1 \"5\"")
                .replaceAll("(?m)^(\\s*kilonode:workerInstanceType:).*$", "$1 m3.large")
                .replaceAll("(?m)^(\\s*kilonode:apiAllowedCidrs:\\n)", "$1    - 198.51.100.0/24\n");
        assertThat(modified).contains("kilonode:workerCount: \"5\"", "kilonode:workerInstanceType: m3.large",
                "- 198.51.100.0/24");
        Path config = tmp.resolve("Pulumi.dev.yaml");
        Files.writeString(config, modified);

        changed = kilonode("plan", "--stack", "dev", "--config", config.toString(), "--out", b.toString(),
                "--diff", a.toString());
        markdown = kilonode("plan", "--stack", "dev", "--config", config.toString(), "--out",
                tmp.resolve("md").toString(), "--diff", a.toString(), "--format", "markdown");
        identical = kilonode("plan", "--stack", "dev", "--out", tmp.resolve("same").toString(), "--diff", a.toString());
    }

    @Test
    void identicalPlansPrintNoChangesAndExitZero() {
        assertThat(identical.code()).as(identical.err()).isZero();
        assertThat(identical.out()).contains("kilonode plan: stack dev") // the plan is written and summarised as usual
                .contains("kilonode plan diff: no changes");
        assertThat(tmp.resolve("same/resources.json")).exists();
    }

    @Test
    void namesTheChangedResourcesAndInputs() {
        assertThat(changed.code()).as(changed.err()).isZero();
        String out = changed.out();
        assertThat(out).contains("kilonode plan: stack dev") // the usual summary first
                .containsPattern("resources: \\d+ -> \\d+: [1-9] added, 0 removed, [1-9] changed")
                .contains("+ aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule kilonode-api-lb-from-cidr-tcp-6443-198-51-100-0-24")
                .contains("/settings/workerGroups/0/count: 3 -> 5")
                .contains("/settings/workerGroups/0/instanceType: \"m3.medium\" -> \"m3.large\"")
                .contains("/settings/apiAllowedCidrs: [\"203.0.113.0/24\"] -> [\"198.51.100.0/24\",\"203.0.113.0/24\"]");
        if (summaryA.path("resourceCounts").has("aws:autoscaling/group:Group")) {
            assertThat(out).containsPattern("~ aws:autoscaling/group:Group \\S+\\n(\\s+/.*\\n)*\\s+/desiredCapacity: 3(\\.0)? -> 5(\\.0)?");
        }
        if (summaryA.path("resourceCounts").has("aws:ec2/launchTemplate:LaunchTemplate")) {
            assertThat(out).containsPattern("~ aws:ec2/launchTemplate:LaunchTemplate \\S+\\n(\\s+/.*\\n)*\\s+/instanceType: \"m3.medium\" -> \"m3.large\"")
                    .contains("/userData: (encoded user-data changed: see userdata/worker*.yaml below)");
        }
    }

    @Test
    void showsTheRenderedWorkerUserDataAsAUnifiedDiff() throws IOException {
        Path before = a.resolve("userdata/worker.yaml");
        Path after = b.resolve("userdata/worker.yaml");
        if (!Files.exists(before) || !Files.exists(after)) {
            return; // no worker user-data rendered yet
        }
        Set<String> old = new HashSet<>(Files.readAllLines(before));
        List<String> added = Files.readAllLines(after).stream().filter(l -> !old.contains(l)).toList();
        assertThat(added).as("a bigger worker type changes the kubelet settings in worker user-data").isNotEmpty();
        String out = changed.out();
        assertThat(out).contains("--- a/userdata/worker.yaml\n+++ b/userdata/worker.yaml\n@@ -");
        added.forEach(l -> assertThat(out).contains("\n+" + l + "\n"));
        // The kubelet flag a reviewer looks for, where the patch sets it.
        Matcher maxPods = Pattern.compile("(?m)^\\s*maxPods: \\d+$").matcher(Files.readString(after));
        if (maxPods.find() && added.contains(maxPods.group())) {
            assertThat(out).contains("\n+" + maxPods.group() + "\n");
        }
    }

    @Test
    void reportsTheChangeInEstimatedCost() {
        BigDecimal medium = new BigDecimal(summaryA.at("/cost/roles/worker/hourlyEach").asText());
        JsonNode summaryB;
        try {
            summaryB = new ObjectMapper().readTree(b.resolve("summary.json").toFile());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        BigDecimal large = new BigDecimal(summaryB.at("/cost/roles/worker/hourlyEach").asText());
        BigDecimal delta = large.multiply(BigDecimal.valueOf(5)).subtract(medium.multiply(BigDecimal.valueOf(3)));

        assertThat(changed.out()).containsPattern("estimated cost \\(USD, on-demand, month = 730 h\\)")
                .containsPattern("\\n  worker +\\$\\S+/h +\\$\\S+/h +\\+" + Pattern.quote(DiffReport.hourlyAmount(delta)) + "/h \\(\\+\\$[\\d,.]+/month\\)")
                .containsPattern("\\n  tf-controller .* unchanged")
                .containsPattern("\\n  total +\\$\\S+/h +\\$\\S+/h +\\+\\$\\S+/h");
    }

    @Test
    void markdownIsAPullRequestComment() {
        assertThat(markdown.code()).as(markdown.err()).isZero();
        String md = markdown.out();
        assertThat(md).startsWith("### kilonode plan diff: `dev`\n")
                .contains("| resource type | added | removed | changed |\n|---|---:|---:|---:|\n")
                .containsPattern("\\| `aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule` \\| [1-9] \\| 0 \\|")
                .contains("#### Estimated cost (USD, on-demand)")
                .containsPattern("\\| \\*\\*total\\*\\* \\| \\$\\S+/h \\| \\$\\S+/h \\| \\*\\*\\+\\$\\S+/h\\*\\* \\|")
                .contains("#### Added")
                .contains("#### Settings and tuning")
                .contains("| `/settings/workerGroups/0/count` | `3` | `5` |");
        if (Files.exists(a.resolve("userdata/worker.yaml"))) {
            assertThat(md).contains("#### Changed").contains("#### Rendered files")
                    .contains("```diff\n--- a/userdata/worker.yaml\n+++ b/userdata/worker.yaml\n");
        }
        // The plain plan summary goes to stderr so stdout is only the comment.
        assertThat(md).doesNotContain("kilonode plan: stack");
        assertThat(markdown.err()).contains("kilonode plan: stack dev");
        assertThat(md.chars().filter(c -> c == '`').count() % 2).as("balanced backticks").isZero();
    }

    @Test
    void anInvalidDiffDirectoryExitsTwoAndWritesNothing() throws IOException {
        Path out = tmp.resolve("never");
        Run missing = kilonode("plan", "--stack", "dev", "--out", out.toString(), "--diff", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("kilonode plan: --diff").contains("nope is not a directory");

        Path junk = Files.createDirectories(tmp.resolve("junk"));
        Files.writeString(junk.resolve("notes.txt"), "not a plan");
        Run notAPlan = kilonode("plan", "--stack", "dev", "--out", out.toString(), "--diff", junk.toString());
        assertThat(notAPlan.code()).isEqualTo(2);
        assertThat(notAPlan.err()).contains("is not a plan directory: it has no resources.json");

        Path broken = Files.createDirectories(tmp.resolve("broken"));
        Files.writeString(broken.resolve("resources.json"), "{not json");
        Files.writeString(broken.resolve("summary.json"), "{}");
        Run invalid = kilonode("plan", "--stack", "dev", "--out", out.toString(), "--diff", broken.toString());
        assertThat(invalid.code()).isEqualTo(2);
        assertThat(invalid.err()).contains("resources.json is not valid JSON");

        assertThat(out).doesNotExist();
    }

    @Test
    void formatWithoutDiffIsAUsageError() {
        Run r = kilonode("plan", "--stack", "dev", "--out", tmp.resolve("never2").toString(), "--format", "markdown");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--format applies to --diff");
    }

    @Test
    void anEmptyDirectoryIsTheEmptyPlanOfANewStack() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Run r = kilonode("plan", "--stack", "dev", "--out", tmp.resolve("new").toString(), "--diff", empty.toString());
        assertThat(r.code()).as(r.err()).isZero();
        int n = summaryA.path("resourceCount").asInt();
        assertThat(r.out()).contains("(empty plan)").contains("resources: 0 -> " + n + ": " + n + " added, 0 removed, 0 changed")
                .containsPattern("\\n  total +\\$0\\.00/h +\\$\\S+/h +\\+\\$");
    }

    /** Issue 14: each tuning change names the settings that drove it, and only those. */
    @Test
    void everyTuningChangeNamesTheSettingsThatDroveIt() throws IOException {
        List<String> tuning = changed.out().lines().filter(l -> l.trim().startsWith("/tuning/")).toList();
        assertThat(tuning).isNotEmpty().allSatisfy(l -> assertThat(l)
                .contains("(driven by kilonode:workerInstanceType \"m3.medium\" -> \"m3.large\")")
                .doesNotContain("apiAllowedCidrs"));
        assertThat(markdown.out()).contains("<br>driven by kilonode:workerInstanceType");
        // The tier follows the worker count (and pods per worker): 3 -> 600 workers moves it, naming workerCount.
        String bigger = Files.readString(Path.of("Pulumi.dev.yaml"))
                .replaceAll("(?m)^(\\s*kilonode:workerCount:).*$", "$1 \"600\"");
        Path config = tmp.resolve("bigger/Pulumi.dev.yaml");
        Files.createDirectories(config.getParent());
        Files.writeString(config, bigger);
        Run run = kilonode("plan", "--stack", "dev", "--config", config.toString(), "--out", tmp.resolve("bigger/out").toString(),
                "--diff", a.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).containsPattern("/tuning/tier: 0 -> 2 +\\(driven by kilonode:workerCount 3 -> 600\\)");
        assertThat(run.out().lines().filter(l -> l.trim().startsWith("/tuning/kubelet"))).allSatisfy(l ->
                assertThat(l).doesNotContain("driven by kilonode:workerCount"));
    }
}
