package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The node's containerd configuration ({@code install-kubernetes.sh containerd-config}, the same function the boot
 * and the bake run) against the REAL containerd of both majors an Ubuntu 24.04 node can install: noble's 1.7.12 and
 * noble-updates' 2.2.1, represented here by Debian's 1.7.24 (trixie) and 2.1.9 (sid), which .ci/run unpacks into
 * /opt/kilonode-test-containerd/{trixie,sid} ($KILONODE_TEST_CONTAINERD_1_7, $KILONODE_TEST_CONTAINERD_2).
 * What the node gets is read back with containerd's own {@code config dump} and parsed here with a TOML parser
 * (Jackson's), not with the script's own helpers. Only systemctl is stubbed (recorded).
 *
 * <p>2.1 vs 2.2 for these keys (containerd git diff v2.1.9 v2.2.1): the config format stays version 3
 * (version/version.go ConfigVersion = 3), {@code pinned_images.sandbox} and runc's {@code SystemdCgroup} keep their
 * tables (internal/cri/config/config.go, config_unix.go); 2.2 changes the default pause tag (3.10 -> 3.10.1, replaced
 * by the stack's own) and the default registry {@code config_path} ("" -> "/etc/containerd/certs.d:/etc/docker/certs.d",
 * config_unix.go DefaultImageConfig; kilonode writes no hosts directories, so nothing is read from there).
 */
class ContainerdConfigTest {
  static final String INSTALL = "KubernetesNode/install-kubernetes.sh";
  static final String PAUSE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/kilonode-dev/pause@sha256:" + "a".repeat(64);
  static final TomlMapper TOML = new TomlMapper();

  /** The two majors, where their binaries are, and where each keeps the two values in its config format. */
  enum Major {
    V1_7("KILONODE_TEST_CONTAINERD_1_7", "trixie", 2, "1.7.",
        List.of("plugins", "io.containerd.grpc.v1.cri", "sandbox_image")),
    V2("KILONODE_TEST_CONTAINERD_2", "sid", 3, "2.",
        List.of("plugins", "io.containerd.cri.v1.images", "pinned_images", "sandbox"));

    final String env;
    final String suite;
    final int configVersion;
    final String versionPrefix;
    final List<String> sandboxPath;

    Major(String env, String suite, int configVersion, String versionPrefix, List<String> sandboxPath) {
      this.env = env;
      this.suite = suite;
      this.configVersion = configVersion;
      this.versionPrefix = versionPrefix;
      this.sandboxPath = sandboxPath;
    }

    List<String> systemdCgroupPath() {
      String cri = this == V1_7 ? "io.containerd.grpc.v1.cri" : "io.containerd.cri.v1.runtime";
      return List.of("plugins", cri, "containerd", "runtimes", "runc", "options", "SystemdCgroup");
    }

    /** The unpacked usr/bin with containerd and ctr. Fails (does not skip) when .ci/run has not put it there. */
    Path bin() {
      String v = System.getenv(env);
      Path dir = Path.of(v != null && !v.isBlank() ? v : "/opt/kilonode-test-containerd/" + suite + "/usr/bin");
      for (String tool : List.of("containerd", "ctr")) {
        if (!Files.isExecutable(dir.resolve(tool))) {
          throw new AssertionError(dir.resolve(tool) + " is missing: .ci/run unpacks Debian " + suite
              + "'s containerd there, or set " + env);
        }
      }
      return dir;
    }
  }

  @TempDir Path tmp;

  ScriptHarness harness(Major major) throws Exception {
    ScriptHarness h = new ScriptHarness(tmp);
    Path root = Files.createDirectories(tmp.resolve("root"));
    h.env("KUBERNETES_VERSION", "1.33.10").env("KUBERNETES_MINOR", "1.33").env("KILONODE_REGION", "us-east-1")
        .env("KERNEL_SERIES", "6.8").env("KERNEL_PACKAGE", "linux-aws-lts-24.04")
        .env("KERNEL_HEADERS_PACKAGE", "linux-headers-aws-lts-24.04").env("HUGE_PAGES_2MB", "128")
        .env("PAUSE_IMAGE", PAUSE)
        .env("ECR_CREDENTIAL_PROVIDER_URL", "https://artifacts.example/ecr-credential-provider-linux-amd64")
        .env("CREDENTIAL_PROVIDER_BIN_DIR", "/usr/local/libexec/kubernetes/image-credential-providers");
    // Stubs first, then the real containerd, then the system.
    h.processEnv("KILONODE_ROOT", root.toString()).processEnv("PATH",
        h.bin + ":" + major.bin() + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    h.stub("systemctl", "exit 0");
    return h;
  }

  Path config() {
    return tmp.resolve("root/etc/containerd/config.toml");
  }

  /** containerd's own view of FILE (`containerd -c FILE config dump`), parsed as TOML. */
  static JsonNode dump(Major major, Path file) throws Exception {
    RealEtcd.Run r = RealEtcd.exec(List.of(major.bin().resolve("containerd").toString(), "-c", file.toString(),
        "config", "dump"));
    assertThat(r.exitCode()).as(r.output()).isZero();
    // Warnings go to stderr (merged here) as logfmt lines; the TOML starts at `version` / the first key.
    String toml = r.output().lines().filter(l -> !l.startsWith("time=")).reduce("", (a, b) -> a + b + "\n");
    return TOML.readTree(toml);
  }

  static JsonNode at(JsonNode node, List<String> path) {
    for (String p : path) {
      node = node.path(p);
    }
    return node;
  }

  @ParameterizedTest
  @EnumSource(Major.class)
  void containerdItselfReadsSystemdCgroupAndThePinnedPauseImage(Major major) throws Exception {
    ScriptHarness h = harness(major);
    ScriptHarness.Result r = h.run(INSTALL, "containerd-config");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stderr()).contains("containerd " + major.versionPrefix)
        .contains(": config version " + major.configVersion + ", SystemdCgroup = true");

    JsonNode effective = dump(major, config());
    assertThat(effective.path("version").asInt()).isEqualTo(major.configVersion);
    assertThat(at(effective, major.systemdCgroupPath()).isBoolean()).isTrue();
    assertThat(at(effective, major.systemdCgroupPath()).asBoolean()).isTrue();
    assertThat(at(effective, major.sandboxPath).asText()).isEqualTo(PAUSE);
    // The socket the kubelet (kubeadm's criSocket) and crictl.yaml name is where this containerd listens.
    String address = effective.path("grpc").path("address").asText();
    assertThat(KubeadmConfig.CRI_SOCKET).isEqualTo("unix://" + address);
    assertThat(Files.readString(ScriptHarness.COMPONENTS.resolve(INSTALL)))
        .contains("runtime-endpoint: unix://" + address + "\\nimage-endpoint: unix://" + address);
    assertThat(h.calls("systemctl")).containsExactly("systemctl restart containerd");
    try (Stream<Path> left = Files.list(config().getParent())) {
      assertThat(left.map(p -> p.getFileName().toString())).containsExactly("config.toml");
    }

    // Unchanged on a second run: no restart.
    Files.delete(h.callsFile());
    ScriptHarness.Result again = h.run(INSTALL, "containerd-config");
    assertThat(again.exitCode()).as(again.output()).isZero();
    assertThat(h.calls("systemctl")).isEmpty();
  }

  /** The regression: the sed of containerd 1.7's key (install-kubernetes.sh before this test) stops every 2.x node. */
  @ParameterizedTest
  @EnumSource(Major.class)
  void theOldSandboxImageSedStopsOnlyTheTwoXNodes(Major major) throws Exception {
    Path old = tmp.resolve("old-containerd-block.sh");
    Files.writeString(old, """
        set -euo pipefail
        . "$KILONODE_ENV_FILE"
        . "$KILONODE_LIB"
        R=$KILONODE_ROOT
        cfg=$R/etc/containerd/config.toml
        install -d "$R/etc/containerd"
        containerd config default >"$cfg.new"
        sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' "$cfg.new"
        sed -i "s|sandbox_image = .*|sandbox_image = \\"$PAUSE_IMAGE\\"|" "$cfg.new"
        grep -qF "sandbox_image = \\"$PAUSE_IMAGE\\"" "$cfg.new" ||
          die "containerd: no sandbox_image key in its default config ($(containerd --version)); cannot set $PAUSE_IMAGE"
        """);
    ProcessBuilder pb = new ProcessBuilder("bash", old.toString());
    pb.environment().put("PATH", major.bin() + ":" + System.getenv("PATH"));
    Files.writeString(tmp.resolve("old.env"), "PAUSE_IMAGE=" + PAUSE + "\n");
    pb.environment().put("KILONODE_ENV_FILE", tmp.resolve("old.env").toString());
    pb.environment().put("KILONODE_LIB", ScriptHarness.LIB.toString());
    pb.environment().put("KILONODE_ROOT", tmp.resolve("root").toString());
    Process p = pb.redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    int code = p.waitFor();
    if (major == Major.V1_7) {
      assertThat(code).as(out).isZero();
      assertThat(Files.readString(tmp.resolve("root/etc/containerd/config.toml.new")))
          .contains("sandbox_image = \"" + PAUSE + "\"");
    } else {
      assertThat(code).as(out).isNotZero();
      assertThat(out).contains("no sandbox_image key in its default config");
    }
  }

  @Test
  void aContainerdOtherThanOneSevenOrTwoStopsWithOneMessage() throws Exception {
    for (String version : List.of("1.6.36", "3.0.0")) {
      ScriptHarness h = harness(Major.V2);
      Files.deleteIfExists(h.callsFile());
      h.stub("containerd", "[[ $1 == --version ]] && echo 'containerd github.com/containerd/containerd " + version
          + " deadbeef'; exit 0");
      ScriptHarness.Result r = h.run(INSTALL, "containerd-config");
      assertThat(r.exitCode()).isNotZero();
      assertThat(r.stderr().lines().filter(l -> l.contains("ERROR"))).singleElement().asString()
          .contains("installed version '" + version + "'").contains("kilonode configures containerd 1.7 and 2.x only");
      assertThat(config()).doesNotExist();
      assertThat(h.calls("systemctl")).isEmpty();
    }
  }

  /**
   * The check is containerd's parser, not the script's edit: an import that sets SystemdCgroup back to false (merged
   * by containerd, invisible to the edit) stops the script and leaves the running config and containerd alone; so
   * does a file containerd cannot parse.
   */
  @ParameterizedTest
  @EnumSource(Major.class)
  void aConfigContainerdDoesNotConfirmIsNeverInstalled(Major major) throws Exception {
    ScriptHarness h = harness(major);
    Path override = tmp.resolve("override.toml");
    Files.writeString(override, "version = " + major.configVersion + "\n[" + String.join(".",
        major.systemdCgroupPath().subList(0, 6).stream().map(s -> s.contains(".") ? "\"" + s + "\"" : s).toList())
        + "]\n  SystemdCgroup = false\n");
    Path real = major.bin().resolve("containerd");
    Files.createDirectories(config().getParent());
    Files.writeString(config(), "# the running config\n");
    for (String[] c : new String[][] {
        {"imports", "sed \"s|^imports = \\[\\]|imports = ['" + override + "']|\"", "not version"},
        {"unparsable", "sed '$a [grpc]'", "rejects"}}) {
      h.stub("containerd", "if [[ $* == 'config default' ]]; then '" + real + "' config default | " + c[1]
          + "; else exec '" + real + "' \"$@\"; fi");
      Files.deleteIfExists(h.callsFile());
      ScriptHarness.Result r = h.run(INSTALL, "containerd-config");
      assertThat(r.exitCode()).as(c[0] + ": " + r.output()).isNotZero();
      assertThat(r.stderr()).as(c[0]).contains(c[2]);
      assertThat(Files.readString(config())).isEqualTo("# the running config\n");
      assertThat(h.calls("systemctl")).isEmpty();
    }
  }

  /**
   * Day 2: a node configured under 1.7 whose containerd apt then upgrades to 2.x (noble-security carries 2.2.1;
   * unattended-upgrades installs security updates) keeps both values: 2.x migrates the version 2 file in memory.
   */
  @Test
  void aOneSevenConfigKeepsBothValuesUnderTwoX() throws Exception {
    ScriptHarness h = harness(Major.V1_7);
    ScriptHarness.Result r = h.run(INSTALL, "containerd-config");
    assertThat(r.exitCode()).as(r.output()).isZero();
    JsonNode migrated = dump(Major.V2, config());
    assertThat(migrated.path("version").asInt()).isEqualTo(3);
    assertThat(at(migrated, Major.V2.systemdCgroupPath()).asBoolean()).isTrue();
    assertThat(at(migrated, Major.V2.sandboxPath).asText()).isEqualTo(PAUSE);
  }

  /** Every ctr flag the node scripts pass (lib.sh's pulls and runs, the bake's pulls/tags/runs) exists in both ctrs. */
  @ParameterizedTest
  @EnumSource(Major.class)
  void everyCtrFlagTheNodeScriptsUseExists(Major major) throws Exception {
    List<String[]> uses = new ArrayList<>();
    Pattern call = Pattern.compile("\\bctr -n k8s\\.io (images pull|images tag|images ls|run)\\b(.*)");
    for (String script : List.of("KubernetesNode/lib.sh", "KubernetesNode/install-kubernetes.sh",
        "BakedNodeImage/bake-node.sh")) {
      String text = Files.readString(ScriptHarness.COMPONENTS.resolve(script)).replace("\\\n", " ");
      for (String line : text.lines().toList()) {
        Matcher m = call.matcher(line);
        if (m.find()) {
          Matcher f = Pattern.compile("(?<=\\s)(--[a-z][a-z-]*|-[a-z])\\b").matcher(m.group(2));
          while (f.find()) {
            uses.add(new String[] {m.group(1), f.group(1)});
          }
        }
      }
    }
    assertThat(uses).extracting(u -> u[0] + " " + u[1])
        .contains("images pull --user", "images tag --force", "images ls -q", "run --net-host", "run --mount");
    String ctr = major.bin().resolve("ctr").toString();
    assertThat(RealEtcd.exec(List.of(ctr, "--help")).output()).contains("--namespace value, -n value");
    for (String[] u : uses) {
      List<String> cmd = new ArrayList<>(List.of(ctr));
      cmd.addAll(List.of(u[0].split(" ")));
      cmd.add("--help");
      String help = RealEtcd.exec(cmd).output();
      assertThat(help).as("ctr " + u[0] + " --help").containsPattern("(^|\\s|,)" + Pattern.quote(u[1]) + "(\\s|,|$)");
    }
  }
}
