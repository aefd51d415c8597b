package dev.kilonode.nodegroup;

import dev.kilonode.cloudinit.CloudConfig;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.WorkerGroupSpec;
import dev.kilonode.master.MasterUserData;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.node.NodeBootstrap;
import dev.kilonode.tuning.TuningProfile;

import java.util.Map;

/**
 * A worker's cloud-config: install Kubernetes, then join by itself ({@code components/NodeGroup/join-cluster.sh}):
 * wait for the API with capped, jittered backoff, read the bootstrap token from SSM, join with the pinned CA hash and
 * the group's kubelet patch. Report 000 did this over parallel SSH with host-key checking off; nothing here needs SSH.
 */
public final class WorkerUserData {

    public static final String COMPONENT = "NodeGroup";
    /** Join attempts before the worker marks itself unhealthy for the group to replace it. */
    public static final int JOIN_MAX_ATTEMPTS = 30;
    /** Cap of the jittered backoff: 1,000 workers booting together spread over a minute (report 001). */
    public static final int JOIN_MAX_BACKOFF_SECONDS = 60;

    private WorkerUserData() {
    }

    public static String render(ClusterSpec spec, WorkerGroupSpec group, TuningProfile tuning,
                                KubeadmConfig.Endpoints endpoints, String caCertHash) {
        Map<String, String> env = NodeBootstrap.commonEnv(spec, "worker", endpoints.endpoint());
        env.put("NODE_GROUP", group.name());
        env.put("CA_CERT_HASH", caCertHash);
        env.put("JOIN_MAX_ATTEMPTS", String.valueOf(JOIN_MAX_ATTEMPTS));
        env.put("JOIN_MAX_BACKOFF_SECONDS", String.valueOf(JOIN_MAX_BACKOFF_SECONDS));
        // Masters may come up after the workers: wait for the API longer than for the join itself.
        env.put("API_WAIT_MAX_ATTEMPTS", "60");
        env.put("LIFECYCLE_HOOK_NAME", MasterUserData.LIFECYCLE_HOOK_NAME);

        CloudConfig cc = NodeBootstrap.start(env, true);
        NodeBootstrap.script(cc, COMPONENT, "join-cluster.sh");
        cc.file(KubeadmConfig.DIR + "/join.yaml", "0600", KubeadmConfig.joinWorker(spec, group, endpoints, caCertHash));
        cc.file(KubeadmConfig.PATCH_DIR + "/kubeletconfiguration+merge.yaml", "0644",
                KubeadmConfig.workerKubeletPatch(tuning, group.instanceType()));
        cc.run("/opt/kilonode/install-kubernetes.sh")
                .run("/opt/kilonode/join-cluster.sh");
        return cc.render();
    }
}
