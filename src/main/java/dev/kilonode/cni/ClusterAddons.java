package dev.kilonode.cni;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.Provider;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.dns.ClusterDns;
import dev.kilonode.kubernetes.ClusterConnection;
import dev.kilonode.kubernetes.ReadinessGate;
import dev.kilonode.tuning.TuningProfile;

import java.util.List;

/**
 * Everything the stack puts into its own cluster, behind one call from {@code KilonodeStack}: the Kubernetes provider
 * (kubeconfig from the control plane's outputs, after the API server is ready), the Tungsten Fabric CNI and cluster
 * DNS scaling.
 */
public final class ClusterAddons {

    /** What {@link #deploy} created, for callers and tests. */
    public record Deployed(Provider provider, ContrailCni cni, ClusterDns dns) {
    }

    private ClusterAddons() {
    }

    /**
     * @param apiServerUrl   {@code https://api.<apiDomain>:6443}, the API's stable name (resolved once its record exists)
     * @param inClusterApiUrl the URL pods on nodes use (the same name: the VPC's private zone answers it)
     * @param adminClientKey the admin client key, a Pulumi secret (config {@code kilonode:adminClientKey})
     * @param dependsOn      what must exist before the provider connects (masters, load balancer, listeners)
     * @param opts           parent and options for the components (their Kubernetes provider is added here)
     */
    public static void deploy(ClusterSpec spec, TuningProfile tuning, Output<String> apiServerUrl,
                              Output<String> inClusterApiUrl, Output<String> adminClientKey, List<Resource> dependsOn,
                              ComponentResourceOptions opts) {
        deploy(spec, tuning, apiServerUrl, inClusterApiUrl, adminClientKey, dependsOn, opts,
                ReadinessGate.forCurrentDeployment());
    }

    public static Deployed deploy(ClusterSpec spec, TuningProfile tuning, Output<String> apiServerUrl,
                                  Output<String> inClusterApiUrl, Output<String> adminClientKey, List<Resource> dependsOn,
                                  ComponentResourceOptions opts, ReadinessGate gate) {
        ComponentResourceOptions base = opts == null ? ComponentResourceOptions.Empty : opts;
        CustomResourceOptions.Builder providerOpts = CustomResourceOptions.builder().dependsOn(List.copyOf(dependsOn));
        base.getParent().ifPresent(providerOpts::parent);

        Provider k8s = ClusterConnection.provider("kilonode-k8s", new ClusterConnection.Credentials(
                spec.apiName().host(), apiServerUrl, spec.pki().caCertificate(),
                spec.pki().adminClientCertificate(), adminClientKey.asSecret()), gate, !spec.production(),
                providerOpts.build());

        ComponentResourceOptions inCluster = ComponentResourceOptions.merge(base,
                ComponentResourceOptions.builder().providers(k8s).build());
        ContrailCni cni = new ContrailCni("contrail", ContrailCniArgs.of(spec, inClusterApiUrl), inCluster);
        var images = spec.images();
        int minor = spec.kubernetesMinorNumber();
        ClusterDns dns = new ClusterDns("dns", images.of(ClusterDns.AUTOSCALER_IMAGE),
                // CoreDNS exactly as kubeadm wrote it (dns.imageTag, KubeadmConfig.corednsImageMeta): the patch
                // changes no image, so adding it restarts nothing.
                images.taggedWithDigest(dev.kilonode.images.ImageCatalog.coredns(spec)), inCluster);
        KubeProxyImage.pin(images.of(dev.kilonode.images.ImageCatalog.kubernetes(spec, "kube-proxy")), inCluster);
        return new Deployed(k8s, cni, dns);
    }
}
