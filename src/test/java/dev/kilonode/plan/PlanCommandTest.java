package dev.kilonode.plan;

import dev.kilonode.testing.CommandRun;
import dev.kilonode.App;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class PlanCommandTest {

    static CommandRun plan(String... args) {
        PlanCommand cmd = new PlanCommand();
        return CommandRun.of(cmd, cmd::output, args);
    }

    /** A test-fixture image lock complete for this stack file, so the plan covers the whole cluster. */
    static Path fixtureLock(Path stackFile, String stack) throws IOException {
        return dev.kilonode.testing.FixtureLocks.directoryFor(StackInput.load(stackFile, stack).spec());
    }

    @Test
    void writesThePlanOfTheDevStack(@TempDir Path dir) throws IOException {
        CommandRun run = plan("--stack", "dev", "--out", dir.toString());
        assertThat(run.code()).as(run.err()).isZero();
        assertThat(run.out()).contains("kilonode plan: stack dev").contains("workers: 3");
        assertThat(dir.resolve("resources.json")).exists();
        assertThat(dir.resolve("summary.json")).exists();
        assertThat(dir.resolve("userdata/master.yaml")).exists();
        assertThat(dir.resolve("userdata/worker.yaml")).exists();
        assertThat(dir.resolve("userdata/tf-controller.yaml")).exists();
        assertThat(dir.resolve("kubeadm/master-init.yaml")).exists();
        String summary = Files.readString(dir.resolve("summary.json"));
        assertThat(summary).contains("\"resourceCounts\"").contains("\"tuning\"").contains("\"maxRequestsInflight\" : 400");
    }

    @Test
    void sameConfigGivesByteIdenticalPlans(@TempDir Path a, @TempDir Path b) throws IOException {
        assertThat(plan("--stack", "scale", "--out", a.toString()).code()).isZero();
        assertThat(plan("--stack", "scale", "--out", b.toString()).code()).isZero();
        try (Stream<Path> files = Files.walk(a)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(b.resolve(a.relativize(f)))).as(f.toString()).isEqualTo(Files.readString(f));
            }
        }
    }

    /** Separate JVMs (as CI plans base and head): per-JVM hash seeds must not change a byte. */
    @Test
    void separateProcessesGiveByteIdenticalPlans(@TempDir Path a, @TempDir Path b) throws Exception {
        for (Path out : List.of(a, b)) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "dev.kilonode.App", "plan", "--stack", "scale",
                    "--out", out.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            assertThat(p.waitFor()).isZero();
        }
        try (Stream<Path> files = Files.walk(a)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            assertThat(all).hasSizeGreaterThan(10);
            for (Path f : all) {
                assertThat(Files.readString(b.resolve(a.relativize(f)))).as(f.toString()).isEqualTo(Files.readString(f));
            }
        }
    }

    @Test
    void badStackFileExitsTwoNamesEveryBadKeyAndWritesNothing(@TempDir Path dir) throws IOException {
        Path stack = dir.resolve("Pulumi.bad.yaml");
        Files.writeString(stack, String.join("\n", "config:",
                "  kilonode:owner: someone", "  kilonode:costCenter: cc-1",
                "  kilonode:masterCount: \"2\"", "  kilonode:workerCount: \"9000\"",
                "  kilonode:podCidr: 10.0.0.0/12", "  kilonode:workerInstanceType: t2.micro", ""));
        Path out = dir.resolve("out");
        CommandRun run = plan("--stack", "bad", "--config", stack.toString(), "--out", out.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("kilonode:amiId", "kilonode:masterCount", "kilonode:workerCount",
                "kilonode:podCidr", "kilonode:workerInstanceType").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }

    @Test
    void reusedOutputDirectoryKeepsNoFilesOfAnEarlierPlan(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("userdata"));
        Files.writeString(dir.resolve("userdata/worker-gone.yaml"), "#cloud-config\n");
        assertThat(plan("--stack", "dev", "--out", dir.toString()).code()).isZero();
        assertThat(dir.resolve("userdata/worker-gone.yaml")).doesNotExist();
        assertThat(dir.resolve("userdata/worker.yaml")).exists();
    }

    @Test
    void missingStackFileExitsTwo() {
        CommandRun run = plan("--stack", "nope");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("Pulumi.nope.yaml");
    }

    @Test
    void secureValuesAndSecretsNeverReachThePlanOutput(@TempDir Path dir) throws IOException {
        // A stack file as `kilonode secrets init` leaves it: encrypted values under `secure:`.
        Path stack = dir.resolve("Pulumi.sec.yaml");
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(Path.of("Pulumi.dev.yaml")));
        String pem = new String(PlanCommandTest.class.getResourceAsStream("/plan/placeholder-ca.crt").readAllBytes());
        String pub = new String(PlanCommandTest.class.getResourceAsStream("/plan/placeholder-sa.pub").readAllBytes());
        for (String key : dev.kilonode.config.SecretKeys.PUBLIC) {
            lines.add("  " + key + ": |");
            for (String l : (key.equals(dev.kilonode.config.SecretKeys.SERVICE_ACCOUNT_PUB) ? pub : pem).split("\n")) {
                lines.add("    " + l);
            }
        }
        for (String key : dev.kilonode.config.SecretKeys.ALL) {
            lines.add("  " + key + ":");
            lines.add("    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ=");
        }
        Files.write(stack, lines);
        Path out = dir.resolve("out");
        CommandRun run = plan("--stack", "sec", "--config", stack.toString(), "--out", out.toString(),
                "--image-lock-dir", fixtureLock(stack, "sec").toString());
        assertThat(run.code()).as(run.err()).isZero();
        Pattern privateKey = Pattern.compile("PRIVATE KEY");
        Pattern token = Pattern.compile("[a-z0-9]{6}\\.[a-z0-9]{16}");
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String text = Files.readString(f);
                assertThat(privateKey.matcher(text).find()).as(f.toString()).isFalse();
                assertThat(token.matcher(text).find()).as(f.toString()).isFalse();
                assertThat(text).as(f.toString()).doesNotContain("c2VjcmV0LWNpcGhlcnRleHQ=");
            }
        }
        assertThat(Files.readString(out.resolve("resources.json"))).contains("\"value\" : \"[secret]\"");
        assertThat(run.out()).doesNotContain("secrets not initialised");
    }

    @Test
    void plaintextSecretsInAStackFileAreMaskedToo(@TempDir Path dir) throws IOException {
        Path stack = dir.resolve("Pulumi.leak.yaml");
        Files.writeString(stack, Files.readString(Path.of("Pulumi.dev.yaml"))
                + "  kilonode:bootstrapToken: abcdef.0123456789abcdef\n");
        CommandRun run = plan("--stack", "leak", "--config", stack.toString(), "--out", dir.resolve("out").toString(),
                "--image-lock-dir", fixtureLock(stack, "leak").toString());
        assertThat(run.code()).as(run.err()).isZero();
        try (Stream<Path> files = Files.walk(dir.resolve("out"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(f)).as(f.toString()).doesNotContain("abcdef.0123456789abcdef");
            }
        }
    }

    @Test
    void appRunsPlanAsASubcommand(@TempDir Path dir) {
        int code = new CommandLine(new App()).execute("plan", "--stack", "dev", "--out", dir.toString());
        assertThat(code).isZero();
    }
}
