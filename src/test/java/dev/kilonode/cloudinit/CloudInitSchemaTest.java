package dev.kilonode.cloudinit;

import dev.kilonode.plan.PlanCommand;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every role's rendered user-data is valid cloud-config according to cloud-init itself ({@code cloud-init schema},
 * Debian package cloud-init; .ci/run installs it) and fits EC2's 16 KB user-data limit after gzip.
 */
class CloudInitSchemaTest {

    @TempDir
    static Path plans;

    @BeforeAll
    static void planStacks() throws IOException {
        for (String stack : List.of("dev", "scale")) {
            assertThat(new CommandLine(new PlanCommand()).execute("--stack", stack, "--out", plans.resolve(stack).toString())).isZero();
        }
        // A three-master, three-controller variant: joining masters have their own user-data.
        Path ha = plans.resolve("Pulumi.ha.yaml");
        Files.writeString(ha, Files.readString(Path.of("Pulumi.scale.yaml"))
                .replace("kilonode:masterCount: \"1\"", "kilonode:masterCount: \"3\"")
                .replace("kilonode:controllerCount: \"1\"", "kilonode:controllerCount: \"3\""));
        // With a (test-fixture) image lock for its config, so the plan has the whole cluster.
        Path lock = dev.kilonode.testing.FixtureLocks.directoryFor(dev.kilonode.plan.StackInput.load(ha, "ha").spec());
        assertThat(new CommandLine(new PlanCommand()).execute("--stack", "ha", "--config", ha.toString(),
                "--out", plans.resolve("ha").toString(), "--image-lock-dir", lock.toString())).isZero();
    }

    static Stream<Arguments> userData() throws IOException {
        List<Arguments> all = new ArrayList<>();
        for (String stack : List.of("dev", "scale", "ha")) {
            try (Stream<Path> files = Files.list(plans.resolve(stack).resolve("userdata"))) {
                files.sorted().forEach(f -> all.add(Arguments.of(stack + "/" + f.getFileName(), f)));
            }
        }
        assertThat(all).hasSizeGreaterThanOrEqualTo(3 + 3 + 7);
        return all.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("userData")
    void isValidCloudConfigUnderTheEc2Limit(String label, Path file) throws Exception {
        String text = Files.readString(file);
        assertThat(text).startsWith("#cloud-config\n");
        assertThat(UserData.gzip(text).length).as("gzipped size").isLessThan(UserData.EC2_LIMIT_BYTES);

        Process p = new ProcessBuilder("cloud-init", "schema", "--config-file", file.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("cloud-init schema: " + output).isZero();
        assertThat(output).containsIgnoringCase("valid");
    }
}
