package dev.kilonode.images;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the kubelet pulls from the stack's ECR with the node's instance role: the {@code ecr-credential-provider}
 * exec plugin (kubernetes/cloud-provider-aws cmd/ecr-credential-provider), named in a CredentialProviderConfig
 * ({@code kubelet.config.k8s.io/v1}, GA since Kubernetes 1.26, so every minor kilonode renders, 1.29-1.33, reads it)
 * passed with the kubelet flags {@code --image-credential-provider-config} / {@code --image-credential-provider-bin-dir}
 * (kubeadm kubeletExtraArgs; the fields are flags only, not KubeletConfiguration fields, through 1.33).
 *
 * <p>Binary: cloud-provider-aws {@value #VERSION} from artifacts.k8s.io (the project's release location,
 * {@code binaries/cloud-provider-aws/<version>/linux/amd64/ecr-credential-provider-linux-amd64}, which kops also
 * downloads from). It speaks {@code credentialprovider.kubelet.k8s.io/v1}, which kubelet 1.26+ accepts, so it need not
 * match the kubelet's minor. No checksum is pinned here: none could be read from upstream from this machine (no
 * network to artifacts.k8s.io). install-kubernetes.sh checks the download against the {@code .sha256} file published
 * next to it: that catches a truncated or corrupted download, not a compromised origin.
 */
public final class CredentialProvider {

    public static final String VERSION = "v1.31.0";
    public static final String DOWNLOAD_URL = "https://artifacts.k8s.io/binaries/cloud-provider-aws/" + VERSION
            + "/linux/amd64/ecr-credential-provider-linux-amd64";
    public static final String NAME = "ecr-credential-provider";
    public static final String BIN_DIR = "/usr/local/libexec/kubernetes/image-credential-providers";
    public static final String CONFIG_PATH = "/etc/kubernetes/image-credential-provider-config.yaml";
    /** kubeletExtraArgs for every node (kubelet command-line flags, kubernetes pkg/kubelet/.../options.go). */
    public static final Map<String, String> KUBELET_FLAGS;

    static {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("image-credential-provider-config", CONFIG_PATH);
        flags.put("image-credential-provider-bin-dir", BIN_DIR);
        KUBELET_FLAGS = java.util.Collections.unmodifiableMap(flags);
    }

    private CredentialProvider() {
    }

    /**
     * The CredentialProviderConfig: the plugin for ECR private registry hosts only (a glob matches one DNS label per
     * '*', kubelet pkg/credentialprovider/plugin); 12 h cache, the lifetime of an ECR authorization token.
     */
    public static String config() {
        return """
                apiVersion: kubelet.config.k8s.io/v1
                kind: CredentialProviderConfig
                providers:
                - name: %s
                  apiVersion: credentialprovider.kubelet.k8s.io/v1
                  matchImages:
                  - "*.dkr.ecr.*.amazonaws.com"
                  defaultCacheDuration: 12h
                """.formatted(NAME);
    }
}
