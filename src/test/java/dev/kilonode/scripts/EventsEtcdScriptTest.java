package dev.kilonode.scripts;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * events-etcd.sh against stubs: crictl runs a fake etcdctl whose answers come from files (the members an other
 * master's events etcd lists, or none when nothing answers), curl is the member's /health.
 */
class EventsEtcdScriptTest {

  static final String SCRIPT = "KubernetesMaster/events-etcd.sh";
  static final String TEMPLATE = """
      kind: Pod
      spec:
        containers:
        - command:
          - etcd
          - --name=events-%1$s
          - --initial-cluster=__INITIAL_CLUSTER__
          - --initial-cluster-state=__INITIAL_CLUSTER_STATE__
          - --quota-backend-bytes=%2$s
      """;

  @TempDir
  Path tmp;
  ScriptHarness h;
  Path manifests;
  Path data;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    manifests = Files.createDirectories(tmp.resolve("k8s/manifests"));
    data = Files.createDirectories(tmp.resolve("etcd-events"));
    h.env("MASTER_INDEX", "0").env("NODE_IP", "10.0.0.20").env("MASTER_IPS", "10.0.0.20,10.0.32.21,10.0.64.22");
    h.processEnv("KILONODE_K8S_DIR", tmp.resolve("k8s").toString())
        .processEnv("KILONODE_ETCD_EVENTS_DIR", data.toString())
        .processEnv("KILONODE_EVENTS_TEMPLATE", tmp.resolve("template.yaml").toString())
        .processEnv("EVENTS_WAIT_ATTEMPTS", "3");
    template("0", "8589934592");
    h.stub("curl", "exit 0");
    h.stub("crictl", """
        case "$1" in
          ps) echo '{"containers":[{"id":"c0ffee","labels":{"io.kubernetes.pod.name":"etcd-m"}}]}'; exit 0 ;;
        esac
        shift 2 # exec CID -> etcdctl ...
        case "$*" in
          *"member list"*) [[ -f "$KILONODE_TEST_ROOT/members" ]] || { echo "context deadline exceeded" >&2; exit 1; }
            cat "$KILONODE_TEST_ROOT/members" ;;
          *"member add"*) cat "$KILONODE_TEST_ROOT/member-add" ;;
          *"member remove"*|*"member promote"*) exit 0 ;;
          *) exit 1 ;;
        esac
        """);
  }

  void template(String index, String quota) throws Exception {
    Files.writeString(tmp.resolve("template.yaml"), TEMPLATE.formatted(index, quota));
  }

  String manifest() throws Exception {
    return Files.readString(manifests.resolve("etcd-events.yaml"));
  }

  @Test
  void theMasterThatCreatedTheClusterStartsAOneMemberEventsEtcdWhenNoneRuns() throws Exception {
    Files.writeString(tmp.resolve("state/cluster-initialised-here"), "");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(manifest()).contains("--initial-cluster=events-0=https://10.0.0.20:2383", "--initial-cluster-state=new");
    assertThat(h.calls("crictl")).noneMatch(c -> c.contains("member add"));
  }

  @Test
  void anotherMasterJoinsAsALearnerWithTheWholeClusterAndIsPromoted() throws Exception {
    h.env("MASTER_INDEX", "1").env("NODE_IP", "10.0.32.21");
    template("1", "8589934592");
    Files.writeString(tmp.resolve("members"), "8e9e05c52164694d, started, events-0, https://10.0.0.20:2383, https://10.0.0.20:2382, false\n");
    Files.writeString(tmp.resolve("member-add"), """
        Member 2c9f0a5b1d3e4f60 added to cluster cdf818194e3a8c32

        ETCD_NAME="events-1"
        ETCD_INITIAL_CLUSTER="events-0=https://10.0.0.20:2383,events-1=https://10.0.32.21:2383"
        ETCD_INITIAL_ADVERTISE_PEER_URLS="https://10.0.32.21:2383"
        ETCD_INITIAL_CLUSTER_STATE="existing"
        """);
    // After the add, the member lists itself as a learner until promoted.
    h.stub("curl", "printf '%s\\n' '2c9f0a5b1d3e4f60, started, events-1, https://10.0.32.21:2383, https://10.0.32.21:2382, true' >> \"$KILONODE_TEST_ROOT/members\"; exit 0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(manifest()).contains(
        "--initial-cluster=events-0=https://10.0.0.20:2383,events-1=https://10.0.32.21:2383",
        "--initial-cluster-state=existing");
    List<String> calls = h.calls("crictl");
    assertThat(calls).anyMatch(c -> c.contains("--endpoints=https://10.0.0.20:2382 member add events-1 --peer-urls=https://10.0.32.21:2383 --learner"))
        .anyMatch(c -> c.contains("member promote 2c9f0a5b1d3e4f60"));
  }

  @Test
  void aJoiningMasterThatFindsNoEventsEtcdRefusesToStartASecondCluster() throws Exception {
    h.env("MASTER_INDEX", "1").env("NODE_IP", "10.0.32.21");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("not starting a second cluster");
    assertThat(manifests.resolve("etcd-events.yaml")).doesNotExist();
  }

  @Test
  void aOneMemberListOnAJoinIsRefused() throws Exception {
    h.env("MASTER_INDEX", "1").env("NODE_IP", "10.0.32.21");
    Files.writeString(tmp.resolve("members"), "8e9e05c52164694d, started, events-0, https://10.0.0.20:2383, https://10.0.0.20:2382, false\n");
    Files.writeString(tmp.resolve("member-add"), "ETCD_INITIAL_CLUSTER=\"events-1=https://10.0.32.21:2383\"\n");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(manifests.resolve("etcd-events.yaml")).doesNotExist();
  }

  @Test
  void aWipedMemberIsRemovedAndAddedAgainInsteadOfStartingEmpty() throws Exception {
    // The instance store was wiped (stop/start): the old manifest is still on the root disk, the data is gone.
    h.env("MASTER_INDEX", "1").env("NODE_IP", "10.0.32.21");
    template("1", "8589934592");
    Files.writeString(manifests.resolve("etcd-events.yaml"), "old\n");
    Files.writeString(tmp.resolve("members"), """
        8e9e05c52164694d, started, events-0, https://10.0.0.20:2383, https://10.0.0.20:2382, false
        a1b2c3d4e5f60718, started, events-1, https://10.0.32.21:2383, https://10.0.32.21:2382, false
        """);
    Files.writeString(tmp.resolve("member-add"), "ETCD_INITIAL_CLUSTER=\"events-0=https://10.0.0.20:2383,events-1=https://10.0.32.21:2383\"\n");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    List<String> calls = h.calls("crictl");
    int remove = indexOf(calls, "member remove a1b2c3d4e5f60718");
    int add = indexOf(calls, "member add events-1");
    assertThat(remove).isBetween(0, add);
    assertThat(manifest()).contains("--initial-cluster-state=existing");
  }

  @Test
  void aRunningMemberKeepsItsClusterFlagsAndTakesTheNewOnes() throws Exception {
    Files.createDirectories(data.resolve("member"));
    Files.writeString(manifests.resolve("etcd-events.yaml"), TEMPLATE.formatted("0", "4294967296")
        .replace("__INITIAL_CLUSTER__", "events-0=https://10.0.0.20:2383,events-1=https://10.0.32.21:2383")
        .replace("__INITIAL_CLUSTER_STATE__", "existing"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(manifest()).contains("--quota-backend-bytes=8589934592",
        "--initial-cluster=events-0=https://10.0.0.20:2383,events-1=https://10.0.32.21:2383",
        "--initial-cluster-state=existing");
    assertThat(h.calls("crictl")).isEmpty();
  }

  private static int indexOf(List<String> calls, String part) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).contains(part)) {
        return i;
      }
    }
    return -1;
  }
}
