package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The master's etcd lifecycle scripts (etcd-prepare.sh, etcd-backup.sh, kubeadm-bootstrap.sh) run
 * for real against real etcd members ({@link RealEtcd}), the real AWS CLI and moto_server ({@link MotoServer}), and
 * real openssl/jq. Stubbed, because they cannot exist here:
 * <ul>
 *   <li>{@code ctr} (containerd): "run IMAGE ID /usr/local/bin/TOOL ARGS" runs the same etcd 3.5 TOOL on the host
 *       (the bind mounts are same-path, so paths agree); "images ls/pull" do nothing.</li>
 *   <li>{@code crictl} (CRI): "ps" lists this master's etcd container, "exec ID TOOL ARGS" runs TOOL on the host.</li>
 *   <li>{@code lsblk}: this machine has no instance-store disks (prepare-etcd-disks.sh then keeps the data dir).</li>
 *   <li>{@code kubeadm}, {@code curl} (API readiness): recorded; kubeadm's own etcd join is done by the test.</li>
 * </ul>
 * The kubelet is the test: it starts etcd on the data dir only after kilonode-etcd-prepare.service's script returned,
 * which is what Before=kubelet.service + RequiredBy=kubelet.service give on a machine (MasterUserDataTest).
 */
class EtcdLifecycleTest {
  static final String BUCKET = "kilonode-dev-etcd-test";
  static final String PREFIX = "dev/etcd";
  static final long BUMP = 1_000_000_000L;
  static final String TOKEN = "abcdef.0123456789abcdef";

  @TempDir Path tmp;
  RealEtcd etcd;
  MotoServer s3;
  final Map<Integer, ScriptHarness> masters = new HashMap<>();
  int memberCount = 1;

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("jq");
    ScriptHarness.requireTool("openssl");
    etcd = new RealEtcd(Files.createDirectories(tmp.resolve("cluster")));
    s3 = new MotoServer(tmp.resolve("moto.log"), false);
    s3.aws("s3api", "create-bucket", "--bucket", BUCKET, "--create-bucket-configuration", "LocationConstraint=eu-west-1");
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (etcd != null) {
        etcd.close();
      }
    } finally {
      if (s3 != null) {
        s3.close();
      }
    }
  }

  /** Master i of {@link #memberCount}: its own /etc/kubernetes, /run/kilonode and state dir; the shared etcd CA. */
  ScriptHarness master(int i) throws Exception {
    if (masters.containsKey(i)) {
      return masters.get(i);
    }
    Path root = Files.createDirectories(tmp.resolve("m" + i));
    ScriptHarness h = new ScriptHarness(root);
    h.env("KILONODE_ROLE", "master").env("KILONODE_STACK", "dev").env("KILONODE_REGION", "eu-west-1")
        .env("SSM_PREFIX", "/kilonode/dev").env("API_ENDPOINT", "api.internal:6443")
        .env("MASTER_INDEX", String.valueOf(i)).env("MASTER_COUNT", String.valueOf(memberCount))
        .env("MASTER_IPS", etcd.masterIps(memberCount)).env("NODE_IP", RealEtcd.ip(i))
        .env("BACKUP_BUCKET", BUCKET).env("BACKUP_PREFIX", PREFIX).env("BACKUP_SSE", "AES256")
        .env("ETCD_TOOLS_IMAGE", RealEtcd.TOOLS_IMAGE).env("JOIN_MAX_ATTEMPTS", "2")
        .env("SSM_SCRIPTS", "etcd-backup.sh,node-drainer.sh");
    h.processEnv("KILONODE_ETCD_DIR", etcd.dataDir(i).toString())
        .processEnv("KILONODE_K8S_DIR", Files.createDirectories(root.resolve("k8s")).toString())
        .processEnv("KILONODE_PKI_DIR", etcd.pki.toString())
        .processEnv("KILONODE_ETCD_PKI", etcd.pki.resolve("etcd").toString())
        .processEnv("KILONODE_RUN_DIR", root.resolve("run").toString())
        .processEnv("KILONODE_KUBEADM_DIR", Files.createDirectories(root.resolve("kubeadm")).toString())
        .processEnv("ETCD_CLIENT_PORT", String.valueOf(etcd.clientPort))
        .processEnv("ETCD_PEER_PORT", String.valueOf(etcd.peerPort))
        .processEnv("ETCD_ENDPOINT", etcd.clientUrl(i))
        .processEnv("NODE_NAME", RealEtcd.name(i))
        .processEnv("KILONODE_TEST_ETCD_BIN", etcd.bin.toString())
        .processEnv("KILONODE_BIN_DIR", Files.createDirectories(root.resolve("opt-kilonode")).toString())
        // Real etcd needs real (short, bounded) waits between retries; the status call gets 15 s.
        .processEnv("KILONODE_SLEEP", "sleep").processEnv("ETCD_BACKUP_TIMEOUT_SECONDS", "15");
    Files.createDirectories(etcd.dataDir(i)); // the SSD mount point
    s3.awsEnv().forEach(h::processEnv);
    h.stub("ctr", """
        case "$3" in
          images) exit 0 ;;
          run)
            shift 3
            while [ "${1#--}" != "$1" ]; do if [ "$1" = --mount ]; then shift 2; else shift; fi; done
            shift 2
            tool=$(basename "$1"); shift
            exec "$KILONODE_TEST_ETCD_BIN/$tool" "$@" ;;
          *) exit 1 ;;
        esac
        """);
    h.stub("crictl", """
        case "$1" in
          ps) printf '{"containers":[{"id":"c-%s","labels":{"io.kubernetes.container.name":"etcd","io.kubernetes.pod.name":"etcd-%s"}}]}\\n' "$NODE_NAME" "$NODE_NAME" ;;
          exec) shift 2; tool=$1; shift; exec "$KILONODE_TEST_ETCD_BIN/$tool" "$@" ;;
          *) exit 1 ;;
        esac
        """);
    h.stub("lsblk", "exit 0");
    h.stub("kubeadm", "exit 0");
    h.stub("curl", "exit 0");
    masters.put(i, h);
    return h;
  }

  /** What a bootstrapped master has on its root volume (survives stop/start): kubeadm's etcd manifest, admin.conf. */
  void bootstrapped(int i, String initialCluster) throws Exception {
    Path k8s = tmp.resolve("m" + i + "/k8s");
    Files.createDirectories(k8s.resolve("manifests"));
    Files.writeString(k8s.resolve("admin.conf"), "apiVersion: v1\n");
    Files.writeString(k8s.resolve("manifests/etcd.yaml"), """
        apiVersion: v1
        kind: Pod
        metadata:
          name: etcd
          namespace: kube-system
        spec:
          containers:
          - command:
            - etcd
            - --advertise-client-urls=%s
            - --data-dir=/var/lib/etcd
            - --initial-advertise-peer-urls=%s
            - --initial-cluster=%s
            - --name=%s
            image: registry.k8s.io/etcd:3.5.16-0
        """.formatted(etcd.clientUrl(i), etcd.peerUrl(i), initialCluster, RealEtcd.name(i)));
  }

  /** A new, blank instance-store disk mounted at the data dir: nothing in it. */
  void wipe(int i) throws Exception {
    Path d = etcd.dataDir(i);
    if (Files.exists(d)) {
      try (Stream<Path> s = Files.walk(d)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(d);
  }

  Path decision(int i) {
    return tmp.resolve("m" + i + "/run/etcd-decision");
  }

  static long revision(String json) {
    Matcher m = Pattern.compile("\"revision\":(\\d+)").matcher(json);
    assertThat(m.find()).as(json).isTrue();
    return Long.parseLong(m.group(1));
  }

  static String field(String json, String name) {
    Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(json);
    assertThat(m.find()).as(name + " in " + json).isTrue();
    return m.group(1);
  }

  /** What kubeadm join's etcd phase does: member add, retried while etcd says the cluster is not ready for it. */
  String memberAdd(int via, int i) throws Exception {
    RealEtcd.Run r = null;
    for (int attempt = 0; attempt < 30; attempt++) {
      r = etcd.etcdctl(etcd.clientUrl(via), "member", "add", RealEtcd.name(i), "--peer-urls=" + etcd.peerUrl(i));
      if (r.exitCode() == 0) {
        return r.output();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("member add: " + r.output());
  }

  static String clusterId(String json) {
    Matcher m = Pattern.compile("\"cluster_id\":(\\d+)").matcher(json);
    assertThat(m.find()).as(json).isTrue();
    return m.group(1);
  }

  String latestEtag() throws Exception {
    return s3.aws("s3api", "head-object", "--bucket", BUCKET, "--key", PREFIX + "/latest.db", "--query", "ETag",
        "--output", "text").strip();
  }

  List<String> keys() throws Exception {
    String out = s3.aws("s3api", "list-objects-v2", "--bucket", BUCKET, "--query", "Contents[].Key", "--output", "text").strip();
    return out.isEmpty() || out.equals("None") ? List.of() : List.of(out.split("\\s+"));
  }

  ScriptHarness.Result backup(int i) throws Exception {
    return master(i).run("KubernetesMaster/etcd-backup.sh");
  }

  // ------------------------------------------------------------------------------------------------ restore

  @Test
  void stopStartOfTheOnlyMasterRestoresEveryAcknowledgedWriteOfTheLastSnapshotAndMovesTheRevisionForward() throws Exception {
    etcd.start(0, etcd.initialCluster(1), "new");
    etcd.awaitHealthy(0);
    bootstrapped(0, etcd.initialCluster(1));
    String ep = etcd.clientUrl(0);
    List<String> inSnapshot = new ArrayList<>();
    List<String> acknowledged = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int j = 0; j < 10; j++) {
        String key = "/registry/k-" + round + "-" + j;
        assertThat(etcd.ok(ep, "put", key, "v" + round + j)).contains("OK");
        acknowledged.add(key);
      }
      ScriptHarness.Result b = backup(0);
      assertThat(b.exitCode()).as(b.output()).isZero();
      assertThat(b.stderr()).contains("uploaded");
      inSnapshot.clear();
      inSnapshot.addAll(acknowledged);
    }
    List<String> afterLastSnapshot = new ArrayList<>();
    for (int j = 0; j < 5; j++) {
      etcd.ok(ep, "put", "/registry/late-" + j, "x");
      afterLastSnapshot.add("/registry/late-" + j);
    }
    long revisionBefore = revision(etcd.ok(ep, "get", "/registry/late-4", "-w", "json"));

    etcd.kill(0);
    wipe(0);
    ScriptHarness h = master(0);
    Files.deleteIfExists(h.callsFile());
    ScriptHarness.Result r = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(decision(0)).strip()).isEqualTo("restored");
    assertThat(h.calls("lsblk")).as("the disks are prepared on this boot too").isNotEmpty();
    assertThat(h.calls("ctr -n k8s.io run")).anyMatch(c -> c.contains(RealEtcd.TOOLS_IMAGE)
        && c.contains("/usr/local/bin/etcdutl snapshot restore") && c.contains("--bump-revision " + BUMP)
        && c.contains("--mark-compacted"));
    try (Stream<Path> s = Files.list(etcd.dataDir(0))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("member");
    }
    // Bootstrapped already: kubeadm is not run again.
    ScriptHarness.Result k = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(k.exitCode()).as(k.output()).isZero();
    assertThat(h.calls("kubeadm")).isEmpty();

    // The kubelet starts etcd from its manifest on the restored data.
    etcd.start(0, etcd.initialCluster(1), "new");
    etcd.awaitHealthy(0);
    for (String key : inSnapshot) {
      assertThat(etcd.ok(ep, "get", key, "--print-value-only")).as(key).isNotBlank();
    }
    for (String key : afterLastSnapshot) {
      assertThat(etcd.ok(ep, "get", key)).as("written after the last snapshot: " + key).isBlank();
    }
    long revisionAfter = revision(etcd.ok(ep, "put", "/registry/after-restore", "y", "-w", "json"));
    assertThat(revisionAfter).isGreaterThan(revisionBefore + BUMP / 2);
    // An informer resuming from the revision it had before the loss is told to re-list, not fed a gap.
    RealEtcd.Run watch = etcd.etcdctl(ep, "watch", "--rev=" + revisionBefore, "/registry/k-0-0");
    assertThat(watch.output()).contains("compacted");
  }

  @Test
  void aNewClusterOnlyWhenS3PositivelyHoldsNeitherSnapshotNorClusterMarker() throws Exception {
    // The timers' scripts come from SSM (as KubernetesMaster stores them); one is missing: a warning, not a refusal.
    s3.aws("ssm", "put-parameter", "--name", "/kilonode/dev/control-plane/bin/etcd-backup.sh", "--type", "String",
        "--value", dev.kilonode.master.MasterUserData.ssmScript("etcd-backup.sh"));
    ScriptHarness h = master(0);
    ScriptHarness.Result first = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(Files.readString(decision(0)).strip()).isEqualTo("new");
    Path installed = tmp.resolve("m0/opt-kilonode/etcd-backup.sh");
    assertThat(Files.isExecutable(installed)).isTrue();
    assertThat(Files.readString(installed)).startsWith("#!/usr/bin/env bash\n").contains("snapshot save");
    assertThat(first.stderr()).contains("WARNING: cannot read /kilonode/dev/control-plane/bin/node-drainer.sh");
    assertThat(keys()).containsExactly(PREFIX + "/cluster-created");

    // Master 0 replaced before the first backup: the marker is there, no snapshot, no other member.
    wipe(0);
    ScriptHarness.Result again = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(again.exitCode()).isNotZero();
    assertThat(again.stderr()).contains("says a cluster was created").contains("refusing to start an empty one");
    assertThat(decision(0)).doesNotExist();
    assertThat(etcd.dataDir(0).resolve("member")).doesNotExist();
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"unreachable", "wrong-bucket", "access-denied"})
  void masterZeroRefusesWhenS3CannotTellAndNothingIsInitialised(String failure) throws Exception {
    ScriptHarness h = master(0);
    MotoServer denying = null;
    try {
      switch (failure) {
        case "unreachable" -> h.processEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:" + RealEtcd.freePort());
        case "wrong-bucket" -> h.env("BACKUP_BUCKET", "kilonode-dev-etcd-typo");
        default -> {
          denying = new MotoServer(tmp.resolve("moto-auth.log"), true);
          h.processEnv("AWS_ENDPOINT_URL", denying.url());
        }
      }
      Files.writeString(tmp.resolve("m0/kubeadm/init.yaml"), "kind: InitConfiguration\n");
      ScriptHarness.Result r = h.run("KubernetesMaster/etcd-prepare.sh");
      assertThat(r.exitCode()).as(r.output()).isNotZero();
      assertThat(r.stderr()).contains("cannot reach the snapshot bucket s3://").contains("not starting etcd");
      assertThat(decision(0)).doesNotExist();
      assertThat(etcd.dataDir(0).resolve("member")).doesNotExist();
      ScriptHarness.Result k = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
      assertThat(k.exitCode()).isNotZero();
      assertThat(h.calls("kubeadm")).as("kubeadm init never runs").isEmpty();
      assertThat(keys()).as("no cluster marker written").isEmpty();
    } finally {
      if (denying != null) {
        denying.close();
      }
    }
  }

  @ParameterizedTest(name = "{0} latest.db")
  @ValueSource(strings = {"empty", "corrupt"})
  void masterZeroRefusesAnEmptyOrCorruptSnapshot(String kind) throws Exception {
    Path bad = tmp.resolve("latest.db");
    Files.write(bad, kind.equals("empty") ? new byte[0] : "this is not a bbolt database".repeat(500).getBytes());
    s3.aws("s3", "cp", bad.toString(), "s3://" + BUCKET + "/" + PREFIX + "/latest.db");
    ScriptHarness h = master(0);
    ScriptHarness.Result r = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(r.stderr()).contains(kind.equals("empty") ? "is empty (0 bytes)" : "is not a readable etcd snapshot")
        .contains("restore failed; not starting etcd");
    assertThat(decision(0)).doesNotExist();
    try (Stream<Path> s = Files.list(etcd.dataDir(0))) {
      assertThat(s.toList()).as("nothing left in the data dir").isEmpty();
    }
    assertThat(h.run("KubernetesMaster/kubeadm-bootstrap.sh").exitCode()).isNotZero();
    assertThat(h.calls("kubeadm")).isEmpty();
  }

  // ------------------------------------------------------------------------------------------------ backup

  @Test
  void backupFailsLoudlyWhenEtcdCannotBeAskedAndLatestStays() throws Exception {
    etcd.start(0, etcd.initialCluster(1), "new");
    etcd.awaitHealthy(0);
    etcd.ok(etcd.clientUrl(0), "put", "/registry/a", "1");
    ScriptHarness.Result good = backup(0);
    assertThat(good.exitCode()).as(good.output()).isZero();
    String etag = latestEtag();
    List<String> objects = keys();
    assertThat(s3.aws("cloudwatch", "list-metrics", "--namespace", "Kilonode/Etcd"))
        .contains("SnapshotUploaded").contains("\"Value\": \"dev\"");

    // kubeadm's client certificates expire after a year.
    Path expired = Files.createDirectories(tmp.resolve("expired-pki"));
    Files.copy(etcd.pki.resolve("etcd/ca.crt"), expired.resolve("ca.crt"));
    Instant now = Instant.now();
    etcd.issue(expired.resolve("healthcheck-client"), "kube-etcd-healthcheck-client", now.minus(Duration.ofDays(400)),
        now.minus(Duration.ofDays(35)), List.of());
    etcd.ok(etcd.clientUrl(0), "put", "/registry/b", "2");
    ScriptHarness h = master(0);
    h.processEnv("KILONODE_ETCD_PKI", expired.toString());
    ScriptHarness.Result r = backup(0);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("cannot ask etcd").doesNotContain("not the etcd leader");
    assertThat(latestEtag()).isEqualTo(etag);
    assertThat(keys()).isEqualTo(objects);

    // A hung etcd (SIGSTOP): bounded by the timeout, then a failure, not a skip.
    h.processEnv("KILONODE_ETCD_PKI", etcd.pki.resolve("etcd").toString()).processEnv("ETCD_BACKUP_TIMEOUT_SECONDS", "6");
    long pid = etcd.process(0).pid();
    RealEtcd.exec(List.of("kill", "-STOP", String.valueOf(pid)));
    try {
      ScriptHarness.Result hung = backup(0);
      assertThat(hung.exitCode()).isNotZero();
      assertThat(hung.stderr()).contains("cannot ask etcd");
    } finally {
      RealEtcd.exec(List.of("kill", "-CONT", String.valueOf(pid)));
    }
    assertThat(latestEtag()).isEqualTo(etag);
  }

  // ------------------------------------------------------------------------------------------------ three masters

  void startThree() throws Exception {
    memberCount = 3;
    for (int i = 0; i < 3; i++) {
      etcd.start(i, etcd.initialCluster(3), "new");
    }
    for (int i = 0; i < 3; i++) {
      etcd.awaitHealthy(i);
    }
  }

  String all() {
    return etcd.clientUrl(0) + "," + etcd.clientUrl(1) + "," + etcd.clientUrl(2);
  }

  @Test
  void onlyTheLeaderOfThreeUploads() throws Exception {
    startThree();
    etcd.ok(etcd.clientUrl(1), "put", "/registry/x", "1");
    List<String> uploaded = new ArrayList<>();
    int skipped = 0;
    for (int i = 0; i < 3; i++) {
      ScriptHarness.Result r = backup(i);
      assertThat(r.exitCode()).as(r.output()).isZero();
      if (r.stderr().contains("uploaded")) {
        uploaded.add(RealEtcd.name(i));
      } else {
        assertThat(r.stderr()).contains("not the etcd leader");
        skipped++;
      }
    }
    assertThat(uploaded).hasSize(1);
    assertThat(skipped).isEqualTo(2);
    assertThat(keys().stream().filter(k -> k.matches(".*/\\d{8}T\\d{6}Z\\.db"))).hasSize(1);
    // The uploader is the member etcd itself calls leader.
    int uploader = uploaded.get(0).charAt(uploaded.get(0).length() - 1) - '0';
    String status = etcd.ok(etcd.clientUrl(uploader), "endpoint", "status", "-w", "json");
    assertThat(field(status, "member_id")).isEqualTo(field(status, "leader"));
  }

  @Test
  void replacingMasterZeroOfALiveThreeJoinsTheSameCluster() throws Exception {
    startThree();
    etcd.ok(all(), "put", "/registry/before", "kept");
    for (int i = 0; i < 3; i++) {
      assertThat(backup(i).exitCode()).isZero();
    }
    String etag = latestEtag();
    String clusterId = clusterId(etcd.ok(etcd.clientUrl(1), "endpoint", "status", "-w", "json"));
    s3.aws("ssm", "put-parameter", "--name", "/kilonode/dev/bootstrap-token", "--type", "SecureString", "--value", TOKEN);

    etcd.kill(0);
    wipe(0); // a new instance: new blank SSD, nothing bootstrapped
    ScriptHarness h = master(0);
    Files.writeString(tmp.resolve("m0/kubeadm/init.yaml"), "kind: InitConfiguration\n");
    Files.writeString(tmp.resolve("m0/kubeadm/join-control-plane.yaml"), "token: __BOOTSTRAP_TOKEN__\n");
    ScriptHarness.Result r = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(decision(0)).strip()).isEqualTo("join");
    assertThat(r.stderr()).contains("removing stale member");
    String members = etcd.ok(etcd.clientUrl(1), "member", "list");
    assertThat(members.lines()).hasSize(2);
    assertThat(members).doesNotContain(etcd.peerUrl(0));
    assertThat(h.calls("ctr -n k8s.io run")).noneMatch(c -> c.contains("etcdutl"));

    ScriptHarness.Result k = h.run("KubernetesMaster/kubeadm-bootstrap.sh");
    assertThat(k.exitCode()).as(k.output()).isZero();
    assertThat(h.calls("kubeadm init")).isEmpty();
    assertThat(h.calls("kubeadm join")).hasSize(1);
    assertThat(k.output()).doesNotContain(TOKEN.substring(7));

    // What kubeadm join's etcd phase does (kubeadm cannot run here): add the member, start it as "existing".
    String added = memberAdd(1, 0);
    Matcher m = Pattern.compile("ETCD_INITIAL_CLUSTER=\"([^\"]+)\"").matcher(added);
    assertThat(m.find()).isTrue();
    etcd.start(0, m.group(1), "existing");
    etcd.awaitHealthy(0);
    for (int i = 0; i < 3; i++) {
      assertThat(clusterId(etcd.ok(etcd.clientUrl(i), "endpoint", "status", "-w", "json"))).as("member " + i).isEqualTo(clusterId);
    }
    assertThat(etcd.ok(etcd.clientUrl(0), "get", "/registry/before", "--print-value-only", "--consistency=s").strip()).isEqualTo("kept");
    assertThat(latestEtag()).as("no restore, no second cluster uploading").isEqualTo(etag);
  }

  @Test
  void stopStartOfMasterZeroOfALiveThreeRejoinsInPlaceBeforeTheKubeletStartsEtcd() throws Exception {
    startThree();
    etcd.ok(all(), "put", "/registry/before", "kept");
    String clusterId = clusterId(etcd.ok(etcd.clientUrl(1), "endpoint", "status", "-w", "json"));
    // kubeadm init wrote master 0's manifest with a one-member --initial-cluster: started on an empty dir as it is,
    // it would found a second cluster.
    bootstrapped(0, RealEtcd.name(0) + "=" + etcd.peerUrl(0));
    etcd.kill(0);
    wipe(0);
    ScriptHarness h = master(0);
    ScriptHarness.Result r = h.run("KubernetesMaster/etcd-prepare.sh");
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readString(decision(0)).strip()).isEqualTo("rejoined");
    String manifest = Files.readString(tmp.resolve("m0/k8s/manifests/etcd.yaml"));
    Matcher m = Pattern.compile("(?m)^ *- --initial-cluster=(.+)$").matcher(manifest);
    assertThat(m.find()).isTrue();
    assertThat(m.group(1).split(",")).containsExactlyInAnyOrder(
        RealEtcd.name(0) + "=" + etcd.peerUrl(0), RealEtcd.name(1) + "=" + etcd.peerUrl(1), RealEtcd.name(2) + "=" + etcd.peerUrl(2));
    assertThat(manifest).contains("- --initial-cluster-state=existing");

    // The kubelet starts etcd with the manifest's flags.
    etcd.start(0, m.group(1), "existing");
    etcd.awaitHealthy(0);
    for (int i = 0; i < 3; i++) {
      assertThat(clusterId(etcd.ok(etcd.clientUrl(i), "endpoint", "status", "-w", "json"))).isEqualTo(clusterId);
    }
    assertThat(etcd.ok(etcd.clientUrl(0), "member", "list").lines()).hasSize(3);
    assertThat(etcd.ok(etcd.clientUrl(0), "get", "/registry/before", "--print-value-only", "--consistency=s").strip()).isEqualTo("kept");
  }
}
