package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** components/KubernetesMaster/etcd-backup.sh with stubbed crictl/aws. */
class EtcdBackupScriptTest {
  static final String SCRIPT = "KubernetesMaster/etcd-backup.sh";

  @TempDir Path tmp;
  ScriptHarness h;

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("jq");
    h = new ScriptHarness(tmp);
    Files.createDirectories(tmp.resolve("etcd"));
    h.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "1").env("KILONODE_REGION", "eu-west-1").env("KILONODE_STACK", "dev")
        .env("BACKUP_BUCKET", "kilonode-backups").env("BACKUP_PREFIX", "dev/etcd");
    h.processEnv("KILONODE_ETCD_DIR", tmp.resolve("etcd").toString())
        // Two IDs that are equal as IEEE doubles: only an exact comparison tells them apart.
        .processEnv("MEMBER_ID", "9372538179322589801")
        .processEnv("LEADER_ID", "9372538179322589801");
    h.stub("crictl", """
        case "$1" in
          ps) cat <<'JSON'
        {"containers":[
          {"id":"evt111","labels":{"io.kubernetes.container.name":"etcd","io.kubernetes.pod.name":"etcd-events-ip-10-0-1-5"}},
          {"id":"etcd222","labels":{"io.kubernetes.container.name":"etcd","io.kubernetes.pod.name":"etcd-ip-10-0-1-5"}}]}
        JSON
          ;;
          exec)
            [ "$2" = etcd222 ] || { echo "exec into wrong container $2" >&2; exit 9; }
            case "$*" in
              *"endpoint status -w fields"*)
                printf '"ClusterID" : 1\\n"MemberID" : %s\\n"Revision" : 5\\n"Leader" : %s\\n' "$MEMBER_ID" "$LEADER_ID" ;;
              *"snapshot save"*) echo snapshot-bytes > "${@: -1}"; echo "Snapshot saved at ${@: -1}" ;;
              *) exit 3 ;;
            esac ;;
          *) exit 1 ;;
        esac
        """);
    h.stub("aws", "exit 0");
  }

  @Test
  void leaderUploadsTimestampedSnapshotAndLatestWithSse() throws Exception {
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();

    List<String> exec = h.calls("crictl exec");
    assertThat(exec).allMatch(c -> c.startsWith("crictl exec etcd222 etcdctl --endpoints=https://127.0.0.1:2379"))
        .allMatch(c -> c.contains("--cacert=/etc/kubernetes/pki/etcd/ca.crt"));
    assertThat(exec).anyMatch(c -> c.contains("snapshot save " + tmp.resolve("etcd/kilonode-snapshot.db")));

    List<String> s3 = h.calls("aws s3 cp");
    assertThat(s3).hasSize(3);
    assertThat(s3.get(2)).endsWith(" s3://kilonode-backups/dev/etcd/cluster-created");
    assertThat(h.calls("aws cloudwatch")).containsExactly("aws cloudwatch put-metric-data --namespace Kilonode/Etcd"
        + " --metric-name SnapshotUploaded --dimensions Stack=dev --value 1 --unit Count");
    assertThat(s3.get(0)).matches("aws s3 cp --only-show-errors --sse AES256 " + tmp.resolve("etcd/kilonode-snapshot.db")
        + " s3://kilonode-backups/dev/etcd/\\d{8}T\\d{6}Z\\.db");
    String stamped = s3.get(0).substring(s3.get(0).lastIndexOf(' ') + 1);
    assertThat(s3.get(1)).isEqualTo("aws s3 cp --only-show-errors --sse AES256 " + stamped
        + " s3://kilonode-backups/dev/etcd/latest.db");
    assertThat(tmp.resolve("etcd/kilonode-snapshot.db")).as("local snapshot removed").doesNotExist();
  }

  @Test
  void nonLeaderDoesNotUpload() throws Exception {
    h.processEnv("LEADER_ID", "9372538179322589802");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.stderr()).contains("not the etcd leader");
    assertThat(h.calls("aws")).isEmpty();
    assertThat(h.calls()).noneMatch(c -> c.contains("snapshot save"));
  }

  @Test
  void failsWhenEtcdIsNotRunning() throws Exception {
    h.stub("crictl", "echo '{\"containers\":[]}'");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.stderr()).contains("no running etcd container");
    assertThat(h.calls("aws")).isEmpty();
  }
}
