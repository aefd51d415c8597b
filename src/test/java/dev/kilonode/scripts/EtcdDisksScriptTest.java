package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** components/KubernetesMaster/prepare-etcd-disks.sh with stubbed lsblk/blkid/mkfs/mount (report 001). */
class EtcdDisksScriptTest {
  static final String SCRIPT = "KubernetesMaster/prepare-etcd-disks.sh";

  @TempDir Path tmp;
  ScriptHarness h;
  Path fstab;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    fstab = tmp.resolve("fstab");
    Files.writeString(fstab, "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n");
    h.env("KILONODE_ROLE", "master").env("MASTER_INDEX", "0").env("EVENTS_ETCD", "1").env("ETCD_WRITE_BARRIER", "0");
    h.processEnv("KILONODE_FSTAB", fstab.toString())
        .processEnv("KILONODE_MNT_BASE", tmp.resolve("mnt/ssd").toString())
        .processEnv("KILONODE_ETCD_DIR", tmp.resolve("var/lib/etcd").toString())
        .processEnv("KILONODE_ETCD_EVENTS_DIR", tmp.resolve("var/lib/etcd-events").toString())
        .processEnv("LSBLK_OUT", "/dev/xvda \n/dev/xvdb \n/dev/xvdc ");
    h.stub("lsblk", "printf '%b\\n' \"$LSBLK_OUT\"");
    // blkid: filesystem type from $ROOT/fs-<dev>, exit 2 (nothing found) for a blank disk.
    h.stub("blkid", """
        dev=${@: -1}; f="$KILONODE_TEST_ROOT/fs-$(basename "$dev")"
        case "$*" in
          *"-s TYPE"*) [ -f "$f" ] && cat "$f" || exit 2 ;;
          *"-s UUID"*) echo "uuid-$(basename "$dev")" ;;
        esac
        """);
    h.stub("mkfs.ext4", "echo ext4 > \"$KILONODE_TEST_ROOT/fs-$(basename \"${@: -1}\")\"");
    h.stub("findmnt", "exit 1");
    h.stub("mountpoint", "exit 1");
    h.stub("mount", "exit 0");
    h.stub("umount", "exit 0");
  }

  @Test
  void barrierOffOnTwoBlankDisks() throws Exception {
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();

    assertThat(h.calls("mkfs.ext4")).hasSize(2);
    assertThat(h.calls("mkfs.ext4").get(0)).endsWith("/dev/xvdb");
    assertThat(h.calls("mkfs.ext4").get(1)).endsWith("/dev/xvdc");
    List<String> mounts = h.calls("mount").stream().filter(c -> c.contains("-t ext4")).toList();
    assertThat(mounts).containsExactly(
        "mount -t ext4 -o defaults,noatime,barrier=0 /dev/xvdb " + tmp.resolve("mnt/ssd0"),
        "mount -t ext4 -o defaults,noatime,barrier=0 /dev/xvdc " + tmp.resolve("mnt/ssd1"));
    assertThat(h.calls("mount --bind")).containsExactly(
        "mount --bind " + tmp.resolve("mnt/ssd0/etcd") + " " + tmp.resolve("var/lib/etcd"),
        "mount --bind " + tmp.resolve("mnt/ssd1/etcd-events") + " " + tmp.resolve("var/lib/etcd-events"));

    String tab = Files.readString(fstab);
    assertThat(tab).contains("LABEL=cloudimg-rootfs / ext4 defaults 0 1")
        .contains("UUID=uuid-xvdb " + tmp.resolve("mnt/ssd0") + " ext4 defaults,noatime,barrier=0,nofail 0 2")
        .contains("UUID=uuid-xvdc " + tmp.resolve("mnt/ssd1") + " ext4 defaults,noatime,barrier=0,nofail 0 2")
        .contains(tmp.resolve("mnt/ssd0/etcd") + " " + tmp.resolve("var/lib/etcd") + " none bind,nofail");

    // Idempotent: a second run keeps the formatted disks and does not duplicate fstab lines.
    Files.delete(h.callsFile());
    assertThat(h.run(SCRIPT).exitCode()).isZero();
    assertThat(h.calls("mkfs.ext4")).isEmpty();
    assertThat(Files.readString(fstab)).isEqualTo(tab);
  }

  @Test
  void defaultBarriersAndNoReformatWhenBarrierStaysOn() throws Exception {
    // Events etcd off: the second SSD is still prepared for it, so it can be switched on later by reconcile.
    h.env("ETCD_WRITE_BARRIER", "1").env("EVENTS_ETCD", "0");
    Files.writeString(tmp.resolve("fs-xvdb"), "ext4\n");
    Files.writeString(tmp.resolve("fs-xvdc"), "ext4\n");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();

    assertThat(h.calls("mkfs.ext4")).as("already formatted").isEmpty();
    assertThat(h.calls("mount")).noneMatch(c -> c.contains("barrier"));
    assertThat(h.calls("mount").stream().filter(c -> c.contains("-t ext4"))).containsExactly(
        "mount -t ext4 -o defaults,noatime /dev/xvdb " + tmp.resolve("mnt/ssd0"),
        "mount -t ext4 -o defaults,noatime /dev/xvdc " + tmp.resolve("mnt/ssd1"));
    assertThat(Files.readString(fstab)).doesNotContain("barrier").contains("etcd-events");
  }

  @Test
  void nvmeInstanceStorageAndEventsOnTheSameDiskWhenOnlyOneExists() throws Exception {
    h.processEnv("LSBLK_OUT",
        "/dev/nvme0n1 Amazon Elastic Block Store\n/dev/nvme1n1 Amazon EC2 NVMe Instance Storage");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isZero();

    assertThat(h.calls("mkfs.ext4")).singleElement().asString().endsWith("/dev/nvme1n1");
    assertThat(h.calls("mount --bind")).containsExactly(
        "mount --bind " + tmp.resolve("mnt/ssd0/etcd") + " " + tmp.resolve("var/lib/etcd"),
        "mount --bind " + tmp.resolve("mnt/ssd0/etcd-events") + " " + tmp.resolve("var/lib/etcd-events"));
    assertThat(h.calls()).noneMatch(c -> c.contains("nvme0n1") && !c.startsWith("lsblk"));
  }

  @Test
  void noInstanceStoreLeavesEtcdOnTheRootVolume() throws Exception {
    h.processEnv("LSBLK_OUT", "/dev/xvda ");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isZero();
    assertThat(r.stderr()).contains("no instance-store SSD found");
    assertThat(h.calls("mount")).isEmpty();
  }
}
