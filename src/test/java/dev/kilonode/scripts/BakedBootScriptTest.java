package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot path on a baked image: components/KubernetesNode/install-kubernetes.sh skips every package install when
 * /etc/kilonode/baked.json (written by components/BakedNodeImage/bake-node.sh) names this node's Kubernetes version
 * and kernel, and installs as on a stock AMI when it does not. Runs the real scripts under bash with a temporary root
 * (KILONODE_ROOT) and stubs: apt-get/snap/curl/gpg (package installs), swapoff/modprobe/sysctl/systemctl (the host),
 * kubeadm (its version output), aws/ctr (ECR login, pulls, the kernel-build-init container). containerd is the real
 * 2.x binary (Debian sid's, unpacked by .ci/run; {@link ContainerdConfigTest}), as a node installs it today.
 */
class BakedBootScriptTest {
  static final String INSTALL = "KubernetesNode/install-kubernetes.sh";
  static final String BAKE = "BakedNodeImage/bake-node.sh";
  static final NetworkRelease ROW = NetworkReleases.table().defaultRow();
  static final String RELEASE = ROW.kernel().series() + ".0-1040-aws";
  static final String PAUSE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/kilonode-dev/pause";
  static final String IMAGES = PAUSE + "@sha256:" + "ab".repeat(32) + "=" + PAUSE + ":3.10";
  static final String KERNEL_INIT = "111122223333.dkr.ecr.us-east-1.amazonaws.com/kilonode-dev/opensdn-vrouter-kernel-build-init@sha256:"
      + "cd".repeat(32);

  @TempDir Path tmp;
  ScriptHarness h;
  Path root;

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("jq");
    h = new ScriptHarness(tmp);
    root = Files.createDirectories(tmp.resolve("root"));
    for (String d : List.of("etc/modules-load.d", "etc/sysctl.d", "etc/apt/sources.list.d", "boot")) {
      Files.createDirectories(root.resolve(d));
    }
    Files.writeString(root.resolve("etc/fstab"), "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n");
    Files.writeString(root.resolve("resolved.conf"), "nameserver 10.0.0.2\n");
    h.env("KUBERNETES_VERSION", "1.33.10").env("KUBERNETES_MINOR", "1.33").env("KILONODE_REGION", "us-east-1")
        .env("KERNEL_SERIES", ROW.kernel().series()).env("KERNEL_PACKAGE", ROW.kernel().packageName())
        .env("KERNEL_HEADERS_PACKAGE", ROW.kernel().headersPackage()).env("HUGE_PAGES_2MB", "128")
        .env("BAKE_REGISTRY", "111122223333.dkr.ecr.us-east-1.amazonaws.com").env("BAKE_IMAGES", IMAGES)
        .env("VROUTER_KERNEL_INIT_IMAGE", KERNEL_INIT)
        // The sandbox image and the kubelet's ECR credential provider (images.CredentialProvider).
        .env("PAUSE_IMAGE", "111122223333.dkr.ecr.us-east-1.amazonaws.com/kilonode-dev/pause@sha256:" + "a".repeat(64))
        .env("ECR_CREDENTIAL_PROVIDER_URL", "https://artifacts.example/ecr-credential-provider-linux-amd64")
        .env("CREDENTIAL_PROVIDER_BIN_DIR", "/usr/local/libexec/kubernetes/image-credential-providers");
    h.processEnv("KILONODE_ROOT", root.toString()).processEnv("KILONODE_KERNEL_RELEASE", RELEASE)
        .processEnv("KILONODE_RESOLVED_CONF", root.resolve("resolved.conf").toString())
        .processEnv("KILONODE_RESOLV_CONF", root.resolve("etc/resolv.conf").toString())
        .processEnv("KILONODE_BIN", ScriptHarness.COMPONENTS.resolve("KubernetesNode").toString())
        .processEnv("PATH", h.bin + ":" + ContainerdConfigTest.Major.V2.bin() + ":"
            + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    for (String tool : List.of("apt-get", "snap", "gpg", "apt-mark", "swapoff", "modprobe", "sysctl", "systemctl",
        "update-grub")) {
      h.stub(tool, "exit 0");
    }
    // curl -o FILE URL: a body, and for URL.sha256 the checksum of that body (install-kubernetes.sh verifies it).
    h.stub("curl", "out=; url=; while (($#)); do case $1 in -o) out=$2; shift 2;; -*) shift;; *) url=$1; shift;; esac; done\n"
        + "[[ -n $out ]] || exit 0\n"
        + "if [[ $url == *.sha256 ]]; then printf 'body' | sha256sum | cut -d' ' -f1 >\"$out\"; else printf 'body' >\"$out\"; fi");
    h.stub("aws", "echo pw");
    h.stub("ctr", "exit 0");
    h.stub("apt-cache", "exit 0");
    h.stub("dpkg-query", "exit 1");
    h.stub("kubeadm", "case $1 in version) echo v1.33.10;; config) echo registry.k8s.io/pause:3.10;; esac");
  }

  /** containerd's own reading of the node's config: runc with systemd cgroups, the stack's pause image by digest. */
  void assertContainerdConfigured() throws Exception {
    var major = ContainerdConfigTest.Major.V2;
    var effective = ContainerdConfigTest.dump(major, root.resolve("etc/containerd/config.toml"));
    assertThat(ContainerdConfigTest.at(effective, major.systemdCgroupPath()).asBoolean()).isTrue();
    // the stack's mirror by digest (PAUSE_IMAGE), not kubeadm's registry.k8s.io tag
    assertThat(ContainerdConfigTest.at(effective, major.sandboxPath).asText())
        .isEqualTo("111122223333.dkr.ecr.us-east-1.amazonaws.com/kilonode-dev/pause@sha256:" + "a".repeat(64));
  }

  void marker(String kubernetesVersion, String kernelPackage) throws Exception {
    Files.createDirectories(root.resolve("etc/kilonode"));
    Files.writeString(root.resolve("etc/kilonode/baked.json"), "{\"kubernetesVersion\":\"" + kubernetesVersion
        + "\",\"kernelPackage\":\"" + kernelPackage + "\",\"kernelSeries\":\"" + ROW.kernel().series() + "\"}\n");
  }

  List<String> installs() throws Exception {
    return h.calls().stream().filter(c -> c.startsWith("apt-get") || c.startsWith("snap ") || c.startsWith("curl ")).toList();
  }

  @Test
  void aMatchingMarkerSkipsEveryPackageInstall() throws Exception {
    marker("1.33.10", ROW.kernel().packageName());
    ScriptHarness.Result r = h.run(INSTALL);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stderr()).contains("baked image:").contains("no package installs");
    assertThat(installs()).isEmpty();
    // The per-node configuration still happens: containerd's config, the services, the install marker.
    assertContainerdConfigured();
    assertThat(h.calls()).contains("systemctl enable --now containerd kubelet");
    assertThat(tmp.resolve("state/install-kubernetes-1.33.10.done")).exists();
  }

  @Test
  void aMarkerForAnotherVersionOrKernelInstallsAsOnAStockAmi() throws Exception {
    for (String[] m : new String[][] {{"1.33.9", ROW.kernel().packageName()}, {"1.33.10", "linux-aws"}}) {
      marker(m[0], m[1]);
      Files.deleteIfExists(tmp.resolve("state/install-kubernetes-1.33.10.done"));
      Files.deleteIfExists(h.callsFile());
      ScriptHarness.Result r = h.run(INSTALL);
      assertThat(r.exitCode()).as(r.output()).isZero();
      assertThat(r.stderr()).doesNotContain("baked image:");
      assertThat(installs()).anyMatch(c -> c.contains("kubelet=1.33.10-*"))
          .anyMatch(c -> c.contains(ROW.kernel().packageName()));
    }
  }

  @Test
  void noMarkerInstalls() throws Exception {
    ScriptHarness.Result r = h.run(INSTALL);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(installs()).anyMatch(c -> c.contains("kubelet=1.33.10-*"));
  }

  /** The bake's images step writes the marker the boot path then trusts; the ECR password never reaches the log. */
  @Test
  void theBakeWritesTheMarkerTheBootPathSkipsOn() throws Exception {
    String password = "ecr-password-" + "x".repeat(20);
    h.stub("aws", "echo " + password);
    Path module = root.resolve("lib/modules/" + RELEASE + "/updates/dkms/vrouter.ko");
    h.stub("ctr", "if [[ $3 == run ]]; then mkdir -p '" + module.getParent() + "' && touch '" + module + "'; fi\n"
        + "if [[ $3 == images && $4 == ls ]]; then printf '%s\\n' '" + PAUSE + "@sha256:" + "ab".repeat(32) + "' '"
        + PAUSE + ":3.10'; fi");
    ScriptHarness.Result bake = h.run(BAKE, "images");
    assertThat(bake.exitCode()).as(bake.output()).isZero();
    assertThat(bake.output()).doesNotContain(password);
    assertThat(h.calls("ctr")).contains("ctr -n k8s.io images pull --user AWS:" + password + " " + IMAGES.split("=")[0])
        .contains("ctr -n k8s.io images tag --force " + IMAGES.split("=")[0] + " " + IMAGES.split("=")[1])
        .anyMatch(c -> c.startsWith("ctr -n k8s.io run --rm --privileged --net-host") && c.contains(KERNEL_INIT)
            && c.contains("src=/lib/modules,dst=/lib/modules") && c.contains("src=/usr/src,dst=/usr/src"));
    String marker = Files.readString(root.resolve("etc/kilonode/baked.json"));
    assertThat(marker).contains("\"kernelRelease\": \"" + RELEASE + "\"").contains(IMAGES.split("=")[0]);

    ScriptHarness.Result check = h.run(BAKE, "validate");
    assertThat(check.exitCode()).as(check.output()).isZero();

    Files.deleteIfExists(h.callsFile());
    ScriptHarness.Result boot = h.run(INSTALL);
    assertThat(boot.exitCode()).as(boot.output()).isZero();
    assertThat(installs()).isEmpty();
  }

  @Test
  void aBakeWhoseModuleBuildLeavesNoModuleFails() throws Exception {
    h.stub("aws", "echo pw");
    h.stub("ctr", "exit 0");
    ScriptHarness.Result bake = h.run(BAKE, "images");
    assertThat(bake.exitCode()).isNotZero();
    assertThat(bake.stderr()).contains("no vrouter.ko for " + RELEASE);
    assertThat(root.resolve("etc/kilonode/baked.json")).doesNotExist();
  }

  @Test
  void theBakeRefusesToBuildOnAnotherKernelSeries() throws Exception {
    h.processEnv("KILONODE_KERNEL_RELEASE", "6.14.0-1011-aws");
    h.stub("aws", "echo pw");
    h.stub("ctr", "exit 0");
    ScriptHarness.Result bake = h.run(BAKE, "images");
    assertThat(bake.exitCode()).isNotZero();
    assertThat(bake.stderr()).contains("the reboot did not bring up the " + ROW.kernel().series() + " kernel");
    assertThat(h.calls("ctr")).isEmpty();
  }

  @Test
  void packagesMakesTheHeldKernelGrubsDefault() throws Exception {
    Files.writeString(root.resolve("boot/vmlinuz-6.14.0-1011-aws"), "");
    Files.writeString(root.resolve("boot/vmlinuz-" + ROW.kernel().series() + ".0-1039-aws"), "");
    Files.writeString(root.resolve("boot/vmlinuz-" + RELEASE), "");
    ScriptHarness.Result r = h.run(BAKE, "packages");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(root.resolve("etc/default/grub.d/99-kilonode-kernel.cfg")))
        .isEqualTo("GRUB_DEFAULT=\"Advanced options for Ubuntu>Ubuntu, with Linux " + RELEASE + "\"\n");
    assertThat(h.calls("update-grub")).hasSize(1);
    // The bake configures containerd exactly as a boot does (the same function, the same real parser check).
    assertContainerdConfigured();
    // The boot path decides from baked.json, not from the bake's install marker.
    assertThat(tmp.resolve("state/install-kubernetes-1.33.10.done")).doesNotExist();
  }
}
