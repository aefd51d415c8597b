package dev.kilonode.master;

import dev.kilonode.cloudinit.CloudConfig;
import dev.kilonode.cloudinit.ComponentFiles;
import dev.kilonode.cloudinit.ShellComments;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.master.kubeadm.EventsEtcdManifest;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.node.NodeBootstrap;
import dev.kilonode.tuning.TuningProfile;

import java.util.List;
import java.util.Map;

/**
 * A master's cloud-config: PKI from SSM, the every-boot etcd unit (disks, then restore / re-join / new), kubeadm
 * init or control-plane join as that unit decided, then the backup, token-sync, node-drainer and scale-out ramp timers
 * ({@code components/KubernetesMaster/}). Pure function of its inputs, so previews are stable.
 */
public final class MasterUserData {

    public static final String COMPONENT = "KubernetesMaster";
    public static final String LIFECYCLE_HOOK_NAME = "kilonode-drain";

    private MasterUserData() {
    }

    public record Inputs(ClusterSpec spec, TuningProfile tuning, KubeadmConfig.Endpoints endpoints, String caCertHash,
                         String backupBucket, String backupPrefix, int index) {
    }

    /** What {@code ${SSM_PREFIX}/control-plane/master-<i>/kubeadm} holds: the master's kubeadm configuration. */
    public static String desiredKubeadm(Inputs in) {
        return KubeadmConfig.controlPlane(in.spec(), in.tuning(), in.endpoints(), in.index());
    }

    /** What {@code .../etcd-events} holds: the events etcd static pod, or {@value #NO_EVENTS_ETCD}. */
    public static String desiredEventsEtcd(Inputs in) {
        return in.spec().eventsEtcdEnabled() ? EventsEtcdManifest.render(in.spec(), in.tuning(), in.index()) : NO_EVENTS_ETCD;
    }

    public static final String NO_EVENTS_ETCD = "none";

    /**
     * Files the control plane reads besides the kubeadm configuration, by absolute path: the static pods' resource
     * patches (their requests follow the size, tuning/ControlPlaneBudget) and kube-scheduler's configuration file
     * (its QPS and burst follow the size). Written by cloud-init at first boot and by the reconcile afterwards.
     */
    public static Map<String, String> controlPlaneFiles(Inputs in) {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        KubeadmConfig.controlPlanePatches(in.tuning(), KubeadmConfig.staticPodImages(in.spec()))
                .forEach((file, body) -> files.put(KubeadmConfig.PATCH_DIR + "/" + file, body));
        files.put(KubeadmConfig.schedulerConfigurationPath(in.tuning()), KubeadmConfig.schedulerConfiguration(in.tuning()));
        return files;
    }

    /** Marks the start of one file in {@link #desiredFiles} (the reconcile splits on it). */
    public static final String FILE_MARKER = "### kilonode-file ";

    /**
     * events-etcd.sh reaches the master through {@code .../files}, not user-data: the reconcile writes it and runs it
     * (also at first boot), and EC2's 16 KB user-data limit has no room left for it.
     */
    public static final String EVENTS_ETCD_SCRIPT = "/etc/kilonode/bin/events-etcd.sh";

    /**
     * The instance type the desired configuration is sized for (the static pods' requests come from its allocatable,
     * ControlPlaneBudget). A changed {@code masterInstanceType} updates the SSM values at once, but the running masters
     * keep their type until {@code kilonode roll masters} (ControlPlaneMachine ignores the change): the reconcile on
     * a machine of another type must not apply requests sized for the new one (the kubelet would refuse static pods
     * larger than its allocatable), so it compares this with the machine's own type and waits.
     */
    public static final String SIZED_FOR = "/etc/kilonode/control-plane-sized-for";

    /**
     * What {@code .../files} holds: {@link #controlPlaneFiles} and {@value #EVENTS_ETCD_SCRIPT}, each after a
     * {@value #FILE_MARKER}PATH line.
     */
    public static String desiredFiles(Inputs in) {
        Map<String, String> files = new java.util.LinkedHashMap<>();
        // First, so the reconcile can read it before anything else: the machine type these requests were sized for.
        files.put(SIZED_FOR, in.spec().masters().instanceType().name() + "\n");
        files.putAll(controlPlaneFiles(in));
        files.put(EVENTS_ETCD_SCRIPT, ShellComments.strip(ComponentFiles.read(COMPONENT, "events-etcd.sh")));
        StringBuilder out = new StringBuilder();
        files.forEach((path, body) -> out.append(FILE_MARKER).append(path).append('\n').append(body));
        return out.toString();
    }

    /**
     * Scripts that only timers run after bootstrap: EC2's 16 KB user-data has no room for them, so each lives in SSM at
     * {@code <ssmPrefix>/control-plane/bin/<name>} and etcd-prepare.sh installs them into /opt/kilonode on every boot
     * (a changed script reaches a master at its next boot).
     */
    public static final List<String> SSM_SCRIPTS = List.of("etcd-backup.sh", "node-drainer.sh", "scale-out-ramp.sh");

    /** What {@code <ssmPrefix>/control-plane/bin/<name>} holds. */
    public static String ssmScript(String name) {
        return ShellComments.strip(ComponentFiles.read(COMPONENT, name));
    }

    public static String render(Inputs in) {
        ClusterSpec spec = in.spec();
        Map<String, String> env = NodeBootstrap.commonEnv(spec, "master", in.endpoints().endpoint());
        env.put("MASTER_INDEX", String.valueOf(in.index()));
        env.put("MASTER_COUNT", String.valueOf(spec.masters().count()));
        env.put("MASTER_IPS", String.join(",", spec.masterIps()));
        env.put("NODE_IP", spec.masterIp(in.index()));
        env.put("ETCD_WRITE_BARRIER", spec.etcd().writeBarrier() ? "1" : "0");
        env.put("EVENTS_ETCD", spec.eventsEtcdEnabled() ? "1" : "0");
        env.put("SSM_SCRIPTS", String.join(",", SSM_SCRIPTS));
        env.put("ETCD_TOOLS_IMAGE", spec.images().of(EventsEtcdManifest.etcdToolsImage(spec.kubernetesMinorNumber())));
        env.put("BACKUP_BUCKET", in.backupBucket());
        env.put("BACKUP_PREFIX", in.backupPrefix());
        env.put("BACKUP_SSE", "aws:kms");
        env.put("LIFECYCLE_HOOK_NAME", LIFECYCLE_HOOK_NAME);
        env.put("JOIN_MAX_ATTEMPTS", "40");
        env.put("JOIN_MAX_BACKOFF_SECONDS", "60");

        CloudConfig cc = NodeBootstrap.start(env, true)
                // The etcd SSDs are kilonode's, not cloud-init's default /mnt.
                .unmount("ephemeral0").unmount("ephemeral1");
        for (String script : new String[]{"prepare-etcd-disks.sh", "fetch-pki.sh", "etcd-prepare.sh",
                "kubeadm-bootstrap.sh", "token-sync.sh",
                "reconcile-control-plane.sh"}) {
            NodeBootstrap.script(cc, COMPONENT, script);
        }
        for (String unit : new String[]{"kilonode-etcd-prepare.service",
                "kilonode-etcd-backup.service", "kilonode-etcd-backup.timer",
                "kilonode-token-sync.service", "kilonode-token-sync.timer",
                "kilonode-node-drainer.service", "kilonode-node-drainer.timer",
                "kilonode-reconcile-control-plane.service", "kilonode-reconcile-control-plane.timer",
                "kilonode-scale-out-ramp.service", "kilonode-scale-out-ramp.timer"}) {
            NodeBootstrap.unit(cc, COMPONENT, unit);
        }
        // Reset the unit's default interval before setting ours (systemd adds list-valued timer settings).
        cc.file("/etc/systemd/system/kilonode-etcd-backup.timer.d/interval.conf", "0644",
                "[Timer]\nOnUnitActiveSec=\nOnUnitActiveSec=" + spec.etcd().backupIntervalMinutes() + "min\n");

        if (in.index() == 0) {
            // The desired configuration without the events override: kubeadm init must not wait on the events etcd.
            cc.file(KubeadmConfig.DIR + "/init.yaml", "0600", KubeadmConfig.init(spec, in.tuning(), in.endpoints()));
        }
        // Every master, master 0 too: a replacement joins the live cluster when one answers (etcd-prepare.sh).
        cc.file(KubeadmConfig.DIR + "/join-control-plane.yaml", "0600",
                KubeadmConfig.joinControlPlane(spec, in.endpoints(), in.caCertHash(), in.index()));
        controlPlaneFiles(in).forEach((path, body) -> cc.file(path, "0644", body));
        // No events etcd template here: only the reconcile starts the events member (events-etcd.sh, itself from
        // SSM), and it writes the template from .../etcd-events first, at first boot too. A copy here would only
        // spend user-data (EC2's 16 KB gzipped) on bytes SSM already holds.
        cc.run("/opt/kilonode/install-kubernetes.sh")
                .run("/opt/kilonode/fetch-pki.sh")
                // Disks, then restore / join / new, now and on every later boot before the kubelet (stop/start
                // wipes the instance store). kubeadm-bootstrap.sh runs nothing unless this unit decided.
                .run("systemctl", "daemon-reload")
                .run("systemctl", "enable", "--now", "kilonode-etcd-prepare.service")
                .run("/opt/kilonode/kubeadm-bootstrap.sh");
        // Applies SSM's desired state, after the API server is up: starts or joins this master's events etcd member
        // (events-etcd.sh, from SSM) and, once it is healthy, points the API server at it.
        cc.run("/opt/kilonode/reconcile-control-plane.sh")
                .run("systemctl", "daemon-reload")
                .run("systemctl", "enable", "--now", "kilonode-etcd-backup.timer", "kilonode-token-sync.timer",
                        "kilonode-node-drainer.timer", "kilonode-reconcile-control-plane.timer",
                        "kilonode-scale-out-ramp.timer");
        return cc.render();
    }
}
