package dev.kilonode.node;

import dev.kilonode.cloudinit.CloudConfig;
import dev.kilonode.cloudinit.ComponentFiles;
import dev.kilonode.cloudinit.ShellComments;
import dev.kilonode.cloudinit.EnvFile;
import dev.kilonode.config.ClusterSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What every Kubernetes node (master or worker) gets first: the env file, the shared shell library and the
 * installer of containerd and the pinned kubelet/kubeadm/kubectl ({@code components/KubernetesNode/}).
 * Scripts are installed flat into {@value #SCRIPT_DIR}.
 */
public final class NodeBootstrap {

    public static final String SCRIPT_DIR = "/opt/kilonode";
    public static final String COMPONENT = "KubernetesNode";
    /** Checks at every boot that the running kernel is the series the vRouter module is built for. */
    public static final String KERNEL_CHECK_UNIT = "kilonode-kernel-check.service";

    private NodeBootstrap() {
    }

    /** The env entries every node has. */
    public static Map<String, String> commonEnv(ClusterSpec spec, String role, String apiEndpoint) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KILONODE_STACK", spec.stack());
        env.put("KILONODE_REGION", spec.region());
        env.put("KILONODE_ROLE", role);
        env.put("SSM_PREFIX", spec.ssmPrefix());
        env.put("KUBERNETES_VERSION", spec.kubernetesVersion());
        env.put("KUBERNETES_MINOR", spec.kubernetesMinor());
        if (apiEndpoint != null) {
            env.put("API_ENDPOINT", apiEndpoint);
        }
        // The kernel the network release's vRouter builder compiles for, and the agent's hugepages.
        var kernel = spec.tungstenFabric().release().kernel();
        env.put("UBUNTU_RELEASE", spec.tungstenFabric().ubuntuRelease());
        env.put("KERNEL_SERIES", kernel.series());
        env.put("KERNEL_PACKAGE", kernel.packageName());
        env.put("KERNEL_HEADERS_PACKAGE", kernel.headersPackage());
        env.put("HUGE_PAGES_2MB", String.valueOf(dev.kilonode.cni.AgentResources.HUGE_PAGES_2MB));
        if (!role.equals("tf-controller")) {
            // containerd's sandbox image, pre-pulled with an ECR token (containerd pulls it, not the kubelet).
            env.put("PAUSE_IMAGE", spec.images().of(dev.kilonode.images.ImageCatalog.pause(spec)));
            // The kubelet's credential provider: the locked object in the stack's bucket and its sha256 from the lock
            // (install-kubernetes.sh checks the download against it); an older lock without the entry keeps the
            // upstream download (images.CredentialProvider).
            var provider = spec.images().credentialProviderObject();
            if (provider.isPresent()) {
                env.put("CREDENTIAL_PROVIDER_S3_URI", provider.get().s3Uri());
                env.put("CREDENTIAL_PROVIDER_SHA256", provider.get().sha256());
            } else {
                env.put("ECR_CREDENTIAL_PROVIDER_URL", dev.kilonode.images.CredentialProvider.DOWNLOAD_URL);
            }
            env.put("CREDENTIAL_PROVIDER_BIN_DIR", dev.kilonode.images.CredentialProvider.BIN_DIR);
        }
        return env;
    }

    /** Starts a node's cloud-config: env file, lib.sh and (for Kubernetes nodes) the Kubernetes installer. */
    public static CloudConfig start(Map<String, String> env, boolean kubernetesNode) {
        CloudConfig cc = new CloudConfig()
                .file(EnvFile.PATH, "0644", EnvFile.render(env))
                .file(SCRIPT_DIR + "/lib.sh", "0755", ShellComments.strip(ComponentFiles.read(COMPONENT, "lib.sh")));
        if (kubernetesNode) {
            cc.file(dev.kilonode.images.CredentialProvider.CONFIG_PATH, "0644", dev.kilonode.images.CredentialProvider.config());
            script(cc, COMPONENT, "install-kubernetes.sh");
            unit(cc, COMPONENT, KERNEL_CHECK_UNIT);
        }
        return cc;
    }

    /** Adds a component's script to /opt/kilonode. */
    public static CloudConfig script(CloudConfig cc, String component, String file) {
        String text = ComponentFiles.read(component, file);
        return cc.file(SCRIPT_DIR + "/" + file, "0755", file.endsWith(".sh") ? ShellComments.strip(text) : text);
    }

    /** Adds a component's systemd unit. */
    public static CloudConfig unit(CloudConfig cc, String component, String file) {
        // Whole-line '#' comments are comments in unit files too (systemd.syntax(7)); they stay in components/.
        return cc.file("/etc/systemd/system/" + file, "0644", ShellComments.strip(ComponentFiles.read(component, file)));
    }
}
