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
 * match the kubelet's minor.
 *
 * <p>Supply: {@code kilonode images sync} fetches it once on the operator's machine, checks it against the
 * {@code .sha256} file published next to it, records sha256 and size in the image lock ({@link LockedBinary}) and
 * copies it to {@link #objectKey} in the stack's artifacts bucket ({@link ImageSupply}). Nodes fetch that object with
 * their instance role through the S3 gateway endpoint (no NAT gateway) and check it against the lock's sha256, which
 * their configuration carries: all nodes run the same bytes, and a changed upstream file is refused by the next sync
 * instead of reaching nodes. Why S3 and not an OCI artifact in the stack's ECR: a node fetches one object with one
 * {@code aws s3 cp} and one scoped {@code s3:GetObject}, while an ECR artifact would need the manifest, the layer's
 * presigned URL and an unpack on every node (and Jib builds images, not arbitrary artifacts). A lock without the
 * entry (written before it existed) keeps the old path: every node downloads {@link #DOWNLOAD_URL} through the NAT
 * gateway, checked only against the {@code .sha256} fetched beside it; the program and the plan warn (BringUp#warnings).
 */
public final class CredentialProvider {

    public static final String VERSION = "v1.31.0";
    /** Where the Kubernetes project publishes release binaries (kubernetes/k8s.io, artifacts.k8s.io). */
    public static final String UPSTREAM = "https://artifacts.k8s.io";
    public static final String FILE = "ecr-credential-provider-linux-amd64";
    public static final String DOWNLOAD_URL = sourceUrl(UPSTREAM, VERSION);
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

    /** {@code <base>/binaries/cloud-provider-aws/<version>/linux/amd64/ecr-credential-provider-linux-amd64}. */
    public static String sourceUrl(String base, String version) {
        return base + "/binaries/cloud-provider-aws/" + version + "/linux/amd64/" + FILE;
    }

    /**
     * The object key in the artifacts bucket: version and content address, so a new provider (or a rebuilt upstream
     * file someone chose to accept) is a new object and never changes what an older launch template's nodes fetch.
     */
    public static String objectKey(String version, String sha256) {
        return NAME + "/" + version + "/" + sha256 + "/" + FILE;
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
