package dev.kilonode.scripts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * reconcile-control-plane.sh against stubs (real bash, jq, python3 + PyYAML as on Ubuntu's cloud images). The
 * stubbed kubectl keeps the Lease in a file and behaves like the API server for it: create fails when it exists,
 * replace fails with a Conflict unless it carries the stored resourceVersion (under flock, so two masters racing
 * see one winner).
 */
class ReconcileScriptTest {

  static final String SCRIPT = "KubernetesMaster/reconcile-control-plane.sh";
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /** A joined master's etcd manifest as kubeadm join writes it: the whole cluster in --initial-cluster. */
  static final String JOINED_ETCD = """
      apiVersion: v1
      kind: Pod
      metadata:
        name: etcd
        namespace: kube-system
      spec:
        containers:
        - name: etcd
          command:
          - etcd
          - --name=ip-10-0-32-21
          - --initial-cluster=ip-10-0-0-20=https://10.0.0.20:2380,ip-10-0-32-21=https://10.0.32.21:2380
          - --initial-cluster-state=existing
          - --data-dir=/var/lib/etcd
          - --quota-backend-bytes=2147483648
          resources:
            requests:
              cpu: 100m
              memory: 100Mi
      """;

  @TempDir
  Path tmp;
  ScriptHarness h;
  Path k8s;
  Path lease;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    lease = Files.createDirectories(tmp.resolve("lease"));
    k8s = Files.createDirectories(tmp.resolve("k8s"));
    Files.createDirectories(k8s.resolve("manifests"));
    Files.writeString(k8s.resolve("admin.conf"), "apiVersion: v1\n");
    Files.writeString(k8s.resolve("manifests/etcd.yaml"), JOINED_ETCD);
    h.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "0").env("SSM_PREFIX", "/kilonode/dev").env("NODE_IP", "10.0.0.20");
    h.processEnv("KILONODE_K8S_DIR", k8s.toString())
        .processEnv("KILONODE_FILES_ROOT", tmp.resolve("root").toString())
        .processEnv("KILONODE_EVENTS_ETCD_SCRIPT", tmp.resolve("bin/events-etcd").toString())
        .processEnv("KILONODE_TEST_LEASE", lease.toString())
        .processEnv("LEASE_ATTEMPTS", "2");
    desired(kubeadm("400", "2147483648"), "none", files("50"));
    h.stub("events-etcd", "exit 0");
    // kubeadm writes the API server's manifest from the configuration it is given (its flags are what change).
    h.stub("kubeadm", """
        if [[ $* == "init phase control-plane all"* ]]; then
          grep -o 'max-requests-inflight: "[0-9]*"' "$6" > "$KILONODE_K8S_DIR/manifests/kube-apiserver.yaml" || true
        fi
        exit 0
        """);
    h.stub("curl", "exit 0");
    h.stub("crictl", """
        case "$1" in
          ps) echo '{"containers":[{"id":"c0ffee","labels":{"io.kubernetes.pod.name":"etcd-m0"}}]}' ;;
          exec) [[ -f "$KILONODE_TEST_ROOT/etcd-member-down" ]] && { echo "unhealthy" >&2; exit 1; }; exit 0 ;;
        esac
        """);
    h.stub("kubectl", """
        f="$KILONODE_TEST_LEASE/lease.json"
        exec 9>"$KILONODE_TEST_LEASE/lock"; flock 9
        case "$*" in
          *"get lease"*) [[ -f $f ]] || { echo 'Error from server (NotFound): leases "x" not found' >&2; exit 1; }; cat "$f" ;;
          *"create -f -"*) [[ -f $f ]] && { echo 'AlreadyExists' >&2; exit 1; }
            jq '.metadata.resourceVersion = "1"' > "$f" ;;
          *"replace -f -"*) in=$(cat); rv=$(jq -r .metadata.resourceVersion <<<"$in")
            [[ -f $f && $(jq -r .metadata.resourceVersion "$f") == "$rv" ]] || { echo 'Conflict' >&2; exit 1; }
            jq --arg v "$((rv + 1))" '.metadata.resourceVersion = $v' <<<"$in" > "$f" ;;
          *) exit 1 ;;
        esac
        """);
  }

  static String kubeadm(String inflight, String quota) {
    return """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        ---
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        apiServer:
          extraArgs:
          - name: max-requests-inflight
            value: "%s"
        etcd:
          local:
            dataDir: /var/lib/etcd
            extraArgs:
            - name: quota-backend-bytes
              value: "%s"
        """.formatted(inflight, quota);
  }

  static String files(String schedulerQps) {
    return """
        ### kilonode-file /etc/kilonode/kubeadm/patches/etcd+strategic.yaml
        spec:
          containers:
          - name: etcd
            resources:
              requests:
                cpu: 630m
                memory: 1968Mi
        ### kilonode-file /etc/kilonode/kube-scheduler/config-abc.yaml
        apiVersion: kubescheduler.config.k8s.io/v1
        kind: KubeSchedulerConfiguration
        clientConnection:
          qps: %s
        """.formatted(schedulerQps);
  }

  /** The stubbed SSM answers from files, so a test can change the desired state between runs. */
  void desired(String kubeadm, String events, String files) throws Exception {
    Files.writeString(tmp.resolve("ssm-kubeadm"), kubeadm);
    Files.writeString(tmp.resolve("ssm-events"), events + "\n");
    Files.writeString(tmp.resolve("ssm-files"), files);
    h.stub("aws", """
        case "$*" in
          *control-plane/master-*/kubeadm*) cat "$KILONODE_TEST_ROOT/ssm-kubeadm" ;;
          *control-plane/master-*/etcd-events*) cat "$KILONODE_TEST_ROOT/ssm-events" ;;
          *control-plane/master-*/files*) cat "$KILONODE_TEST_ROOT/ssm-files" ;;
          *) exit 1 ;;
        esac
        """);
  }

  List<String> kubeadmCalls() throws Exception {
    return h.calls("kubeadm");
  }

  JsonNode leaseNow() throws Exception {
    return new ObjectMapper().readTree(lease.resolve("lease.json").toFile());
  }

  void leaseHeldBy(String holder, String renewTime) throws Exception {
    Files.writeString(lease.resolve("lease.json"), """
        {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
         "metadata":{"name":"kilonode-control-plane","namespace":"kube-system","resourceVersion":"7"},
         "spec":{"holderIdentity":"%s","leaseDurationSeconds":1200,"renewTime":"%s"}}
        """.formatted(holder, renewTime));
  }

  @Test
  void seedRecordsTheConfigurationWithoutTouchingTheControlPlane() throws Exception {
    ScriptHarness.Result r = h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(tmp.resolve("state/control-plane.sha256")).exists();
  }

  /** The files bundle as MasterUserData.desiredFiles starts it: the machine type the requests were sized for. */
  static String sizedFor(String type, String rest) {
    return dev.kilonode.master.MasterUserData.FILE_MARKER + dev.kilonode.master.MasterUserData.SIZED_FOR + "\n" + type + "\n" + rest;
  }

  /** IMDSv2 as curl sees it: a token, then this machine's instance type; every other URL answers as before. */
  void machineType(String type) throws Exception {
    h.stub("curl", """
        case "$*" in
          *latest/api/token*) echo token ;;
          *meta-data/instance-type*) %s ;;
          *) exit 0 ;;
        esac
        """.formatted(type == null ? "echo 'connection refused' >&2; exit 7" : "printf '%s' " + type));
  }

  @Test
  void aConfigurationSizedForAnotherMachineTypeWaitsForTheRollAndTouchesNothing() throws Exception {
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    machineType("m5d.xlarge");
    // masterInstanceType went from m5d.xlarge to m5d.4xlarge: SSM holds requests sized for the bigger machine.
    desired(kubeadm("2000", "8589934592"), "none", sizedFor("m5d.4xlarge", files("200")));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("sized for m5d.4xlarge, this machine is m5d.xlarge").contains("kilonode roll masters");
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(h.calls("kubectl")).as("no Lease taken").isEmpty();
    assertThat(tmp.resolve("root/etc/kilonode/kube-scheduler/config-abc.yaml")).doesNotExist();
    // Not recorded as applied: the replacement machine (the new type) applies it.
    machineType("m5d.4xlarge");
    ScriptHarness.Result after = h.run(SCRIPT);
    assertThat(after.exitCode()).as(after.output()).isZero();
    assertThat(kubeadmCalls()).anyMatch(c -> c.startsWith("kubeadm init phase control-plane all"));
    assertThat(Files.readString(tmp.resolve("root/etc/kilonode/control-plane-sized-for"))).isEqualTo("m5d.4xlarge\n");
  }

  @Test
  void whenTheMachineTypeCannotBeReadNothingIsApplied() throws Exception {
    machineType(null);
    desired(kubeadm("2000", "8589934592"), "none", sizedFor("m5d.4xlarge", files("200")));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("cannot read this machine's instance type");
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(h.calls("kubectl")).isEmpty();
  }

  @Test
  void unchangedConfigurationIsLeftAlone() throws Exception {
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("up to date");
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(h.calls("kubectl")).as("no Lease taken when nothing changes").isEmpty();
  }

  @Test
  void scalingUpStartsTheEventsEtcdFirstThenRegeneratesUnderTheLease() throws Exception {
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    desired(kubeadm("2000", "8589934592"), "kind: Pod\nmetadata: {name: etcd-events}", files("200"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(tmp.resolve("root/etc/kilonode/etcd-events.yaml"))).contains("etcd-events");
    assertThat(Files.readString(tmp.resolve("root/etc/kilonode/kube-scheduler/config-abc.yaml"))).contains("qps: 200");
    List<String> calls = h.calls();
    int lease = indexOf(calls, "kubectl -n kube-system get lease");
    int events = indexOf(calls, "events-etcd");
    int health = indexOf(calls, "curl -fsS --max-time 5 -o /dev/null http://127.0.0.1:2384/health");
    int controlPlane = indexOf(calls, "kubeadm init phase control-plane all");
    assertThat(lease).isBetween(0, events);
    assertThat(events).as("events etcd member before the API server restarts").isBetween(0, health);
    assertThat(health).isBetween(0, controlPlane);
    assertThat(kubeadmCalls()).anyMatch(c -> c.startsWith("kubeadm init phase upload-config kubeadm"))
        .noneMatch(c -> c.contains("phase etcd"));
    assertThat(leaseNow().at("/spec/holderIdentity").asText()).as("released").isEmpty();
    // Recorded as applied: a rerun with the same desired state is a no-op.
    Files.delete(h.callsFile());
    assertThat(h.run(SCRIPT).output()).contains("up to date");
    assertThat(kubeadmCalls()).isEmpty();
  }

  @Test
  void anEventsMemberThatStoppedAnsweringIsRejoinedEvenWhenNothingChanged() throws Exception {
    // Applied earlier; then a stop/start wiped the events SSD and the member no longer answers.
    desired(kubeadm("2000", "8589934592"), "kind: Pod\nmetadata: {name: etcd-events}", files("200"));
    assertThat(h.processEnv("KILONODE_RECONCILE_SEED", "1").run(SCRIPT).exitCode()).isZero();
    h.processEnv("KILONODE_RECONCILE_SEED", "0");
    Files.writeString(tmp.resolve("events-down"), "");
    h.stub("events-etcd", "rm -f \"$KILONODE_TEST_ROOT/events-down\"; exit 0");
    h.stub("curl", "[[ $* == *2384* && -f \"$KILONODE_TEST_ROOT/events-down\" ]] && exit 7; exit 0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("re-joining it").doesNotContain("up to date");
    assertThat(h.calls("events-etcd")).hasSize(1);
    // Healthy again: the next run has nothing to do.
    Files.delete(h.callsFile());
    assertThat(h.run(SCRIPT).output()).contains("up to date");
    assertThat(h.calls("events-etcd")).isEmpty();
  }

  @Test
  void aRetryWaitsForTheEventsEtcdAgainAndLeavesTheApiServerAloneWhileItIsDown() throws Exception {
    // The events member is there from an earlier, failed run; it does not answer now.
    desired(kubeadm("2000", "8589934592"), "kind: Pod\nmetadata: {name: etcd-events}", files("200"));
    Files.writeString(k8s.resolve("manifests/etcd-events.yaml"), "kind: Pod\nmetadata: {name: etcd-events}\n");
    h.stub("curl", "[[ $* == *2384* ]] && exit 7; exit 0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.output()).contains("the API server is left as it is");
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(h.calls("curl")).as("it waited").hasSizeGreaterThan(1);
    assertThat(leaseNow().at("/spec/holderIdentity").asText()).as("released after a clean refusal").isEmpty();
  }

  @Test
  void aJoinedMastersEtcdKeepsItsClusterAndTakesOnlyTheTunedFlagsAndResources() throws Exception {
    h.env("MASTER_INDEX", "1").env("NODE_IP", "10.0.32.21");
    desired(kubeadm("2000", "8589934592"), "none", files("200"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    JsonNode etcd = YAML.readTree(k8s.resolve("manifests/etcd.yaml").toFile()).at("/spec/containers/0");
    List<String> command = new ArrayList<>();
    etcd.get("command").forEach(c -> command.add(c.asText()));
    assertThat(command).contains("--quota-backend-bytes=8589934592",
            "--initial-cluster=ip-10-0-0-20=https://10.0.0.20:2380,ip-10-0-32-21=https://10.0.32.21:2380",
            "--initial-cluster-state=existing", "--name=ip-10-0-32-21")
        .doesNotContain("--quota-backend-bytes=2147483648");
    assertThat(etcd.at("/resources/requests/memory").asText()).isEqualTo("1968Mi");
    assertThat(kubeadmCalls()).noneMatch(c -> c.contains("phase etcd")).noneMatch(c -> c.contains("upload-config"));
  }

  @Test
  void anotherMastersFreshLeaseMeansNothingIsRestarted() throws Exception {
    leaseHeldBy("master-2/10.0.64.22", java.time.Instant.now().toString());
    desired(kubeadm("2000", "8589934592"), "none", files("200"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("master-2/10.0.64.22 is reconciling", "did not get the Lease");
    assertThat(kubeadmCalls()).isEmpty();
    assertThat(leaseNow().at("/spec/holderIdentity").asText()).isEqualTo("master-2/10.0.64.22");
  }

  @Test
  void anExpiredLeaseOfADeadHolderIsTakenOver() throws Exception {
    leaseHeldBy("master-2/10.0.64.22", java.time.Instant.now().minusSeconds(1_300).toString());
    desired(kubeadm("2000", "8589934592"), "none", files("200"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(kubeadmCalls()).anyMatch(c -> c.startsWith("kubeadm init phase control-plane all"));
  }

  @Test
  void withAnEtcdMemberDownThisOneIsNotRestarted() throws Exception {
    Files.writeString(tmp.resolve("etcd-member-down"), "");
    desired(kubeadm("2000", "8589934592"), "none", files("200"));
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("not every etcd member is healthy");
    assertThat(kubeadmCalls()).isEmpty();
  }

  @Test
  void aMasterThatDoesNotComeBackKeepsTheLease() throws Exception {
    desired(kubeadm("2000", "8589934592"), "none", files("200"));
    h.stub("curl", "[[ $* == *6443/readyz* ]] && exit 7; exit 0");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("keeping the Lease");
    assertThat(leaseNow().at("/spec/holderIdentity").asText()).isEqualTo("master-0/10.0.0.20");
  }

  @Test
  void twoMastersAtOnceNeverRestartTogether() throws Exception {
    // A second master on its own "machine" (its own dirs), sharing only the API server's Lease.
    Path tmp2 = Files.createDirectories(tmp.resolve("m1"));
    ScriptHarness h2 = new ScriptHarness(tmp2);
    Path k8s2 = Files.createDirectories(tmp2.resolve("k8s/manifests"));
    Files.writeString(tmp2.resolve("k8s/admin.conf"), "apiVersion: v1\n");
    Files.writeString(k8s2.resolve("etcd.yaml"), JOINED_ETCD);
    h2.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "1").env("SSM_PREFIX", "/kilonode/dev").env("NODE_IP", "10.0.32.21");
    h2.processEnv("KILONODE_K8S_DIR", tmp2.resolve("k8s").toString())
        .processEnv("KILONODE_FILES_ROOT", tmp2.resolve("root").toString())
        .processEnv("KILONODE_TEST_LEASE", lease.toString())
        .processEnv("LEASE_ATTEMPTS", "40");
    h.processEnv("LEASE_ATTEMPTS", "40");
    for (Path root : List.of(tmp, tmp2)) {
      Files.writeString(root.resolve("ssm-kubeadm"), kubeadm("2000", "8589934592"));
      Files.writeString(root.resolve("ssm-events"), "none\n");
      Files.writeString(root.resolve("ssm-files"), files("200"));
    }
    for (ScriptHarness x : List.of(h, h2)) {
      // Each restart takes a moment; the timeline records who had its control plane down when.
      x.stub("kubeadm", """
          if [[ $* == "init phase control-plane all"* ]]; then
            echo "down $KILONODE_TEST_ROOT" >> "$KILONODE_TEST_LEASE/timeline"; /bin/sleep 0.5
            echo "up $KILONODE_TEST_ROOT" >> "$KILONODE_TEST_LEASE/timeline"
          fi
          exit 0
          """);
      x.stub("kilonode-sleep", "/bin/sleep 0.1");
      x.processEnv("KILONODE_SLEEP", "kilonode-sleep");
      for (String tool : List.of("aws", "curl", "crictl", "kubectl")) {
        Files.copy(tmp.resolve("bin/" + tool), x.bin.resolve(tool), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    h2.stub("kilonode-sleep", "/bin/sleep 0.1");
    CompletableFuture<ScriptHarness.Result> a = CompletableFuture.supplyAsync(() -> run(h));
    CompletableFuture<ScriptHarness.Result> b = CompletableFuture.supplyAsync(() -> run(h2));
    ScriptHarness.Result ra = a.get();
    ScriptHarness.Result rb = b.get();
    assertThat(ra.exitCode()).as(ra.output()).isZero();
    assertThat(rb.exitCode()).as(rb.output()).isZero();
    List<String> timeline = Files.readAllLines(lease.resolve("timeline"));
    assertThat(timeline).hasSize(4);
    // Strictly one at a time: down X, up X, down Y, up Y.
    assertThat(timeline.get(0).replace("down", "up")).isEqualTo(timeline.get(1));
    assertThat(timeline.get(2).replace("down", "up")).isEqualTo(timeline.get(3));
    assertThat(timeline.get(0)).isNotEqualTo(timeline.get(2));
  }

  private static ScriptHarness.Result run(ScriptHarness x) {
    try {
      return x.run(SCRIPT);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void otherMastersDoNotUploadTheClusterConfiguration() throws Exception {
    h.env("MASTER_INDEX", "1");
    desired(kubeadm("2000", "2147483648"), "none", files("50"));
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
    assertThat(indexOf(h.calls(), "kubeadm init phase control-plane all")).isGreaterThanOrEqualTo(0);
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
