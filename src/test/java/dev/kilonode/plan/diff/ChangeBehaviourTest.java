package dev.kilonode.plan.diff;

import dev.kilonode.testing.CommandRun;
import dev.kilonode.plan.PlanCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 12: `plan --diff` says what `pulumi up` will do with each change (from plan/change-behaviour.json and the
 * resource options in resources.json), dangerous ones first.
 */
class ChangeBehaviourTest {

    @TempDir
    static Path tmp;
    static Path devPlan;

    static CommandRun plan(String... args) {
        PlanCommand cmd = new PlanCommand();
        return CommandRun.of(cmd, cmd::output, args);
    }

    @BeforeAll
    static void planDev() {
        devPlan = tmp.resolve("before");
        CommandRun r = plan("--stack", "dev", "--out", devPlan.toString());
        assertThat(r.code()).as(r.err()).isZero();
    }

    static CommandRun diffWith(String from, String to, String format) throws Exception {
        String yaml = Files.readString(Path.of("Pulumi.dev.yaml"));
        assertThat(yaml).contains(from);
        Path file = Files.createTempDirectory(tmp, "stack").resolve("Pulumi.dev.yaml");
        Files.writeString(file, yaml.replace(from, to));
        Path out = Files.createTempDirectory(tmp, "after");
        return plan("--stack", "dev", "--config", file.toString(), "--out", out.toString(), "--diff", devPlan.toString(),
                "--format", format);
    }

    /** The done-when: a master instance type change is ignored by up, and the plan says so and why. */
    @Test
    void masterInstanceTypeChangeIsReportedAsIgnoredWithWhatItWouldDo() throws Exception {
        CommandRun md = diffWith("kilonode:masterInstanceType: m3.xlarge", "kilonode:masterInstanceType: m3.2xlarge", "markdown");
        assertThat(md.code()).as(md.err()).isZero();
        String out = md.out();
        int section = out.indexOf("#### What `pulumi up` will do");
        assertThat(section).isPositive();
        // The warning leads: before the per-type table and the changed inputs.
        int warning = out.indexOf(":warning: **ignored by `pulumi up`: master 0 keeps its old instanceType");
        assertThat(warning).isGreaterThan(section).isLessThan(out.indexOf("| resource type |"));
        assertThat(out.substring(warning)).contains("(applying it would stop and start it and wipe etcd's disk); "
                + "roll it with `kilonode roll masters --stack dev`**");
        assertThat(out).contains("| ignored by pulumi up | `aws:ec2/instance:Instance` **kilonode-master-0** | "
                + "`/instanceType`: ignored (would stop/start)");

        CommandRun text = diffWith("kilonode:masterInstanceType: m3.xlarge", "kilonode:masterInstanceType: m3.2xlarge", "text");
        assertThat(text.out()).contains("  !! ignored by `pulumi up`: master 0 keeps its old instanceType")
                .contains("      /instanceType: ignored (would stop/start)");
    }

    /**
     * Plan truth: a worker-count change moves the group's desiredCapacity, which `pulumi up` ignores (the scale-out ramp
     * on master 0 drives it): the diff says so where it lists the change and in what up will do, with the reason.
     */
    @Test
    void aDesiredCapacityChangeIsIgnoredByUpBecauseTheRampDrivesIt() throws Exception {
        CommandRun r = diffWith("kilonode:workerCount: \"3\"", "kilonode:workerCount: \"5\"", "text");
        assertThat(r.code()).as(r.err()).isZero();
        String because = "master 0's scale-out ramp drives it (scale-out-ramp.sh raises it toward maxSize";
        assertThat(r.out()).containsPattern("\\n      /desiredCapacity: 3(\\.0)? -> 5(\\.0)?   \\[ignored by `pulumi up`: "
                        + java.util.regex.Pattern.quote(because))
                .contains("      /desiredCapacity: ignored (would update in place): " + because)
                // maxSize is not ignored: the group is still updated.
                .containsPattern("\\n      /maxSize: update in place\\n");
        CommandRun md = diffWith("kilonode:workerCount: \"3\"", "kilonode:workerCount: \"5\"", "markdown");
        assertThat(md.out()).contains("| `/desiredCapacity`<br>ignored by `pulumi up`: " + because);
    }

    /**
     * Plan truth: a master instance-type change is ignored by `pulumi up` until `kilonode roll masters`; the cost says
     * what the stack costs after `up` (the running type) and after the roll (the new one).
     */
    @Test
    void aMasterTypeChangeCostsTheRunningTypeUntilTheRoll() throws Exception {
        CommandRun r = diffWith("kilonode:masterInstanceType: m3.xlarge", "kilonode:masterInstanceType: m3.2xlarge", "text");
        assertThat(r.code()).as(r.err()).isZero();
        com.fasterxml.jackson.databind.JsonNode before = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(devPlan.resolve("summary.json").toFile());
        java.math.BigDecimal running = new java.math.BigDecimal(before.at("/cost/roles/master/hourly").asText());
        java.math.BigDecimal rolled = dev.kilonode.cost.Pricing.load().instanceHourly("us-east-1", "m3.2xlarge").orElseThrow();
        java.math.BigDecimal total = new java.math.BigDecimal(before.at("/cost/total/hourly").asText());
        assertThat(rolled).isGreaterThan(running);
        assertThat(r.out())
                .contains("  master: `pulumi up` keeps the 1 running machine on m3.xlarge (instanceType is ignored until "
                        + "`kilonode roll masters`): " + DiffReport.hourly(java.util.Optional.of(running)) + " after `pulumi up`, "
                        + DiffReport.hourly(java.util.Optional.of(rolled)) + " after the roll (m3.2xlarge)")
                .contains("  total: " + DiffReport.hourly(java.util.Optional.of(total)) + " after `pulumi up` (unchanged), "
                        + DiffReport.hourly(java.util.Optional.of(total.add(rolled).subtract(running))) + " after the roll")
                .contains("1 of them only in inputs `pulumi up` ignores");
        CommandRun md = diffWith("kilonode:masterInstanceType: m3.xlarge", "kilonode:masterInstanceType: m3.2xlarge", "markdown");
        assertThat(md.out()).contains("once rolled (`pulumi up` alone keeps the running instance types")
                .contains("- **master**: `pulumi up` keeps the 1 running machine on `m3.xlarge`");
    }

    /** Every input this stack ignores has a reason in change-behaviour.json's "ignored" rows. */
    @Test
    void everyIgnoredInputOfTheStacksHasAReason() {
        for (String stack : java.util.List.of("dev", "scale")) {
            for (dev.kilonode.plan.PlannedResource r : dev.kilonode.testing.Stacks.plan(stack).resources()) {
                for (String input : r.ignoreChanges()) {
                    String why = ChangeBehaviour.ignoredBecause(r.type(), "/" + input,
                            String.valueOf(r.tags().get("kilonode:role")), stack);
                    assertThat(why).as("%s %s %s", r.type(), r.name(), input).doesNotContain("resources.json options");
                }
            }
        }
        assertThat(ChangeBehaviour.ignoredBecause("aws:ec2/instance:Instance", "/ami", "tf-controller", "s"))
                .contains("`kilonode roll controllers --stack s`");
    }

    @Test
    void aWorkerTypeChangeRollsTheWorkersAndSaysHowMany() throws Exception {
        CommandRun r = diffWith("kilonode:workerInstanceType: m3.medium", "kilonode:workerInstanceType: m3.large", "text");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("  !! rolls 3 workers of kilonode-dev-worker (new launch-template version: instance refresh)")
                .contains("      /instanceType: update that rolls instances/pods");
    }

    @Test
    void aRolledMasterIsReplacedDeleteFirstAndSaysItWipesEtcd() throws Exception {
        String yaml = "kilonode:masterInstanceType: m3.2xlarge\n  kilonode:rollMachines: kilonode-master-0";
        CommandRun r = diffWith("kilonode:masterInstanceType: m3.xlarge", yaml, "text");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("  !! stops and starts master 0 (wipes etcd's disk: the instance store)")
                .contains("(option) ignoreChanges");
    }

    @Test
    void everyRuleCitesASourceAndTheStacksInstanceInputsAreCovered() {
        Set<String> seen = new HashSet<>();
        for (ChangeBehaviour.Rule r : ChangeBehaviour.rules()) {
            assertThat(seen.add(r.type() + " " + r.path())).as("duplicate row " + r).isTrue();
            assertThat(ChangeBehaviour.sources()).containsKey(r.source());
        }
        assertThat(ChangeBehaviour.rule("aws:ec2/instance:Instance", "/rootBlockDevice/encrypted").orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.REPLACE);
        assertThat(ChangeBehaviour.rule("aws:ec2/instance:Instance", "/rootBlockDevice/volumeSize").orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.UPDATE);
        assertThat(ChangeBehaviour.rule("aws:ec2/instance:Instance", "/instanceType").orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.STOP_START);
        assertThat(ChangeBehaviour.rule("aws:ec2/instance:Instance", "/ami").orElseThrow().kind())
                .isEqualTo(ChangeBehaviour.Kind.REPLACE);
        // The kube-proxy and CoreDNS image patches: a new image restarts the pods (kubeadm's objects, our fields).
        for (String patch : List.of("kubernetes:apps/v1:DaemonSetPatch", "kubernetes:apps/v1:DeploymentPatch")) {
            assertThat(ChangeBehaviour.rule(patch, "/spec/template/spec/containers/0/image").orElseThrow().kind())
                    .isEqualTo(ChangeBehaviour.Kind.ROLLS);
            assertThat(ChangeBehaviour.rule(patch, "/metadata/annotations").orElseThrow().kind())
                    .isEqualTo(ChangeBehaviour.Kind.UPDATE);
        }
    }

    /** Finding 3, day 2: a new apiDomain renames the API - the plan leads with the provider and the zone. */
    @Test
    void aNewApiDomainSaysItReplacesTheProviderAndNeedsAMasterRoll() throws Exception {
        CommandRun md = diffWith("kilonode:apiDomain: dev.k8s.example.com", "kilonode:apiDomain: dev2.k8s.example.com", "markdown");
        assertThat(md.code()).as(md.err()).isZero();
        String out = md.out();
        int table = out.indexOf("| resource type |");
        int provider = out.indexOf(":warning: **replaces the Kubernetes provider, and with it every in-cluster object");
        int zone = out.indexOf(":warning: **renames the Kubernetes API (kilonode:apiDomain): the old name stops resolving, "
                + "and running masters keep their certificate and kubeconfigs for it until `kilonode roll masters --stack dev`");
        assertThat(provider).isPositive().isLessThan(table);
        assertThat(zone).isPositive().isLessThan(table);
        // The workers join through the new name: a new launch-template version rolls them.
        assertThat(out).contains(":warning: **rolls 3 workers of kilonode-dev-worker");
        assertThat(out).contains("`/cluster`: replace");

        // Closing the public endpoint (no admin CIDRs) changes records, not the provider.
        String yaml = Files.readString(Path.of("Pulumi.dev.yaml"));
        String closed = yaml.replace("kilonode:apiAllowedCidrs:\n    - 203.0.113.0/24\n  ", "");
        assertThat(closed).doesNotContain("apiAllowedCidrs");
        Path file = Files.createTempDirectory(tmp, "stack").resolve("Pulumi.dev.yaml");
        Files.writeString(file, closed);
        CommandRun toggled = plan("--stack", "dev", "--config", file.toString(), "--out",
                Files.createTempDirectory(tmp, "after").toString(), "--diff", devPlan.toString(), "--format", "text");
        assertThat(toggled.code()).as(toggled.err()).isZero();
        // (The provider's dependsOn loses the public record: an option, no input of the provider.)
        assertThat(toggled.out()).contains("- aws:route53/record:Record kilonode-api-name-public")
                .doesNotContain("/cluster:").doesNotContain("/kubeconfig").doesNotContain("replaces the Kubernetes provider");
    }
}
