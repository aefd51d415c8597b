package dev.kilonode.kubernetes;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.ProviderArgs;
import com.pulumi.resources.CustomResourceOptions;

/**
 * The stack's own connection to its cluster: a Kubernetes provider whose kubeconfig is built from the control plane's
 * outputs (API endpoint) and the stack's PKI (CA and admin client certificate from config, admin client key from
 * secret config). The kubeconfig is a Pulumi secret from end to end.
 *
 * <p>Ordering: the provider's kubeconfig resolves only after {@link ReadinessGate#await} completes, and the SDK
 * resolves a resource's inputs before registering it, so on {@code pulumi up} of an empty stack the provider - and
 * every object that uses it - is sent only once the API server answers {@code /readyz} (or the run fails with the
 * gate's error). In {@code pulumi preview} of an empty stack the endpoint is unknown, so the kubeconfig is unknown and
 * the provider previews without contacting a cluster.
 */
public final class ClusterConnection {

    /**
     * @param clusterName               name of the kubeconfig's cluster entry, and the provider's {@code cluster}
     *                                  (a non-secret input, so plans and state show which cluster it talks to)
     * @param apiServerUrl              {@code https://api.<apiDomain>:6443}, the API's stable name
     * @param caCertificatePem          the cluster CA certificate
     * @param adminClientCertificatePem the admin client certificate (O=system:masters or kubeadm:cluster-admins)
     * @param adminClientKey            the admin client private key, a Pulumi secret
     */
    public record Credentials(String clusterName, Output<String> apiServerUrl, String caCertificatePem,
                              String adminClientCertificatePem, Output<String> adminClientKey) {
    }

    private ClusterConnection() {
    }

    /** The kubeconfig, secret, resolved only after {@code gate} lets it. */
    public static Output<String> kubeconfig(Credentials c, ReadinessGate gate) {
        Output<String> config = Output.tuple(c.apiServerUrl(), c.adminClientKey()).apply(t -> {
            String url = t.t1;
            String key = t.t2;
            return Output.of(gate.await(url, c.caCertificatePem()).thenApply(ready -> Kubeconfig.render(
                    c.clusterName(), url, c.caCertificatePem(), c.adminClientCertificatePem(), key)));
        });
        return config.asSecret();
    }

    public static Provider provider(String name, Credentials c, ReadinessGate gate, CustomResourceOptions opts) {
        return provider(name, c, gate, false, opts);
    }

    /**
     * @param deleteUnreachable for non-production stacks: when the cluster cannot be reached (masters already gone or
     *                          broken), {@code pulumi destroy} drops the in-cluster objects from the state instead of
     *                          failing on each and leaving the provider and everything it depends on (masters, VPC).
     *                          pulumi-kubernetes 4.0.0 ProviderArgs.deleteUnreachable: "If present and set to true, the
     *                          provider will delete resources associated with an unreachable Kubernetes cluster from
     *                          Pulumi state". Production keeps the default (fail loudly).
     */
    public static Provider provider(String name, Credentials c, ReadinessGate gate, boolean deleteUnreachable,
                                    CustomResourceOptions opts) {
        var b = ProviderArgs.builder()
                .kubeconfig(kubeconfig(c, gate))
                // The kubeconfig is secret; this names its active cluster in the clear. A change of either replaces
                // the provider (pulumi-kubernetes 4.0.0 DiffConfig compares the active cluster, read through this
                // override), and `plan --diff` can only see this one.
                .cluster(c.clusterName())
                // Server-side apply (the v4 default, stated here) is what the CoreDNS DeploymentPatch needs.
                .enableServerSideApply(true)
                // ConfigMaps are updated in place rather than replaced (pulumi-kubernetes 4.0.0 ProviderArgs
                // enableConfigMapMutable; without it a data change replaces the ConfigMap). The pods that read one
                // roll because their template carries its checksum (see ContrailCni).
                .enableConfigMapMutable(true);
        if (deleteUnreachable) {
            b.deleteUnreachable(true);
        }
        return new Provider(name, b.build(), opts);
    }
}
