package dev.kilonode.master.kubeadm;

import com.fasterxml.jackson.annotation.JsonInclude;

import java.util.List;
import java.util.Map;

/**
 * The subset of kubeadm's configuration types kilonode sets, as records (field names are kubeadm's).
 * References: kubeadm Configuration (v1beta3) and (v1beta4), kubelet Configuration (v1beta1),
 * kube-proxy Configuration (v1alpha1) on kubernetes.io/docs/reference/config-api/.
 */
public final class KubeadmTypes {

    private KubeadmTypes() {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InitConfiguration(String apiVersion, String kind, LocalApiEndpoint localAPIEndpoint,
                                    NodeRegistration nodeRegistration, Patches patches) {
    }

    public record LocalApiEndpoint(String advertiseAddress, int bindPort) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record NodeRegistration(String criSocket, Object kubeletExtraArgs, List<String> ignorePreflightErrors) {
    }

    public record Patches(String directory) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ClusterConfiguration(String apiVersion, String kind, String kubernetesVersion, String clusterName,
                                       String imageRepository,
                                       String controlPlaneEndpoint, Networking networking, ApiServer apiServer,
                                       ControlPlaneComponent controllerManager, ControlPlaneComponent scheduler,
                                       Etcd etcd, Dns dns, String certificatesDir) {
    }

    /**
     * kubeadm v1beta4 {@code DNS} (ImageMeta inline: imageRepository, imageTag). kubeadm writes CoreDNS as
     * {@code <imageRepository>/coredns:<imageTag>} (cmd/kubeadm/app/images/images.go GetDNSImage) and validates only
     * {@code dns.imageRepository} (cmd/kubeadm/app/apis/kubeadm/validation/validation.go ValidateDNS), so an imageTag of
     * {@code <tag>@sha256:<digest>} yields a reference pinned by digest; kubeadm upgrade reads the version from such
     * a tag since kubernetes/kubernetes#122967 (DeployedDNSAddon, v1.30).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Dns(String imageTag) {
    }

    public record Networking(String podSubnet, String serviceSubnet, String dnsDomain) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ApiServer(Object extraArgs, List<String> certSANs) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ControlPlaneComponent(Object extraArgs, List<HostPathMount> extraVolumes) {
    }

    /** A host file or directory mounted into a control-plane static pod (same fields in v1beta3 and v1beta4). */
    public record HostPathMount(String name, String hostPath, String mountPath, boolean readOnly, String pathType) {
    }

    /** kube-scheduler's configuration file (kubescheduler.config.k8s.io/v1, GA since Kubernetes 1.25). */
    public record KubeSchedulerConfiguration(String apiVersion, String kind, ClientConnection clientConnection,
                                             LeaderElection leaderElection) {
    }

    public record ClientConnection(String kubeconfig, int qps, int burst) {
    }

    public record LeaderElection(boolean leaderElect) {
    }

    public record Etcd(LocalEtcd local) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record LocalEtcd(String dataDir, Object extraArgs) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record JoinConfiguration(String apiVersion, String kind, Discovery discovery,
                                    NodeRegistration nodeRegistration, JoinControlPlane controlPlane, Patches patches) {
    }

    public record Discovery(BootstrapTokenDiscovery bootstrapToken) {
    }

    public record BootstrapTokenDiscovery(String apiServerEndpoint, String token, List<String> caCertHashes) {
    }

    public record JoinControlPlane(LocalApiEndpoint localAPIEndpoint) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record KubeletConfiguration(String apiVersion, String kind, String cgroupDriver,
                                       Map<String, String> kubeReserved, Map<String, String> systemReserved,
                                       Map<String, String> evictionHard, Integer maxPods, String providerID,
                                       Boolean serializeImagePulls, Integer maxParallelImagePulls) {
    }

    public record KubeProxyConfiguration(String apiVersion, String kind, String mode) {
    }
}
