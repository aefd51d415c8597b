package dev.kilonode.master;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.testing.Stacks;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class MasterUserDataTest {

    static JsonNode render(String stack, Map<String, String> overrides, int index) throws Exception {
        var config = Stacks.config(stack);
        config.putAll(overrides);
        // As the program renders it: every image from the (fixture) lock, digests as long as real ones.
        ClusterSpec spec = Stacks.mirroredSpec(stack, config);
        String text = MasterUserData.render(new MasterUserData.Inputs(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", index));
        return new ObjectMapper(new YAMLFactory()).readTree(text);
    }

    static String file(JsonNode doc, String path) {
        for (JsonNode f : doc.get("write_files")) {
            if (f.get("path").asText().equals(path)) {
                return f.get("content").asText();
            }
        }
        return null;
    }

    static List<String> commands(JsonNode doc) {
        List<String> out = new ArrayList<>();
        doc.get("runcmd").forEach(c -> out.add(c.get(0).asText() + (c.size() > 1 ? " " + c.get(1).asText() : "")));
        return out;
    }

    @Test
    void etcdUnitDecidesBeforeKubeadmAndStartsTheTimersAfter() throws Exception {
        JsonNode doc = render("scale", Map.of(), 0);
        assertThat(commands(doc)).containsExactly("/opt/kilonode/install-kubernetes.sh", "/opt/kilonode/fetch-pki.sh",
                "systemctl daemon-reload", "systemctl enable", "/opt/kilonode/kubeadm-bootstrap.sh",
                "/opt/kilonode/reconcile-control-plane.sh", "systemctl daemon-reload", "systemctl enable");
        assertThat(doc.get("runcmd").get(3).toString()).isEqualTo("[\"systemctl\",\"enable\",\"--now\",\"kilonode-etcd-prepare.service\"]");
        assertThat(doc.get("runcmd").get(7).toString()).contains("kilonode-etcd-backup.timer", "kilonode-token-sync.timer",
                "kilonode-node-drainer.timer", "kilonode-reconcile-control-plane.timer");
        assertThat(doc.get("mounts").toString()).isEqualTo("[[\"ephemeral0\"],[\"ephemeral1\"]]");
        // The timers' scripts come from SSM (etcd-prepare.sh installs them), not user-data.
        assertThat(file(doc, "/opt/kilonode/etcd-backup.sh")).isNull();
        assertThat(file(doc, "/opt/kilonode/node-drainer.sh")).isNull();
        assertThat(file(doc, "/etc/kilonode/kilonode.env")).contains("SSM_SCRIPTS=etcd-backup.sh,node-drainer.sh,scale-out-ramp.sh\n");
        assertThat(MasterUserData.ssmScript("etcd-backup.sh")).startsWith("#!/usr/bin/env bash\n")
                .doesNotContain("\n# Periodic etcd snapshot");
        // The unit and every script it calls are on the machine.
        for (String f : List.of("/etc/systemd/system/kilonode-etcd-prepare.service", "/opt/kilonode/etcd-prepare.sh",
                "/opt/kilonode/prepare-etcd-disks.sh", "/opt/kilonode/fetch-pki.sh")) {
            assertThat(file(doc, f)).as(f).isNotNull();
        }
    }

    /**
     * The unit runs on every boot (no first-boot condition; enabled with RequiredBy=kubelet.service) and is ordered
     * before the kubelet, so a stop/start's blank SSD is prepared and filled before etcd's static pod can start.
     */
    @Test
    void etcdUnitRunsEveryBootBeforeTheKubeletWhichRequiresIt() throws Exception {
        String unit = file(render("dev", Map.of(), 0), "/etc/systemd/system/kilonode-etcd-prepare.service");
        List<String> lines = unit.lines().map(String::strip).toList();
        assertThat(lines).contains("Before=kubelet.service", "RequiredBy=kubelet.service", "Type=oneshot",
                "RemainAfterExit=yes", "ExecStart=/opt/kilonode/etcd-prepare.sh");
        assertThat(lines).noneMatch(l -> l.startsWith("ConditionFirstBoot") || l.startsWith("ConditionPathExists"));
        assertThat(lines.stream().filter(l -> l.startsWith("After=")).findFirst().orElseThrow())
                .contains("network-online.target").contains("containerd.service").doesNotContain("kubelet");
    }

    @Test
    void etcdToolsComeFromEtcdsReleaseImageAtKubeadmsEtcdVersion() throws Exception {
        // kubeadm 1.31 runs registry.k8s.io/etcd:3.5.16-0, 1.33 runs 3.5.21-0 (EventsEtcdManifest.ETCD_IMAGE); the
        // master pulls etcd's release image at that version from the stack's mirror, by digest.
        for (var v : Map.of("1.31.4", "v3.5.16", "1.33.10", "v3.5.21").entrySet()) {
            var config = Stacks.config("dev");
            config.put("kilonode:kubernetesVersion", v.getKey());
            var spec = Stacks.mirroredSpec("dev", config);
            String source = "gcr.io/etcd-development/etcd:" + v.getValue();
            assertThat(dev.kilonode.images.ImageCatalog.of(spec)).extracting(dev.kilonode.images.PinnedImage::source)
                    .contains(source);
            assertThat(file(render("dev", Map.of("kilonode:kubernetesVersion", v.getKey()), 0), "/etc/kilonode/kilonode.env"))
                    .contains("ETCD_TOOLS_IMAGE=" + spec.images().of(source) + "\n")
                    .containsPattern("ETCD_TOOLS_IMAGE=\\d{12}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/kilonode-dev/"
                            + "etcd-development/etcd@sha256:[0-9a-f]{64}\n");
        }
    }

    @Test
    void theEventsEtcdScriptComesWithTheDesiredFilesWhichFitAnSsmParameter() throws Exception {
        for (String stack : List.of("dev", "scale")) {
            var config = Stacks.config(stack);
            config.put("kilonode:masterCount", "3");
            ClusterSpec spec = Stacks.spec(stack, config);
            var in = new MasterUserData.Inputs(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                    new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", 2);
            String files = MasterUserData.desiredFiles(in);
            assertThat(files).contains(MasterUserData.FILE_MARKER + MasterUserData.EVENTS_ETCD_SCRIPT + "\n#!/usr/bin/env bash\n",
                    MasterUserData.FILE_MARKER + KubeadmConfig.PATCH_DIR + "/kube-apiserver+strategic.yaml\n");
            // SSM advanced parameters hold 8 KB (the Intelligent-Tiering tier moves a larger value there).
            assertThat(files.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(8_192);
            for (String desired : List.of(MasterUserData.desiredKubeadm(in), MasterUserData.desiredEventsEtcd(in))) {
                assertThat(desired.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(8_192);
            }
        }
    }

    /**
     * The events etcd template reaches a master only through SSM (the reconcile writes it before it starts the
     * member), so user-data keeps room under EC2's limit; prints what is left for the largest example stack.
     */
    @Test
    void userDataCarriesNoEventsEtcdTemplateAndSaysWhatRoomIsLeft() {
        for (String stack : List.of("dev", "scale")) {
            ClusterSpec spec = Stacks.mirroredSpec(stack, Stacks.config(stack));
            var in = new MasterUserData.Inputs(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                    new KubeadmConfig.Endpoints("api." + stack + ".kilonode.internal"), "sha256:" + "a".repeat(64),
                    "kilonode-" + stack + "-etcd-20261123000000000000000001", stack + "/etcd", 0);
            String text = MasterUserData.render(in);
            assertThat(text).doesNotContain("path: " + dev.kilonode.master.kubeadm.EventsEtcdManifest.TEMPLATE);
            if (spec.eventsEtcdEnabled()) {
                assertThat(MasterUserData.desiredEventsEtcd(in)).contains("etcd-events");
            }
            int gz = dev.kilonode.cloudinit.UserData.gzip(text).length;
            System.out.printf("master 0 user-data of %s: %,d bytes gzipped, %,d left of EC2's %,d%n", stack, gz,
                    dev.kilonode.cloudinit.UserData.EC2_LIMIT_BYTES - gz, dev.kilonode.cloudinit.UserData.EC2_LIMIT_BYTES);
        }
    }

    /** The reconcile reads the first section of the bundle for the machine type its requests were sized for. */
    @Test
    void theDesiredFilesBeginWithTheMachineTypeTheyAreSizedFor() {
        for (String type : List.of("m5d.xlarge", "m5d.4xlarge")) {
            var config = Stacks.config("scale");
            config.put("kilonode:masterInstanceType", type);
            ClusterSpec spec = Stacks.spec("scale", config);
            var in = new MasterUserData.Inputs(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                    new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", 0);
            assertThat(MasterUserData.desiredFiles(in)).startsWith(MasterUserData.FILE_MARKER + MasterUserData.SIZED_FOR
                    + "\n" + type + "\n" + MasterUserData.FILE_MARKER);
        }
    }

    @Test
    void envFileCarriesTheBarrierBackupAndHookSettings() throws Exception {
        String env = file(render("scale", Map.of(), 0), "/etc/kilonode/kilonode.env");
        assertThat(env).contains("ETCD_WRITE_BARRIER=0", "EVENTS_ETCD=1", "BACKUP_BUCKET=bucket-1",
                "BACKUP_PREFIX=scale/etcd", "LIFECYCLE_HOOK_NAME=kilonode-drain", "MASTER_INDEX=0",
                "API_ENDPOINT=api.scale.kilonode.internal:6443", "SSM_PREFIX=/kilonode/scale", "NODE_IP=10.0.0.20");
        assertThat(file(render("dev", Map.of(), 0), "/etc/kilonode/kilonode.env")).contains("ETCD_WRITE_BARRIER=1", "EVENTS_ETCD=0");
    }

    @Test
    void backupIntervalComesFromConfigAndReplacesTheDefault() throws Exception {
        String dropIn = file(render("dev", Map.of("kilonode:etcdBackupIntervalMinutes", "30"), 0),
                "/etc/systemd/system/kilonode-etcd-backup.timer.d/interval.conf");
        assertThat(dropIn).isEqualTo("[Timer]\nOnUnitActiveSec=\nOnUnitActiveSec=30min\n");
    }

    @Test
    void firstMasterInitsAndOthersJoin() throws Exception {
        Map<String, String> three = Map.of("kilonode:masterCount", "3");
        JsonNode first = render("scale", three, 0);
        JsonNode second = render("scale", three, 1);
        assertThat(file(first, "/etc/kilonode/kubeadm/init.yaml")).contains("kind: InitConfiguration");
        // Master 0 has both: its replacement joins the live cluster when one answers.
        assertThat(file(first, "/etc/kilonode/kubeadm/join-control-plane.yaml")).contains("kind: JoinConfiguration")
                .contains("advertiseAddress: 10.0.0.20");
        assertThat(file(second, "/etc/kilonode/kubeadm/init.yaml")).isNull();
        assertThat(file(second, "/etc/kilonode/kubeadm/join-control-plane.yaml")).contains("kind: JoinConfiguration");
        // The events etcd is a template (from SSM, written by the reconcile) until events-etcd.sh runs after kubeadm:
        // user-data starts no member and carries no template.
        assertThat(file(second, "/etc/kubernetes/manifests/etcd-events.yaml")).isNull();
        assertThat(file(second, "/etc/kilonode/etcd-events.yaml")).isNull();
        var config = Stacks.config("scale");
        config.putAll(three);
        ClusterSpec spec = Stacks.spec("scale", config);
        assertThat(MasterUserData.desiredEventsEtcd(new MasterUserData.Inputs(spec, TuningProfile.forCluster(ClusterSize.of(spec)),
                new KubeadmConfig.Endpoints("api.scale.kilonode.internal"), "sha256:abc", "bucket-1", "scale/etcd", 1)))
                .contains("--name=events-1", "--initial-cluster=__INITIAL_CLUSTER__",
                        "--initial-cluster-state=__INITIAL_CLUSTER_STATE__");
        for (JsonNode doc : List.of(first, second)) {
            assertThat(doc.toString()).doesNotContain("PRIVATE KEY").doesNotContainPattern("[a-z0-9]{6}\\.[a-z0-9]{16}");
        }
    }
}
