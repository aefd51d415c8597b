package dev.kilonode;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Each user mistake on the command line, run as a user runs it: a separate JVM on the built classes. Every one must
 * exit 2 with exactly one line on stderr that says what is wrong, and never a stack trace.
 */
class CliMistakesTest {

    @TempDir
    static Path dir;

    record Run(int code, String out, String err) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }
    }

    static Run java(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), App.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("PULUMI_"));
        env.forEach((k, v) -> {
            if (v == null) {
                pb.environment().remove(k);
            } else {
                pb.environment().put(k, v);
            }
        });
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    static Path file(String name, String text) {
        try {
            Path f = dir.resolve(name);
            Files.createDirectories(f.getParent());
            Files.writeString(f, text);
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The committed dev stack with one line changed or added. */
    static Path devWith(String name, String line) throws IOException {
        String dev = Files.readString(Path.of("Pulumi.dev.yaml"));
        String key = line.substring(0, line.indexOf(": ") + 1);
        List<String> lines = new ArrayList<>(dev.lines().filter(l -> !l.trim().startsWith(key)).toList());
        int config = lines.indexOf("config:");
        lines.add(config + 1, "  " + line);
        return file(name + "/Pulumi.dev.yaml", String.join("\n", lines) + "\n");
    }

    static Path fakePulumi;

    @BeforeAll
    static void fakes() throws IOException {
        fakePulumi = file("bin/pulumi", "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(fakePulumi, PosixFilePermissions.fromString("rwx------"));
        file("blocker", "a file where --out wants a directory\n");
    }

    static Stream<Arguments> mistakes() throws IOException {
        String out = dir.resolve("plan-out").toString();
        Map<String, String> none = Map.of();
        Map<String, String> noPulumiOnPath = Map.of("PATH", "/nonexistent-bin");
        return Stream.of(
                arguments("no stack file", none, new String[]{"plan", "--stack", "nope", "--out", out}, "no stack file"),
                arguments("missing --stack", none, new String[]{"plan"}, "Missing required option: '--stack=<stack>'"),
                arguments("unknown option", none, new String[]{"plan", "--stack", "dev", "--bogus"}, "Unknown option: '--bogus'"),
                arguments("unknown command", none, new String[]{"plam"}, "Unmatched argument at index 0: 'plam'"),
                arguments("misspelled key", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        devWith("typo", "kilonode:wokerCount: \"1000\"").toString()}, "did you mean `kilonode:workerCount`?"),
                arguments("key without namespace", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        devWith("bare", "workerCount: \"1000\"").toString()}, "did you mean `kilonode:workerCount`?"),
                arguments("misspelled instance type", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        devWith("type", "kilonode:workerInstanceType: m3.meduim").toString()}, "m5.large"),
                arguments("podsPerWorker above maxPods", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        devWith("pods", "kilonode:podsPerWorker: \"60\"").toString()}, "maxPods on m3.medium"),
                arguments("empty tfTag", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        devWith("tag", "kilonode:tfTag: \"\"").toString()}, "kilonode:tfTag"),
                arguments("duplicate key", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        file("dup/Pulumi.dev.yaml", "config:\n  kilonode:owner: a\n  kilonode:owner: b\n").toString()},
                        "Pulumi.dev.yaml:3:3: duplicate key kilonode:owner (first at line 2)"),
                arguments("malformed YAML", none, new String[]{"plan", "--stack", "dev", "--out", out, "--config",
                        file("yaml/Pulumi.dev.yaml", "config:\n  kilonode:owner: \"a\n").toString()}, "Pulumi.dev.yaml:3:1: "),
                arguments("unwritable --out", none, new String[]{"plan", "--stack", "dev", "--out",
                        dir.resolve("blocker/plan").toString()}, "blocker/plan: not a directory (" + dir.resolve("blocker") + " is a file)"),
                arguments("--format without --diff", none, new String[]{"plan", "--stack", "dev", "--out", out, "--format", "markdown"},
                        "--format applies to --diff"),
                arguments("--diff not a plan", none, new String[]{"plan", "--stack", "dev", "--out", out, "--diff",
                        dir.resolve("no-such-plan").toString()}, "--diff"),
                arguments("secrets init without the Pulumi CLI", noPulumiOnPath,
                        new String[]{"secrets", "init", "--stack", "dev"}, "the Pulumi CLI `pulumi` is not on PATH"),
                arguments("rotate-token without the Pulumi CLI", noPulumiOnPath,
                        new String[]{"secrets", "rotate-token", "--stack", "dev"}, "the Pulumi CLI `pulumi` is not on PATH"),
                arguments("secrets with a missing --pulumi", none,
                        new String[]{"secrets", "init", "--stack", "dev", "--pulumi", "/nonexistent/pulumi"}, "is not an executable file"),
                arguments("secrets init for a stack without a stack file", none,
                        new String[]{"secrets", "init", "--stack", "ghost", "--pulumi", fakePulumi.toString(), "--cwd", dir.toString()},
                        "no stack file"),
                arguments("rotate-token for a stack without a stack file", none,
                        new String[]{"secrets", "rotate-token", "--stack", "ghost", "--pulumi", fakePulumi.toString(), "--cwd", dir.toString()},
                        "no stack file"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void userMistakeExitsTwoWithOneLineAndNoStackTrace(String what, Map<String, String> env, String[] args, String message)
            throws Exception {
        Run run = java(env, args);
        assertThat(run.code()).as(run.err()).isEqualTo(2);
        assertThat(run.errLines()).as(run.err()).singleElement().asString().contains(message);
        assertThat(run.err()).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(run.out()).doesNotContain("\tat ");
    }

    @Test
    void bareJarExplainsItIsThePulumiProgramAndListsCommands() throws Exception {
        Run run = java(Map.of("SECRET_LOOKING_VARIABLE", "do-not-print"));
        assertThat(run.code()).isEqualTo(2);
        String all = run.out() + run.err();
        assertThat(all).contains("not started by the Pulumi engine").contains("`pulumi up` runs it")
                .contains("plan").contains("secrets")
                .doesNotContain("\tat ").doesNotContain("Program run without the Pulumi engine")
                .doesNotContain("SECRET_LOOKING_VARIABLE").doesNotContain("PULUMI_");
    }

    @Test
    void helpSaysWhatTheBareJarIsAndThatSecretsNeedsThePulumiCli() throws Exception {
        Run run = java(Map.of(), "--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("Pulumi program").contains("`pulumi up` runs it")
                .contains("`secrets` calls the Pulumi CLI").contains("plan").contains("secrets");
    }
}
