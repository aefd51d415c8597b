package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bake (components/BakedNodeImage/bake-node.sh) and the vRouter pods run the same kernel-init wrapper
 * (components/ContrailCni/vrouter-kernel-init.sh) in the kernel-build-init image; what the bake leaves must be what
 * a pod start finds. {@code ctr run} is a small container model: a fresh copy of a fake image per run, each
 * {@code --mount} a symlink into the fake host root, the command run with that container root. The image's
 * entrypoint is a model of OpenSDN-io/tf-container-builder@ad1c5969 containers/vrouter/kernel-build-init/entrypoint.sh
 * (its facts, not its code): copy /vrouter_src to /usr/src/vrouter-&lt;contrail_version&gt;, write dkms.conf, "compile"
 * (a real ELF object whose .modinfo version is the source's VROUTER_VERSIONID, so the real modinfo reads it), install
 * at /lib/modules/&lt;kernel&gt;/updates/dkms/vrouter.ko, depmod, touch module_compiled. Every compile is counted.
 */
class BakedVrouterModuleTest {
  static final String BAKE = "BakedNodeImage/bake-node.sh";
  static final NetworkRelease ROW = NetworkReleases.table().defaultRow();
  static final String KERNEL = ROW.kernel().series() + ".0-1040-aws";
  static final String REGISTRY = "111122223333.dkr.ecr.us-east-1.amazonaws.com";
  static final String KERNEL_INIT = REGISTRY + "/kilonode-dev/opensdn-vrouter-kernel-build-init@sha256:" + "cd".repeat(32);
  static final String KERNEL_INIT_TAG = REGISTRY + "/kilonode-dev/opensdn-vrouter-kernel-build-init:R25.1-latest";

  @TempDir Path tmp;
  ScriptHarness h;
  Path host;
  Path image;
  Path containers;

  @BeforeAll
  static void realTools() throws Exception {
    for (String tool : List.of("jq", "modinfo", "as", "objcopy", "diff")) {
      ScriptHarness.requireTool(tool);
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    host = Files.createDirectories(tmp.resolve("host"));
    containers = Files.createDirectories(tmp.resolve("containers"));
    for (String d : List.of("usr/src", "lib/modules/" + KERNEL, "bin", "var/log/contrail")) {
      Files.createDirectories(host.resolve(d));
    }
    Files.writeString(host.resolve("lib/modules/" + KERNEL + "/modules.dep"), "kernel/fs/nls/nls_utf8.ko.zst:\n");
    image = Files.createDirectories(tmp.resolve("image"));
    write(image.resolve("contrail_version"), "R25.1-latest\n");
    write(image.resolve("vrouter_src/include/vr_buildinfo.h"), "#define VROUTER_VERSIONID \"25.1.0\"\n");
    write(image.resolve("vrouter_src/linux/vrouter_mod.c"), "MODULE_VERSION(VROUTER_VERSIONID);\n");
    write(image.resolve("usr/bin/vif"), "vif\n");
    executable(image.resolve("entrypoint.sh"), modelEntrypoint());
    Path runtime = executable(tmp.resolve("fake-ctr-run.sh"), containerModel());
    // /opt/kilonode on the build instance: the document writes these scripts there (NodeImageDocument).
    Path bin = Files.createDirectories(tmp.resolve("opt-kilonode"));
    Files.createSymbolicLink(bin.resolve("install-kubernetes.sh"),
        ScriptHarness.COMPONENTS.resolve("KubernetesNode/install-kubernetes.sh"));
    Files.createSymbolicLink(bin.resolve("vrouter-kernel-init.sh"),
        ScriptHarness.COMPONENTS.resolve("ContrailCni/vrouter-kernel-init.sh"));

    h.env("KUBERNETES_VERSION", "1.33.10").env("KUBERNETES_MINOR", "1.33").env("KILONODE_REGION", "us-east-1")
        .env("KERNEL_SERIES", ROW.kernel().series()).env("KERNEL_PACKAGE", ROW.kernel().packageName())
        .env("KERNEL_HEADERS_PACKAGE", ROW.kernel().headersPackage()).env("HUGE_PAGES_2MB", "128")
        .env("BAKE_REGISTRY", REGISTRY).env("BAKE_IMAGES", KERNEL_INIT + "=" + KERNEL_INIT_TAG)
        .env("VROUTER_KERNEL_INIT_IMAGE", KERNEL_INIT);
    h.processEnv("KILONODE_ROOT", host.toString()).processEnv("KILONODE_KERNEL_RELEASE", KERNEL)
        .processEnv("KILONODE_BIN", bin.toString()).processEnv("KILONODE_TEST_COMPILES", compiles().toString());
    h.stub("aws", "echo pw");
    h.stub("kubeadm", "echo v1.33.10");
    h.stub("ctr", "case $3 in\n"
        + "  run) shift 3; exec bash '" + runtime + "' '" + tmp + "' '" + host + "' '" + image + "' '" + containers
        + "' \"$@\";;\n"
        + "  images) [[ $4 != ls ]] || printf '%s\\n' '" + KERNEL_INIT + "' '" + KERNEL_INIT_TAG + "';;\n"
        + "esac");
  }

  @Test
  void theBakeBuildsOnceAndNoPodStartOnTheBakedNodeCompiles() throws Exception {
    ScriptHarness.Result bake = h.run(BAKE, "images");
    assertThat(bake.exitCode()).as(bake.output()).isZero();
    assertThat(compileCount()).isEqualTo(1);
    assertThat(bake.output()).contains("building vrouter.ko: no ").contains("a pod start would skip the build");
    assertThat(host.resolve("etc/kilonode/baked.json")).exists();
    // The bake ran the wrapper (not the bare entrypoint) in the locked kernel-init image.
    assertThat(h.calls("ctr")).filteredOn(c -> c.startsWith("ctr -n k8s.io run ")).hasSize(2)
        .allMatch(c -> c.contains(" " + KERNEL_INIT + " ") && c.contains("/bin/bash /opt/kilonode/vrouter-kernel-init.sh")
            && c.contains("dst=/opt/kilonode/vrouter-kernel-init.sh,options=rbind:ro"));

    ScriptHarness.Result validate = h.run(BAKE, "validate");
    assertThat(validate.exitCode()).as(validate.output()).isZero();
    assertThat(compileCount()).isEqualTo(1);

    for (int boot = 0; boot < 2; boot++) {
      Result pod = podStart("pod-" + boot);
      assertThat(pod.exitCode()).as(pod.output()).isZero();
      assertThat(pod.output()).contains("not rebuilding");
    }
    assertThat(compileCount()).isEqualTo(1);
    assertThat(host.resolve("bin/vif")).hasContent("vif");
  }

  @Test
  void aStockNodeCompilesAtItsFirstPodStartOnly() throws Exception {
    Result first = podStart("pod-0");
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("building vrouter.ko: no ");
    Result second = podStart("pod-1");
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("not rebuilding");
    assertThat(compileCount()).isEqualTo(1);
  }

  @Test
  void aNewImageOfTheSameReleaseCompilesOnceThenNoMore() throws Exception {
    assertThat(h.run(BAKE, "images").exitCode()).isZero();
    // Same VROUTER_VERSIONID (the release's base version), one fixed source file: a new module.
    write(image.resolve("vrouter_src/linux/vrouter_mod.c"), "MODULE_VERSION(VROUTER_VERSIONID); /* fix */\n");
    Result upgraded = podStart("pod-upgrade");
    assertThat(upgraded.exitCode()).as(upgraded.output()).isZero();
    assertThat(upgraded.output()).contains("is not this image's source");
    assertThat(compileCount()).isEqualTo(2);
    assertThat(podStart("pod-after").output()).contains("not rebuilding");
    assertThat(compileCount()).isEqualTo(2);
  }

  @Test
  void aBakeThatLeavesAModuleAPodWouldRebuildFails() throws Exception {
    // An entrypoint that installs the module without depmod: modprobe could not find it; a pod start would build.
    h.processEnv("KILONODE_TEST_NO_DEPMOD", "1");
    ScriptHarness.Result bake = h.run(BAKE, "images");
    assertThat(bake.exitCode()).isNotZero();
    assertThat(bake.output()).contains("modules.dep does not list updates/dkms/vrouter.ko")
        .contains("a vRouter pod start on this image would compile vrouter.ko again");
    assertThat(host.resolve("etc/kilonode/baked.json")).doesNotExist();
  }

  @Test
  void validateFailsWhenTheBakedModuleIsNoLongerWhatThePodsWouldFind() throws Exception {
    assertThat(h.run(BAKE, "images").exitCode()).isZero();
    write(image.resolve("vrouter_src/include/vr_buildinfo.h"), "#define VROUTER_VERSIONID \"25.1.1\"\n");
    ScriptHarness.Result validate = h.run(BAKE, "validate");
    assertThat(validate.exitCode()).isNotZero();
    assertThat(validate.output()).contains("version '25.1.0', this image builds '25.1.1'")
        .contains("validate: a vRouter pod start would compile vrouter.ko again");
    assertThat(compileCount()).isEqualTo(1);
  }

  record Result(int exitCode, String output) {
  }

  /** A pod start as the DaemonSet mounts it (ContrailCni: /usr/src, /lib/modules, /host/bin, the ConfigMap). */
  private Result podStart(String id) throws Exception {
    Path configMap = Files.createDirectories(tmp.resolve("configmap-" + id));
    Files.copy(ScriptHarness.COMPONENTS.resolve("ContrailCni/vrouter-kernel-init.sh"),
        configMap.resolve("vrouter-kernel-init.sh"));
    List<String> cmd = new ArrayList<>(List.of("bash", tmp.resolve("fake-ctr-run.sh").toString(), tmp.toString(),
        host.toString(), image.toString(), containers.toString()));
    for (String m : List.of("src=/usr/src,dst=/usr/src", "src=/lib/modules,dst=/lib/modules", "src=/bin,dst=/host/bin",
        "src=/var/log/contrail,dst=/var/log/contrail",
        "src=" + configMap + "/vrouter-kernel-init.sh,dst=/opt/kilonode/vrouter-kernel-init.sh")) {
      cmd.addAll(List.of("--mount", "type=bind," + m + ",options=rbind:rw"));
    }
    cmd.addAll(List.of(KERNEL_INIT_TAG, id, "/bin/bash", "/opt/kilonode/vrouter-kernel-init.sh"));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("KILONODE_"));
    pb.environment().put("KILONODE_KERNEL_RELEASE", KERNEL);
    pb.environment().put("KILONODE_TEST_COMPILES", compiles().toString());
    pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return new Result(p.exitValue(), out);
  }

  private Path compiles() {
    return tmp.resolve("compiles.log");
  }

  private int compileCount() throws IOException {
    return Files.exists(compiles()) ? Files.readAllLines(compiles()).size() : 0;
  }

  /** ctr run's part that matters here: a fresh container from the image, bind mounts, the command as PID 1. */
  private static String containerModel() {
    return """
        #!/usr/bin/env bash
        # fake-ctr-run.sh TEST_DIR HOST_ROOT IMAGE_DIR CONTAINERS_DIR [ctr run flags] IMAGE ID COMMAND...
        set -euo pipefail
        test_dir=$1 host=$2 image_dir=$3 containers=$4
        shift 4
        mounts=()
        while [[ $1 == --* ]]; do
          if [[ $1 == --mount ]]; then mounts+=("$2"); shift 2; else shift; fi
        done
        id=$2
        shift 2
        c=$containers/$id
        rm -rf "$c"
        cp -a "$image_dir" "$c"
        for m in "${mounts[@]}"; do
          src=$(sed -n 's/.*src=\\([^,]*\\).*/\\1/p' <<<"$m")
          dst=$(sed -n 's/.*dst=\\([^,]*\\).*/\\1/p' <<<"$m")
          # A source under the test directory is a file of the test (the wrapper); others are the host's paths.
          [[ $src == "$test_dir"/* ]] || src=$host$src
          mkdir -p "$(dirname "$c$dst")"
          rm -rf "${c:?}$dst"
          ln -s "$src" "$c$dst"
        done
        cmd=()
        for a in "$@"; do
          if [[ $a == /opt/kilonode/* ]]; then cmd+=("$c$a"); else cmd+=("$a"); fi
        done
        # The image's own PATH (Ubuntu's default), not the test's stubs.
        KILONODE_ROOT=$c PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin exec "${cmd[@]}"
        """;
  }

  /** The entrypoint's facts (see the class comment); "compiling" is counted in KILONODE_TEST_COMPILES. */
  private static String modelEntrypoint() {
    return """
        #!/usr/bin/env bash
        set -euo pipefail
        R=$KILONODE_ROOT k=$KILONODE_KERNEL_RELEASE
        v=$(cat "$R/contrail_version")
        d=$R/usr/src/vrouter-$v
        mkdir -p "$d"
        cp -a "$R/vrouter_src/." "$d/"
        chmod -R 755 "$d"
        printf 'PACKAGE_NAME=vrouter\\nPACKAGE_VERSION=%s\\n' "$v" >"$d/dkms.conf"
        rm -rf "$R/vrouter_src"
        echo "compile $k" >>"$KILONODE_TEST_COMPILES"
        version=$(sed -n 's/^#define VROUTER_VERSIONID "\\(.*\\)"$/\\1/p' "$d/include/vr_buildinfo.h")
        work=$(mktemp -d)
        as -o "$work/e.o" /dev/null
        printf 'version=%s\\0name=vrouter\\0' "$version" >"$work/modinfo"
        mkdir -p "$R/lib/modules/$k/updates/dkms"
        rm -f "$R/lib/modules/$k/updates/dkms/vrouter.ko"
        objcopy --add-section ".modinfo=$work/modinfo" "$work/e.o" "$R/lib/modules/$k/updates/dkms/vrouter.ko"
        rm -rf "$work"
        if [[ -z ${KILONODE_TEST_NO_DEPMOD:-} ]] && ! grep -q '^updates/dkms/vrouter.ko:' "$R/lib/modules/$k/modules.dep"; then
          echo 'updates/dkms/vrouter.ko:' >>"$R/lib/modules/$k/modules.dep"
        fi
        touch "$d/module_compiled"
        """;
  }

  private static Path write(Path path, String content) throws IOException {
    Files.createDirectories(path.getParent());
    return Files.writeString(path, content, StandardCharsets.UTF_8);
  }

  private static Path executable(Path path, String content) throws IOException {
    write(path, content);
    Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rwxr-xr-x"));
    return path;
  }
}
