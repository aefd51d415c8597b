package dev.kilonode.scripts;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** reconcile-control-plane.sh against stubs: the control plane follows the desired configuration in SSM. */
class ReconcileScriptTest {

  static final String SCRIPT = "KubernetesMaster/reconcile-control-plane.sh";

  @TempDir
  Path tmp;
  ScriptHarness h;
  Path k8s;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    k8s = Files.createDirectories(tmp.resolve("k8s"));
    Files.createDirectories(k8s.resolve("manifests"));
    Files.writeString(k8s.resolve("admin.conf"), "apiVersion: v1\n");
    h.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "0").env("SSM_PREFIX", "/kilonode/dev");
    h.processEnv("KILONODE_K8S_DIR", k8s.toString());
    desired("max-requests-inflight: \"400\"", "none");
    h.stub("kubeadm", "exit 0");
    h.stub("curl", "exit 0");
  }

  /** The stubbed SSM answers from files, so a test can change the desired state between runs. */
  void desired(String kubeadm, String events) throws Exception {
    Files.writeString(tmp.resolve("ssm-kubeadm"), kubeadm + "\n");
    Files.writeString(tmp.resolve("ssm-events"), events + "\n");
    h.stub("aws", """
        case "$*" in
          *control-plane/master-0/kubeadm*) cat "$KILONODE_TEST_ROOT/ssm-kubeadm" ;;
          *control-plane/master-0/etcd-events*) cat "$KILONODE_TEST_ROOT/ssm-events" ;;
          *) exit 1 ;;
        esac
        """);
  }

  List<String> kubeadmCalls() throws Exception {
    return h.calls("kubeadm");
  }

  @Test
  void seedRecordsTheBootConfigurationWithoutTouchingTheControlPlane() throws Exception {
    ScriptHarness.Result r = h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(tmp.resolve("state/control-plane.sha256")).exists();
  }

  @Test
  void unchangedConfigurationIsLeftAlone() throws Exception {
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("up to date");
    assertThat(kubeadmCalls()).isEmpty();
  }

  @Test
  void scalingUpRegeneratesStaticPodsAndStartsTheEventsEtcdFirst() throws Exception {
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    desired("max-requests-inflight: \"2000\"", "kind: Pod\nmetadata: {name: etcd-events}");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(k8s.resolve("manifests/etcd-events.yaml"))).contains("etcd-events");
    List<String> calls = h.calls();
    int health = indexOf(calls, "curl");
    int controlPlane = indexOf(calls, "kubeadm init phase control-plane all");
    assertThat(health).as("events etcd checked before the API server restarts").isBetween(0, controlPlane);
    assertThat(kubeadmCalls()).anyMatch(c -> c.startsWith("kubeadm init phase etcd local --config"))
        .anyMatch(c -> c.startsWith("kubeadm init phase upload-config kubeadm"));
    // Recorded as applied: a rerun with the same desired state is a no-op.
    Files.delete(h.callsFile());
    assertThat(h.run(SCRIPT).output()).contains("up to date");
    assertThat(kubeadmCalls()).isEmpty();
  }

  @Test
  void otherMastersDoNotUploadTheClusterConfiguration() throws Exception {
    h.env("MASTER_INDEX", "1");
    h.stub("aws", """
        case "$*" in
          *control-plane/master-1/kubeadm*) echo 'max-requests-inflight: "2000"' ;;
          *control-plane/master-1/etcd-events*) echo none ;;
          *) exit 1 ;;
        esac
        """);
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(kubeadmCalls()).anyMatch(c -> c.startsWith("kubeadm init phase control-plane all"))
        .noneMatch(c -> c.contains("upload-config"));
  }

  @Test
  void eventsEtcdIsRemovedOnlyAfterTheApiServerWasRegenerated() throws Exception {
    Files.writeString(k8s.resolve("manifests/etcd-events.yaml"), "kind: Pod\n");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(k8s.resolve("manifests/etcd-events.yaml")).doesNotExist();
    assertThat(r.output()).contains("removed the events etcd");
  }

  @Test
  void notBootstrappedYetIsANoOp() throws Exception {
    Files.delete(k8s.resolve("admin.conf"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isZero();
    assertThat(h.calls()).isEmpty();
  }

  private static int indexOf(List<String> calls, String prefix) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }
}
