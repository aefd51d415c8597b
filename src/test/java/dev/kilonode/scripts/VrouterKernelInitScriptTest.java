package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * components/ContrailCni/vrouter-kernel-init.sh in a fake root laid out as the kernel-build-init image and the host
 * paths the pod mounts (OpenSDN-io/tf-container-builder@ad1c5969 containers/vrouter/kernel-build-init/: Dockerfile
 * ENTRYPOINT ["/entrypoint.sh"], /contrail_version, /vrouter_src; entrypoint.sh's /usr/src/vrouter-&lt;version&gt;
 * with dkms.conf and module_compiled, /lib/modules/&lt;kernel&gt;/updates/dkms/vrouter.ko). The module is a real ELF
 * object with a {@code .modinfo} section (binutils {@code as} + {@code objcopy}) read by the real kmod
 * {@code modinfo}, so the version the script compares is the one modinfo prints. The image's entrypoint is a stub
 * that records its process id (the script must exec it, not run it as a child) and exits 7.
 */
class VrouterKernelInitScriptTest {

  static final Path SCRIPT = ScriptHarness.COMPONENTS.resolve("ContrailCni/vrouter-kernel-init.sh");
  static final String KERNEL = "6.8.0-1021-aws";
  static final String PACKAGE_VERSION = "R25.1-latest";
  /** tf-build@4441fab rules.py GetBuildVersion: controller/src/base/version.info, e.g. 25.1.0. */
  static final String MODULE_VERSION = "25.1.0";
  static final int ENTRYPOINT_EXIT = 7;

  @TempDir Path root;
  Path tools;

  record Run(int exitCode, long pid, String output) {
  }

  @BeforeAll
  static void realTools() throws Exception {
    for (String tool : List.of("modinfo", "as", "objcopy", "diff")) {
      ScriptHarness.requireTool(tool);
    }
  }

  @BeforeEach
  void matchingHost() throws Exception {
    tools = Files.createDirectories(root.resolve("test-tools"));
    // The image.
    write("contrail_version", PACKAGE_VERSION + "\n");
    write("vrouter_src/include/vr_buildinfo.h", header(MODULE_VERSION));
    write("vrouter_src/linux/vrouter_mod.c", "MODULE_VERSION(VROUTER_VERSIONID);\n");
    write("vrouter_src/dp-core/vr_buildinfo.c", "char *ContrailBuildInfo = \"{}\";\n");
    write("vrouter_src/version", "25.1.0\n");
    write("usr/bin/vif", "vif binary\n");
    Path entrypoint = write("entrypoint.sh", "#!/bin/bash\necho \"$$ $*\" > \"$KILONODE_TEST_ENTRYPOINT\"\nexit "
        + ENTRYPOINT_EXIT + "\n");
    Files.setPosixFilePermissions(entrypoint, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectories(root.resolve("host/bin"));
    // The host after the entrypoint ran once: the source copy, dkms.conf, then the module, then module_compiled.
    copyTree(root.resolve("vrouter_src"), sourceDir());
    write(sourceDir().resolve("dkms.conf"), "PACKAGE_NAME=vrouter\nPACKAGE_VERSION=" + PACKAGE_VERSION + "\n");
    module(MODULE_VERSION);
    write(modules().resolve("modules.dep"), "kernel/fs/nls/nls_utf8.ko.zst:\nupdates/dkms/vrouter.ko:\n");
    write(sourceDir().resolve("module_compiled"), "");
    setTime(sourceDir().resolve("dkms.conf"), 1_000);
    setTime(sourceDir().resolve("module_compiled"), 2_000);
  }

  @Test
  void matchingModuleFromThisImagesSourcesIsNotRebuilt() throws Exception {
    Run run = run();
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(entrypointRan()).as("the entrypoint must not run").isFalse();
    assertThat(run.output()).contains("vrouter.ko for " + KERNEL + " is version " + MODULE_VERSION)
        .contains("not rebuilding");
    // What the entrypoint would have done after a build, and the host keeps: vif on the host's /bin.
    assertThat(root.resolve("host/bin/vif")).hasContent("vif binary");
    assertThat(Files.isExecutable(root.resolve("host/bin/vif"))).isTrue();
    // The decision is also in the entrypoint's log when that directory is mounted.
    Files.createDirectories(root.resolve("var/log/contrail/vrouter-kernel-build-init"));
    assertThat(run().exitCode()).isZero();
    assertThat(root.resolve("var/log/contrail/vrouter-kernel-build-init/console.log")).content()
        .contains("not rebuilding");
  }

  @Test
  void aDifferentModuleVersionIsRebuilt() throws Exception {
    module("24.1.0");
    assertBuilds(run(), "version '24.1.0', this image builds '" + MODULE_VERSION + "'");
  }

  @Test
  void anAbsentModuleIsBuilt() throws Exception {
    Files.delete(modules().resolve("updates/dkms/vrouter.ko"));
    assertBuilds(run(), "no " + root.resolve("lib/modules/" + KERNEL + "/updates/dkms/vrouter.ko"));
  }

  @Test
  void aModuleForAnotherKernelOnlyIsBuiltForThisOne() throws Exception {
    Run run = run("6.8.0-1022-aws");
    assertBuilds(run, "no " + root.resolve("lib/modules/6.8.0-1022-aws/updates/dkms/vrouter.ko"));
  }

  @Test
  void anUnreadableModuleIsRebuilt() throws Exception {
    write(modules().resolve("updates/dkms/vrouter.ko"), "not an ELF object\n");
    assertBuilds(run(), "modinfo cannot read");
  }

  @Test
  void aModuleWithoutAVersionIsRebuilt() throws Exception {
    module(null);
    assertBuilds(run(), "has no version");
  }

  @Test
  void aModuleModprobeCannotFindIsRebuilt() throws Exception {
    write(modules().resolve("modules.dep"), "kernel/fs/nls/nls_utf8.ko.zst:\n");
    assertBuilds(run(), "modules.dep does not list updates/dkms/vrouter.ko");
  }

  @Test
  void sameVersionFromOtherSourcesIsRebuilt() throws Exception {
    // A newer build of the same release: same VROUTER_VERSIONID, one source file changed.
    write("vrouter_src/linux/vrouter_mod.c", "MODULE_VERSION(VROUTER_VERSIONID); /* fixed */\n");
    assertBuilds(run(), "is not this image's source");
  }

  @Test
  void anExtraSourceFileOnTheHostIsRebuilt() throws Exception {
    write(sourceDir().resolve("dp-core/vr_old.c"), "old\n");
    assertBuilds(run(), "is not this image's source");
  }

  @Test
  void aBuildThatDidNotFinishIsRebuilt() throws Exception {
    // The entrypoint rewrote dkms.conf (a later run) but never reached module_compiled.
    setTime(sourceDir().resolve("dkms.conf"), 3_000);
    assertBuilds(run(), "did not finish");
  }

  @Test
  void noFinishedBuildOfThisPackageVersionIsBuilt() throws Exception {
    write("contrail_version", "R25.1-2026-01-05\n");
    assertBuilds(run(), "vrouter-R25.1-2026-01-05 has no finished build");
  }

  @Test
  void anUnreadableImageVersionBuilds() throws Exception {
    Files.delete(root.resolve("contrail_version"));
    assertBuilds(run(), "contrail_version is missing or unreadable");
    write("contrail_version", "\n");
    assertBuilds(run(), "holds no usable version");
    write("contrail_version", "R25.1/../../etc\n");
    assertBuilds(run(), "holds no usable version");
  }

  @Test
  void anImageWithoutTheVersionHeaderBuilds() throws Exception {
    write("vrouter_src/include/vr_buildinfo.h", "#define VROUTER_VERSIONID_OTHER \"25.1.0\"\n");
    assertBuilds(run(), "defines no single VROUTER_VERSIONID");
    write("vrouter_src/include/vr_buildinfo.h", header("25.1.0") + header("25.1.1"));
    assertBuilds(run(), "defines no single VROUTER_VERSIONID");
    Files.delete(root.resolve("vrouter_src/include/vr_buildinfo.h"));
    assertBuilds(run(), "vr_buildinfo.h is missing or unreadable");
  }

  @Test
  void withoutModinfoItBuilds() throws Exception {
    // Every tool the script uses except modinfo.
    Path bin = Files.createDirectories(root.resolve("test-tools/no-modinfo"));
    for (String tool : List.of("bash", "env", "date", "head", "sed", "grep", "diff", "tr", "cp", "chmod", "uname")) {
      Files.createSymbolicLink(bin.resolve(tool), Path.of(which(tool)));
    }
    assertBuilds(run(KERNEL, bin.toString(), List.of()), "modinfo is not in this image");
  }

  @Test
  void checkModeReportsWithoutBuildingOrCopying() throws Exception {
    Run skip = run(KERNEL, null, List.of("--check"));
    assertThat(skip.exitCode()).as(skip.output()).isZero();
    assertThat(skip.output()).contains("a pod start would skip the build");
    assertThat(root.resolve("host/bin/vif")).doesNotExist();
    module("24.1.0");
    Run build = run(KERNEL, null, List.of("--check"));
    assertThat(build.exitCode()).as(build.output()).isEqualTo(1);
    assertThat(build.output()).contains("a pod start would build vrouter.ko").contains("'24.1.0'");
    assertThat(entrypointRan()).isFalse();
  }

  @Test
  void theEntrypointGetsTheContainersArguments() throws Exception {
    Files.delete(modules().resolve("updates/dkms/vrouter.ko"));
    Run run = run(KERNEL, null, List.of("one", "two"));
    assertThat(Files.readString(root.resolve("entrypoint.log")).trim()).isEqualTo(run.pid() + " one two");
    assertBuilds(run, "no ");
  }

  private void assertBuilds(Run run, String reason) throws IOException {
    assertThat(run.exitCode()).as(run.output()).isEqualTo(ENTRYPOINT_EXIT);
    assertThat(run.output()).contains("building vrouter.ko: ").contains(reason);
    assertThat(entrypointRan()).as("the entrypoint ran").isTrue();
    // exec: the entrypoint is the same process the container started (no wrapper left around it).
    String pid = Files.readString(root.resolve("entrypoint.log")).trim().split(" ")[0];
    assertThat(Long.parseLong(pid)).isEqualTo(run.pid());
    Files.delete(root.resolve("entrypoint.log"));
  }

  private boolean entrypointRan() {
    return Files.exists(root.resolve("entrypoint.log"));
  }

  private Run run() throws Exception {
    return run(KERNEL);
  }

  private Run run(String kernel) throws Exception {
    return run(kernel, null, List.of());
  }

  private Run run(String kernel, String path, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(path == null ? "bash" : path + "/bash", SCRIPT.toString()));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("KILONODE_"));
    env.put("PATH", path != null ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    env.put("KILONODE_ROOT", root.toString());
    env.put("KILONODE_KERNEL_RELEASE", kernel);
    env.put("KILONODE_TEST_ENTRYPOINT", root.resolve("entrypoint.log").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
      try (var in = p.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("vrouter-kernel-init.sh did not finish within 30 s");
    }
    return new Run(p.exitValue(), p.pid(), out.get());
  }

  /** A relocatable ELF object whose .modinfo section holds what modpost writes into a module (name, version...). */
  private void module(String version) throws Exception {
    Path empty = tools.resolve("empty.o");
    exec("as", "-o", empty.toString(), "/dev/null");
    String info = (version == null ? "" : "version=" + version + "\0") + "license=GPL\0srcversion=0123456789ABCDEF012345\0"
        + "name=vrouter\0vermagic=" + KERNEL + " SMP mod_unload modversions \0";
    Path modinfo = write(tools.resolve("modinfo.bin"), info);
    Path ko = modules().resolve("updates/dkms/vrouter.ko");
    Files.createDirectories(ko.getParent());
    Files.deleteIfExists(ko);
    exec("objcopy", "--add-section", ".modinfo=" + modinfo, "--set-section-flags", ".modinfo=alloc,readonly",
        empty.toString(), ko.toString());
  }

  private static void exec(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
  }

  private static String which(String tool) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "command -v " + tool).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor()).as(tool).isZero();
    return Path.of(out).toRealPath().toString();
  }

  private static String header(String version) {
    return "/*\n * Autogenerated file. Do not edit\n */\n#ifndef __VR_BUILDINFO_H__\n#define __VR_BUILDINFO_H__\n\n"
        + "#define VROUTER_VERSIONID \"" + version + "\"\n\n#endif /* __VR_BUILDINFO_H__ */\n";
  }

  private Path sourceDir() {
    return root.resolve("usr/src/vrouter-" + PACKAGE_VERSION);
  }

  private Path modules() {
    return root.resolve("lib/modules/" + KERNEL);
  }

  private Path write(String relative, String content) throws IOException {
    return write(root.resolve(relative), content);
  }

  private static Path write(Path path, String content) throws IOException {
    Files.createDirectories(path.getParent());
    return Files.writeString(path, content, StandardCharsets.UTF_8);
  }

  private static void setTime(Path path, long seconds) throws IOException {
    Files.setLastModifiedTime(path, FileTime.from(Instant.ofEpochSecond(1_700_000_000L + seconds)));
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }
}
