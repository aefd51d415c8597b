package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the on-node scripts under bash with a directory of stub executables first on PATH,
 * a temporary env file, lib.sh from the source tree and a recording sleep (so nothing really waits).
 * Every stub appends "name args..." to {@link #callsFile()}; the recording sleep appends its argument
 * to {@link #sleepsFile()}.
 */
final class ScriptHarness {
  static final Path COMPONENTS = Path.of("components").toAbsolutePath();
  static final Path LIB = COMPONENTS.resolve("KubernetesNode/lib.sh");

  final Path root;
  final Path bin;
  private final Map<String, String> envFile = new LinkedHashMap<>();
  private final Map<String, String> processEnv = new LinkedHashMap<>();

  record Result(int exitCode, String stdout, String stderr) {
    String output() {
      return stdout + stderr;
    }
  }

  ScriptHarness(Path root) throws IOException {
    this.root = root;
    this.bin = Files.createDirectories(root.resolve("bin"));
    Files.createDirectories(root.resolve("state"));
    // Journal logging is not part of what these tests look at (and is not recorded as a call).
    rawStub("logger", "exit 0");
    rawStub("kilonode-sleep", "echo \"$1\" >> \"$KILONODE_TEST_SLEEPS\"");
  }

  /** Fails clearly when a real tool the scripts rely on (not stubbed) is missing on this machine. */
  static void requireTool(String tool) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "command -v " + tool).redirectErrorStream(true).start();
    if (p.waitFor() != 0) {
      throw new AssertionError(tool + " is not installed (apt-get install -y " + tool + "); the scripts need it");
    }
  }

  private void rawStub(String name, String body) throws IOException {
    Path p = bin.resolve(name);
    Files.writeString(p, "#!/usr/bin/env bash\n" + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Writes bin/NAME: records its invocation, then runs BODY (bash). */
  ScriptHarness stub(String name, String body) throws IOException {
    Path p = bin.resolve(name);
    Files.writeString(p, "#!/usr/bin/env bash\n"
        + "printf '%s\\n' \"" + name + " $*\" >> \"$KILONODE_TEST_CALLS\"\n"
        + body + "\n", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    return this;
  }

  ScriptHarness env(String key, String value) {
    envFile.put(key, value);
    return this;
  }

  ScriptHarness processEnv(String key, String value) {
    processEnv.put(key, value);
    return this;
  }

  Path callsFile() {
    return root.resolve("calls.log");
  }

  Path sleepsFile() {
    return root.resolve("sleeps.log");
  }

  List<String> calls() throws IOException {
    return Files.exists(callsFile()) ? Files.readAllLines(callsFile()) : List.of();
  }

  List<String> calls(String command) throws IOException {
    return calls().stream().filter(c -> c.equals(command) || c.startsWith(command + " ")).toList();
  }

  List<Integer> sleeps() throws IOException {
    if (!Files.exists(sleepsFile())) {
      return List.of();
    }
    return Files.readAllLines(sleepsFile()).stream().map(String::trim).map(Integer::parseInt).toList();
  }

  Result run(String script, String... args) throws Exception {
    Path scriptPath = COMPONENTS.resolve(script);
    assertThat(scriptPath).exists();
    Path env = root.resolve("kilonode.env");
    StringBuilder sb = new StringBuilder();
    envFile.forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
    Files.writeString(env, sb.toString());

    List<String> cmd = new ArrayList<>(List.of("bash", scriptPath.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("KILONODE_") || k.startsWith("AWS_") || k.equals("JOURNAL_STREAM"));
    e.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    e.put("KILONODE_ENV_FILE", env.toString());
    e.put("KILONODE_LIB", LIB.toString());
    e.put("KILONODE_STATE_DIR", root.resolve("state").toString());
    e.put("KILONODE_SLEEP", "kilonode-sleep");
    e.put("KILONODE_TEST_CALLS", callsFile().toString());
    e.put("KILONODE_TEST_SLEEPS", sleepsFile().toString());
    e.put("KILONODE_TEST_ROOT", root.toString());
    e.putAll(processEnv);

    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
    CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(script + " did not finish within 60 s; stderr so far:\n" + err.getNow(""));
    }
    return new Result(p.exitValue(), out.get(), err.get());
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException ex) {
      throw new java.io.UncheckedIOException(ex);
    }
  }
}
