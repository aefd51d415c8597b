package dev.kilonode.roll;

import dev.kilonode.testing.CommandRun;
import com.pulumi.core.internal.Internal;
import com.pulumi.resources.Resource;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.internal.PulumiTestInternal;
import dev.kilonode.KilonodeStack;
import dev.kilonode.plan.MockCloud;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/** Finding 2: `kilonode roll masters` replaces the control plane one machine at a time, with checks in between. */
class RollCommandTest {

    static CommandRun roll(String... args) {
        RollCommand cmd = new RollCommand();
        return CommandRun.of(cmd, cmd::output, args);
    }

    static Path threeMasters(Path dir) throws Exception {
        String yaml = Files.readString(Path.of("Pulumi.scale.yaml")).replace("kilonode:masterCount: \"1\"", "kilonode:masterCount: \"3\"");
        assertThat(yaml).contains("kilonode:masterCount: \"3\"");
        Path file = dir.resolve("Pulumi.scale.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    /** The URNs the SDK itself gives the master instances (resource.urn() under the SDK's mock engine). */
    static List<String> sdkMasterUrns(String stack, Map<String, String> config) throws Exception {
        TestOptions options = TestOptions.builder().projectName(dev.kilonode.config.DeclaredSettings.project().projectName()).stackName(stack).preview(false).build();
        try {
            var result = PulumiTestInternal.builder().options(options).mocks(new MockCloud("us-east-1"))
                    .standardLogger(PulumiTestInternal.logger(Level.SEVERE))
                    .config(config, new LinkedHashSet<>(config.keySet().stream()
                            .filter(dev.kilonode.config.SecretKeys.ALL::contains).toList()))
                    .build().runTest(KilonodeStack::define);
            List<String> urns = new ArrayList<>();
            for (Resource r : result.resources()) {
                if (r.pulumiResourceType().equals("aws:ec2/instance:Instance") && r.pulumiResourceName().startsWith("kilonode-master-")) {
                    // The SDK's mock monitor prefixes the root stack's type; the engine does not (pulumi/pulumi
                    // sdk/go/common/resource/urn.go NewURN: `if parentType != "" && parentType != RootStackType`).
                    urns.add(Internal.of(r.urn()).getValueNullable().get(10, TimeUnit.SECONDS)
                            .replace("::pulumi:pulumi:Stack$", "::"));
                }
            }
            return urns.stream().sorted().toList();
        } finally {
            PulumiTest.cleanup();
        }
    }

    @Test
    void rollsThreeMastersOneAtATimeWithChecksBetween(@TempDir Path dir) throws Exception {
        CommandRun run = roll("masters", "--stack", "scale", "--config", threeMasters(dir).toString());
        assertThat(run.code()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();

        Map<String, String> config = new TreeMap<>(Stacks.config("scale"));
        config.put("kilonode:masterCount", "3");
        List<String> urns = sdkMasterUrns("scale", config);
        assertThat(urns).hasSize(3);

        List<Integer> ups = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("pulumi up ")) {
                ups.add(i);
            }
        }
        assertThat(ups).hasSize(3);
        for (int m = 0; m < 3; m++) {
            int at = ups.get(m);
            assertThat(lines.get(at)).isEqualTo("pulumi up --stack scale --yes --config kilonode:rollMachines=kilonode-master-" + m + " \\");
            // The very URN the engine gives the instance, replaced and targeted (with its load-balancer attachment).
            assertThat(lines.get(at + 1)).isEqualTo("  --replace '" + urns.get(m) + "' \\");
            assertThat(lines.get(at + 2)).isEqualTo("  --target '" + urns.get(m) + "' --target-dependents");
            // Health checked right after, and before the next machine is touched.
            assertThat(lines.get(at + 4)).isEqualTo("kn_wait_control_plane 3");
            String before = String.join("\n", lines.subList(m == 0 ? 0 : ups.get(m - 1) + 3, at));
            assertThat(before).contains("kn_wait_control_plane 3")
                    // its etcd member is removed first, by its peer URL
                    .contains("$4 == \"https://" + Stacks.spec("scale", config).masterIp(m) + ":2380\"");
        }
        assertThat(lines).contains("pulumi config rm --stack scale kilonode:rollMachines");
        assertThat(lines.indexOf("pulumi config rm --stack scale kilonode:rollMachines")).isGreaterThan(ups.get(2));

        // The runbook is a valid bash script by shellcheck's rules.
        Path script = dir.resolve("roll.sh");
        Files.writeString(script, run.out());
        Process p = new ProcessBuilder("shellcheck", "-s", "bash", script.toString()).redirectErrorStream(true).start();
        String report = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(report).isZero();
    }

    @Test
    void aSingleMasterHasNoEtcdMemberToRemove() {
        CommandRun run = roll("masters", "--stack", "dev");
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("member remove").contains("kilonode:rollMachines=kilonode-master-0")
                .contains("kn_wait_control_plane 1");
        assertThat(run.out().lines().filter(l -> l.startsWith("pulumi up ")).count()).isEqualTo(1);
        CommandRun controllers = roll("controllers", "--stack", "dev");
        assertThat(controllers.code()).as(controllers.err()).isZero();
        assertThat(controllers.out()).contains("kilonode:rollMachines=kilonode-tf-controller-0")
                .contains("kilonode:controller:TungstenFabricController$aws:ec2/instance:Instance::kilonode-tf-controller-0");
    }

    @Test
    void badArgumentsAreOneLine() {
        assertThat(roll("workers", "--stack", "dev").code()).isEqualTo(2);
        CommandRun missing = roll("masters", "--stack", "nosuch");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).startsWith("kilonode roll: no stack file");
    }
}
