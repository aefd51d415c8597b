package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot check of components/KubernetesNode/install-kubernetes.sh (`check-kernel`, run by
 * kilonode-kernel-check.service): passes on the release's kernel series, fails with a line naming the package on
 * any other. Only the check mode runs here: the full install changes /etc and the kernel.
 */
class KernelCheckScriptTest {
  static final String SCRIPT = "KubernetesNode/install-kubernetes.sh";
  static final NetworkRelease ROW = NetworkReleases.table().defaultRow();

  @TempDir Path tmp;
  ScriptHarness h;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    h.env("KUBERNETES_VERSION", "1.33.10").env("KUBERNETES_MINOR", "1.33")
        .env("KERNEL_SERIES", ROW.kernel().series()).env("KERNEL_PACKAGE", ROW.kernel().packageName())
        .env("KERNEL_HEADERS_PACKAGE", ROW.kernel().headersPackage()).env("HUGE_PAGES_2MB", "128");
    // Anything beyond the check would call these: fail loudly if the check mode ever falls through.
    for (String tool : new String[] {"apt-get", "swapoff", "modprobe", "sysctl", "systemctl", "snap"}) {
      h.stub(tool, "exit 97");
    }
  }

  @Test
  void theReleasesKernelSeriesPasses() throws Exception {
    String release = ROW.kernel().series() + ".0-1062-aws";
    assertThat(ROW.kernel().matches(release)).isTrue();
    h.processEnv("KILONODE_KERNEL_RELEASE", release);
    ScriptHarness.Result r = h.run(SCRIPT, "check-kernel");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stderr()).contains("kernel: " + release + " is in series " + ROW.kernel().series());
    assertThat(h.calls()).isEmpty();
  }

  @Test
  void anotherSeriesFailsTheUnitWithALineNamingTheFix() throws Exception {
    for (String release : new String[] {"6.14.0-1011-aws", "6.8.0-1062-generic", "5.15.0-1084-aws"}) {
      assertThat(ROW.kernel().matches(release)).as(release).isFalse();
      h.processEnv("KILONODE_KERNEL_RELEASE", release);
      ScriptHarness.Result r = h.run(SCRIPT, "check-kernel");
      assertThat(r.exitCode()).as(release).isEqualTo(1);
      assertThat(r.stderr()).contains("ERROR: kernel: running " + release)
          .contains(ROW.kernel().packageName()).contains("pod networking will not start");
    }
    assertThat(h.calls()).isEmpty();
  }
}
