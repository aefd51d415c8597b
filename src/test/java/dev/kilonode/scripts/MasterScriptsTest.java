package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** token-sync, node-drainer, kubeadm-bootstrap and fetch-pki against stubs (kubeadm, aws, curl: not installable here). */
class MasterScriptsTest {
  static final String TOKEN = "n3wt0k.n3wt0k3ns3cr3t00";
  static final String SECRET = "n3wt0k3ns3cr3t00";

  @TempDir Path tmp;
  ScriptHarness h;
  Path kubeconfig;

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("jq");
    h = new ScriptHarness(tmp);
    kubeconfig = tmp.resolve("admin.conf");
    Files.writeString(kubeconfig, "apiVersion: v1\n");
    h.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "0").env("SSM_PREFIX", "/kilonode/dev")
        .env("API_ENDPOINT", "api.example:6443").env("LIFECYCLE_HOOK_NAME", "kilonode-dev-worker-drain")
        .env("KILONODE_STACK", "dev")
        .env("JOIN_MAX_ATTEMPTS", "3");
    h.processEnv("KUBECONFIG", kubeconfig.toString()).processEnv("TOKEN_VALUE", TOKEN)
        .processEnv("KILONODE_RUN_DIR", tmp.resolve("run").toString());
  }

  /** What kilonode-etcd-prepare.service leaves for kubeadm-bootstrap.sh this boot. */
  void decide(String decision) throws Exception {
    Files.createDirectories(tmp.resolve("run"));
    Files.writeString(tmp.resolve("run/etcd-decision"), decision + "\n");
  }

  @Test
  void bootstrapRunsNoKubeadmWithoutAnEtcdDecision() throws Exception {
    Path conf = Files.createDirectories(tmp.resolve("kubeadm"));
    Files.writeString(conf.resolve("init.yaml"), "kind: InitConfiguration\n");
    h.processEnv("KILONODE_KUBEADM_DIR", conf.toString()).processEnv("KILONODE_K8S_DIR", tmp.resolve("k8s").toString());
    h.stub("kubeadm", "exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("made no decision").contains("not running kubeadm");
    assertThat(h.calls("kubeadm")).isEmpty();
  }

  @Test
  void masterZeroJoinsWhenTheEtcdUnitFoundALiveCluster() throws Exception {
    decide("join");
    Path conf = Files.createDirectories(tmp.resolve("kubeadm"));
    Files.writeString(conf.resolve("init.yaml"), "kind: InitConfiguration\n");
    Files.writeString(conf.resolve("join-control-plane.yaml"), "token: __BOOTSTRAP_TOKEN__\ncontrolPlane: {}\n");
    h.processEnv("KILONODE_KUBEADM_DIR", conf.toString()).processEnv("KILONODE_K8S_DIR", tmp.resolve("k8s").toString());
    h.stub("aws", "echo \"$TOKEN_VALUE\"");
    h.stub("curl", "exit 0");
    h.stub("kubeadm", "exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("kubeadm init")).isEmpty();
    assertThat(h.calls("kubeadm join")).hasSize(1);
  }

  /**
   * kubeadm stub: the first join fails; reset does what kubeadm's reset does to the files that matter here
   * (cmd/kubeadm/app/cmd/phases/reset/cleanupnode.go: deletes the contents of /etc/kubernetes/manifests and
   * /etc/kubernetes/pki); the second join records what it found.
   */
  @Test
  void failedJoinRetriesWithThePkiAndManifestsItStartedWith() throws Exception {
    h.env("MASTER_INDEX", "1");
    decide("join");
    Path k8s = tmp.resolve("k8s");
    Files.createDirectories(k8s.resolve("pki/etcd"));
    Files.createDirectories(k8s.resolve("manifests"));
    Files.writeString(k8s.resolve("pki/ca.key"), "CA KEY FROM SSM\n");
    Files.writeString(k8s.resolve("pki/etcd/ca.crt"), "ETCD CA\n");
    Files.writeString(k8s.resolve("manifests/etcd-events.yaml"), "events etcd\n");
    Path conf = Files.createDirectories(tmp.resolve("kubeadm"));
    Files.writeString(conf.resolve("join-control-plane.yaml"), "token: __BOOTSTRAP_TOKEN__\n");
    h.processEnv("KILONODE_KUBEADM_DIR", conf.toString()).processEnv("KILONODE_K8S_DIR", k8s.toString());
    h.stub("aws", "echo \"$TOKEN_VALUE\"");
    h.stub("curl", "exit 0");
    h.stub("kubeadm", """
        k8s="$KILONODE_TEST_ROOT/k8s"
        case "$1" in
          reset) rm -rf "$k8s/pki/"* "$k8s/manifests/"*; exit 0 ;;
          join)
            n=$(cat "$KILONODE_TEST_ROOT/joins" 2>/dev/null || echo 0); echo $((n+1)) > "$KILONODE_TEST_ROOT/joins"
            [ "$n" -ge 1 ] || { echo "[kubelet-check] timed out" >&2; exit 1; }
            ls -R "$k8s/pki" "$k8s/manifests" > "$KILONODE_TEST_ROOT/second-join-saw"
            cat "$k8s/pki/ca.key" >> "$KILONODE_TEST_ROOT/second-join-saw"; exit 0 ;;
        esac
        """);
    ScriptHarness.Result r = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("kubeadm join")).hasSize(2);
    assertThat(h.calls("kubeadm reset")).hasSize(1);
    assertThat(Files.readString(tmp.resolve("second-join-saw")))
        .contains("ca.key", "etcd-events.yaml", "CA KEY FROM SSM").contains("ca.crt");
    assertThat(tmp.resolve("state/before-join")).as("the kept copy is removed after the join").doesNotExist();
  }

  @Test
  void tokenSyncCreatesTheSsmTokenAndDeletesRotatedOnes() throws Exception {
    h.stub("aws", "[ \"$1 $2\" = 'ssm get-parameter' ] && echo \"$TOKEN_VALUE\"");
    h.stub("kubeadm", """
        case "$1 $2" in
          "token list") cat <<'EOF'
        {"kind":"BootstrapToken","token":"old111.oldoldoldoldold1","description":"kilonode-managed"}
        {"kind":"BootstrapToken","token":"usr222.someoneelsestoken","description":"made by a human"}
        EOF
          ;;
          "token create") echo "$3" ;;
        esac
        """);
    ScriptHarness.Result r = h.run("KubernetesMaster/token-sync.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    List<String> create = h.calls("kubeadm token create");
    assertThat(create).singleElement().asString()
        .contains(TOKEN + " --ttl 0 --description kilonode-managed");
    assertThat(h.calls("kubeadm token delete")).containsExactly(
        "kubeadm token delete old111 --kubeconfig " + kubeconfig);
    assertThat(r.output()).doesNotContain(SECRET).doesNotContain("oldoldoldoldold1");
  }

  @Test
  void tokenSyncIsANoOpWhenTheTokenIsAlreadyThere() throws Exception {
    h.stub("aws", "echo \"$TOKEN_VALUE\"");
    h.stub("kubeadm", "[ \"$1 $2\" = 'token list' ] && echo '{\"token\":\"" + TOKEN
        + "\",\"description\":\"kilonode-managed\"}'; exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/token-sync.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("kubeadm token create")).isEmpty();
    assertThat(h.calls("kubeadm token delete")).isEmpty();
  }

  @Test
  void drainerDrainsDeletesAndCompletesTheLifecycleAction() throws Exception {
    h.stub("aws", """
        case "$1 $2" in
          "autoscaling describe-auto-scaling-instances") printf 'i-0aaa\\tkilonode-dev-worker\\ni-0bbb\\tkilonode-dev-worker\\ni-0ccc\\tkilonode-dev-2-worker\\ni-0ddd\\tteam2-dev-worker\\n' ;;
          "autoscaling describe-auto-scaling-groups")
            [ "$*" = 'autoscaling describe-auto-scaling-groups --output text --filters Name=tag:kilonode:stack,Values=dev --query AutoScalingGroups[].[AutoScalingGroupName,Tags[?Key==`kilonode:node-group`].Value|[0]]' ] || exit 3
            # Tagged with stack dev: ours, and project team2's stack dev (same tag, other name).
            printf 'kilonode-dev-worker\\tworker\\nkilonode-dev-gpu\\tgpu\\nteam2-dev-worker\\tworker\\n' ;;
          "autoscaling complete-lifecycle-action") exit 0 ;;
          *) exit 1 ;;
        esac
        """);
    h.stub("kubectl", """
        [ "$1 $2" = "get nodes" ] && printf 'ip-10-0-9-9\\taws:///eu-west-1a/i-0aaa\\nip-10-0-9-8\\taws:///eu-west-1b/i-0aaa0\\n'
        exit 0
        """);
    ScriptHarness.Result r = h.run("KubernetesMaster/node-drainer.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("kubectl drain")).containsExactly(
        "kubectl drain ip-10-0-9-9 --ignore-daemonsets --delete-emptydir-data --timeout=120s");
    assertThat(h.calls("kubectl delete")).containsExactly("kubectl delete node ip-10-0-9-9 --ignore-not-found");
    assertThat(h.calls("aws autoscaling complete-lifecycle-action")).hasSize(2)
        .allMatch(c -> c.contains("--lifecycle-action-result CONTINUE")
            && c.contains("--lifecycle-hook-name kilonode-dev-worker-drain")
            && c.contains("--auto-scaling-group-name kilonode-dev-worker"))
        .anyMatch(c -> c.endsWith("--instance-id i-0aaa"))
        .anyMatch(c -> c.endsWith("--instance-id i-0bbb"));
    // i-0ccc belongs to another stack's group (kilonode-dev-2-*, which the IAM name pattern would also match).
    assertThat(h.calls()).noneMatch(c -> c.contains("i-0ccc") && c.startsWith("aws autoscaling complete"));
    // i-0ddd is in project team2's stack dev: same kilonode:stack tag, but not named kilonode-dev-<group>.
    assertThat(h.calls()).noneMatch(c -> c.contains("i-0ddd") && c.startsWith("aws autoscaling complete"));
    assertThat(r.output()).contains("i-0ddd is in team2-dev-worker, not a group of stack dev");
    // The drain happens before the instance is released.
    List<String> calls = h.calls();
    assertThat(calls.indexOf("kubectl delete node ip-10-0-9-9 --ignore-not-found"))
        .isLessThan(calls.stream().filter(c -> c.endsWith("--instance-id i-0aaa")).map(calls::indexOf).findFirst().orElseThrow());
  }

  @Test
  void drainerReleasesNothingWhenItCannotTellWhichGroupsAreItsOwn() throws Exception {
    h.stub("aws", """
        case "$1 $2" in
          "autoscaling describe-auto-scaling-instances") printf 'i-0aaa\\tkilonode-dev-worker\\n' ;;
          "autoscaling describe-auto-scaling-groups") echo "AccessDenied" >&2; exit 254 ;;
          *) exit 0 ;;
        esac
        """);
    h.stub("kubectl", "exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/node-drainer.sh");
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("cannot list the Auto Scaling groups of stack dev");
    assertThat(h.calls("aws autoscaling complete-lifecycle-action")).isEmpty();
    assertThat(h.calls("kubectl drain")).isEmpty();
  }

  @Test
  void drainerOnlyRunsOnMasterZero() throws Exception {
    h.env("MASTER_INDEX", "1");
    h.stub("aws", "exit 1");
    assertThat(h.run("KubernetesMaster/node-drainer.sh").exitCode()).isZero();
    assertThat(h.calls()).isEmpty();
  }

  @Test
  void bootstrapMasterZeroInitsWithRestoreFlagAndNeverPrintsTheToken() throws Exception {
    Path conf = Files.createDirectories(tmp.resolve("kubeadm"));
    Files.writeString(conf.resolve("init.yaml"), "bootstrapTokens:\n- token: __BOOTSTRAP_TOKEN__\n");
    decide("restored");
    h.processEnv("KILONODE_KUBEADM_DIR", conf.toString()).processEnv("KILONODE_K8S_DIR", tmp.resolve("k8s").toString());
    h.stub("aws", "echo \"$TOKEN_VALUE\"");
    h.stub("kubeadm", "[ \"$1\" = init ] && cp \"$3\" \"$KILONODE_TEST_ROOT/init-seen.yaml\" && cat \"$3\"; exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("kubeadm init")).singleElement().asString()
        .contains("--skip-token-print").contains("--ignore-preflight-errors=DirAvailable--var-lib-etcd");
    assertThat(Files.readString(tmp.resolve("init-seen.yaml"))).contains("token: " + TOKEN);
    assertThat(r.output()).doesNotContain(SECRET);
    assertThat(tmp.resolve("state/kubeadm-config.yaml")).doesNotExist();
  }

  @Test
  void bootstrapOtherMastersWaitForTheApiThenJoin() throws Exception {
    h.env("MASTER_INDEX", "2");
    decide("join");
    Path conf = Files.createDirectories(tmp.resolve("kubeadm"));
    Files.writeString(conf.resolve("join-control-plane.yaml"), "token: __BOOTSTRAP_TOKEN__\ncontrolPlane: {}\n");
    h.processEnv("KILONODE_KUBEADM_DIR", conf.toString()).processEnv("KILONODE_K8S_DIR", tmp.resolve("k8s").toString());
    h.stub("aws", "echo \"$TOKEN_VALUE\"");
    h.stub("curl", """
        n=$(cat "$KILONODE_TEST_ROOT/n" 2>/dev/null || echo 0); echo $((n+1)) > "$KILONODE_TEST_ROOT/n"; [ "$n" -ge 1 ]
        """);
    h.stub("kubeadm", "[ \"$1\" = join ] && cp \"$3\" \"$KILONODE_TEST_ROOT/join-seen.yaml\"; exit 0");
    ScriptHarness.Result r = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("curl")).hasSize(2);
    assertThat(h.calls("kubeadm join")).hasSize(1);
    assertThat(h.calls("kubeadm init")).isEmpty();
    assertThat(Files.readString(tmp.resolve("join-seen.yaml"))).contains("token: " + TOKEN);
  }

  @Test
  void fetchPkiWritesKeysWithMode0600() throws Exception {
    Path pki = tmp.resolve("pki");
    h.processEnv("KILONODE_PKI_DIR", pki.toString());
    h.stub("aws", "echo \"value-of-${4##*/}\"");
    ScriptHarness.Result r = h.run("KubernetesMaster/fetch-pki.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(pki.resolve("etcd/ca.key"))).isEqualTo("value-of-etcd-ca.key\n");
    for (String key : List.of("ca.key", "front-proxy-ca.key", "etcd/ca.key", "sa.key")) {
      assertThat(Files.getPosixFilePermissions(pki.resolve(key))).as(key)
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    for (String cert : List.of("ca.crt", "front-proxy-ca.crt", "etcd/ca.crt", "sa.pub")) {
      assertThat(pki.resolve(cert)).exists();
    }
    assertThat(r.output()).doesNotContain("value-of");
  }
}
