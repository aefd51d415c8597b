package dev.kilonode.master.kubeadm;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.tuning.ControlPlaneBudget;
import dev.kilonode.tuning.TuningProfile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A second etcd for Kubernetes events, as a static pod on each master with its data on the second instance-store SSD
 * (report 001: splitting events off into their own etcd stabilised the cluster under heavy pod churn). It reuses
 * kubeadm's etcd server and peer certificates (their SANs are the master's IP and localhost) on ports 2382/2383.
 * Events are ephemeral (one hour TTL), so this etcd is not backed up.
 */
public final class EventsEtcdManifest {

    public static final String PATH = "/etc/kubernetes/manifests/etcd-events.yaml";
    /** Where the master keeps the manifest with its placeholders; events-etcd.sh writes {@link #PATH} from it. */
    public static final String TEMPLATE = "/etc/kilonode/etcd-events.yaml";
    public static final String INITIAL_CLUSTER = "__INITIAL_CLUSTER__";
    public static final String INITIAL_CLUSTER_STATE = "__INITIAL_CLUSTER_STATE__";

    /**
     * The etcd image kubeadm pairs with each Kubernetes minor (kubernetes/kubernetes cmd/kubeadm/app/constants,
     * SupportedEtcdVersion); the events etcd runs the same version as the main one.
     */
    static final Map<Integer, String> ETCD_IMAGE = Map.of(
            29, "3.5.16-0", 30, "3.5.16-0", 31, "3.5.16-0", 32, "3.5.16-0", 33, "3.5.21-0");

    /**
     * etcd's own release image at the version kubeadm runs, for etcdutl/etcdctl on the host (restore, membership):
     * registry.k8s.io/etcd has no etcdutl (kubernetes cluster/images/etcd/Makefile, amd64: only etcd and etcdctl),
     * while gcr.io/etcd-development/etcd is built from etcd's Dockerfile-release, which adds etcd, etcdctl and etcdutl.
     * Tag "3.5.16-0" (etcd 3.5.16, image revision 0) maps to "v3.5.16".
     */
    public static String etcdToolsImage(int kubernetesMinor) {
        return "gcr.io/etcd-development/etcd:v" + ETCD_IMAGE.get(kubernetesMinor).replaceFirst("-\\d+$", "");
    }

    private EventsEtcdManifest() {
    }

    /** The etcd image tag kubeadm uses for a Kubernetes minor, or null (the image catalog mirrors it). */
    public static String etcdImageTag(int minor) {
        return ETCD_IMAGE.get(minor);
    }

    public static String render(ClusterSpec spec, TuningProfile t, int index) {
        String ip = spec.masterIp(index);
        List<String> command = new ArrayList<>(List.of(
                "etcd",
                "--name=events-" + index,
                "--data-dir=" + KubeadmConfig.EVENTS_ETCD_DATA_DIR,
                "--listen-client-urls=https://127.0.0.1:" + KubeadmConfig.EVENTS_ETCD_CLIENT_PORT + ",https://" + ip + ":" + KubeadmConfig.EVENTS_ETCD_CLIENT_PORT,
                "--advertise-client-urls=https://" + ip + ":" + KubeadmConfig.EVENTS_ETCD_CLIENT_PORT,
                "--listen-peer-urls=https://" + ip + ":" + KubeadmConfig.EVENTS_ETCD_PEER_PORT,
                "--initial-advertise-peer-urls=https://" + ip + ":" + KubeadmConfig.EVENTS_ETCD_PEER_PORT,
                // Filled in on the master by events-etcd.sh: itself alone and "new" only on the master that created
                // the cluster when no events etcd runs yet, else the list etcd gives on member add and "existing".
                "--initial-cluster=" + INITIAL_CLUSTER,
                "--initial-cluster-state=" + INITIAL_CLUSTER_STATE,
                "--initial-cluster-token=kilonode-events",
                "--listen-metrics-urls=http://127.0.0.1:2384",
                "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
                "--key-file=/etc/kubernetes/pki/etcd/server.key",
                "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
                "--client-cert-auth=true",
                "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
                "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
                "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
                "--peer-client-cert-auth=true"));
        KubeadmConfig.etcdFlags(t).forEach((k, v) -> command.add("--" + k + "=" + v));

        TuningProfile.Resources res = t.controlPlaneResources().get(ControlPlaneBudget.EVENTS_ETCD);

        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put("httpGet", Map.of("host", "127.0.0.1", "path", "/health?exclude=NOSPACE&serializable=true",
                "port", 2384, "scheme", "HTTP"));
        probe.put("initialDelaySeconds", 10);
        probe.put("periodSeconds", 10);
        probe.put("timeoutSeconds", 15);
        // Report 001: spurious etcd restarts from the liveness probe; a generous threshold avoids them.
        probe.put("failureThreshold", 8);

        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "etcd");
        container.put("image", spec.images().of(dev.kilonode.images.ImageCatalog.etcd(spec.kubernetesMinorNumber())));
        container.put("command", command);
        container.put("resources", KubeadmConfig.resources(res));
        container.put("livenessProbe", probe);
        container.put("volumeMounts", List.of(
                Map.of("name", "data", "mountPath", "/var/lib/etcd-events"),
                Map.of("name", "certs", "mountPath", "/etc/kubernetes/pki/etcd", "readOnly", true)));

        Map<String, Object> podSpec = new LinkedHashMap<>();
        podSpec.put("hostNetwork", true);
        podSpec.put("priorityClassName", "system-node-critical");
        podSpec.put("securityContext", Map.of("seccompProfile", Map.of("type", "RuntimeDefault")));
        podSpec.put("containers", List.of(container));
        podSpec.put("volumes", List.of(
                Map.of("name", "data", "hostPath", Map.of("path", "/var/lib/etcd-events", "type", "DirectoryOrCreate")),
                Map.of("name", "certs", "hostPath", Map.of("path", "/etc/kubernetes/pki/etcd", "type", "DirectoryOrCreate"))));

        Map<String, Object> pod = new LinkedHashMap<>();
        pod.put("apiVersion", "v1");
        pod.put("kind", "Pod");
        pod.put("metadata", Map.of("name", "etcd-events", "namespace", "kube-system",
                "labels", Map.of("component", "etcd-events", "tier", "control-plane")));
        pod.put("spec", podSpec);
        return KubeadmConfig.documents(pod);
    }
}
