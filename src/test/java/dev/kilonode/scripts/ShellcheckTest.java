package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every on-node script is shellcheck-clean and follows the common preamble. */
class ShellcheckTest {

  /** Scripts that run in a container of an upstream image, not on the node (components/ContrailCni). */
  static final Path CONTAINER_SCRIPTS = ScriptHarness.COMPONENTS.resolve("ContrailCni");

  static List<Path> scripts() throws IOException {
    try (Stream<Path> s = Files.walk(ScriptHarness.COMPONENTS)) {
      return s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
    }
  }

  @Test
  void shellcheckFindsNothing() throws Exception {
    List<Path> scripts = scripts();
    assertThat(scripts).as("scripts under components/").isNotEmpty();
    List<String> cmd = new ArrayList<>(List.of("shellcheck", "-x",
        "-P", ScriptHarness.LIB.getParent().toString(), "-f", "gcc"));
    scripts.forEach(p -> cmd.add(p.toString()));
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      fail("shellcheck is not installed (apt-get update && apt-get install -y shellcheck): " + e.getMessage());
      return;
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(out).as("shellcheck output").isEmpty();
    assertThat(p.exitValue()).as(out).isZero();
  }

  @Test
  void scriptsShareThePreamble() throws Exception {
    for (Path p : scripts()) {
      String text = Files.readString(p);
      if (p.equals(ScriptHarness.LIB)) {
        assertThat(text).startsWith("# shellcheck shell=bash");
        continue;
      }
      assertThat(text).as(p.toString()).startsWith("#!/usr/bin/env bash\n")
          .contains("\nset -euo pipefail\n").doesNotContain("set -x");
      if (p.startsWith(CONTAINER_SCRIPTS)) {
        // Runs inside an upstream image (the vRouter agent pod, a ConfigMap): no kilonode env file or lib.sh there.
        assertThat(text).doesNotContain("KILONODE_ENV_FILE").doesNotContain("KILONODE_LIB");
        assertThat(Files.isExecutable(p)).as(p + " is executable").isTrue();
        continue;
      }
      assertThat(text).as(p.toString())
          .contains(". \"${KILONODE_ENV_FILE:-/etc/kilonode/kilonode.env}\"")
          .contains(". \"${KILONODE_LIB:-/opt/kilonode/lib.sh}\"")
          .doesNotContain("set -x");
      assertThat(Files.isExecutable(p)).as(p + " is executable").isTrue();
    }
  }

  @Test
  void everyTimerHasItsService() throws Exception {
    try (Stream<Path> s = Files.walk(ScriptHarness.COMPONENTS)) {
      for (Path timer : s.filter(p -> p.toString().endsWith(".timer")).toList()) {
        Path service = timer.resolveSibling(timer.getFileName().toString().replace(".timer", ".service"));
        assertThat(service).exists();
        assertThat(Files.readString(timer)).contains("OnUnitActiveSec=").contains("WantedBy=timers.target");
        String unit = Files.readString(service);
        assertThat(unit).contains("Type=oneshot");
        String exec = unit.lines().filter(l -> l.startsWith("ExecStart=/opt/kilonode/")).findFirst().orElseThrow();
        assertThat(timer.resolveSibling(exec.substring("ExecStart=/opt/kilonode/".length()))).exists();
      }
    }
  }
}
