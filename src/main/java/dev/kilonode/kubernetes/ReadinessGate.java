package dev.kilonode.kubernetes;

import com.pulumi.deployment.Deployment;

import java.util.concurrent.CompletableFuture;

/**
 * What the Kubernetes provider waits for before its kubeconfig - and so every Kubernetes object - is handed to the
 * engine. {@link #forCurrentDeployment()} picks the right one for the run.
 */
@FunctionalInterface
public interface ReadinessGate {

    CompletableFuture<Void> await(String apiServerUrl, String caPem);

    /** No wait. */
    static ReadinessGate none() {
        return (url, ca) -> CompletableFuture.completedFuture(null);
    }

    /**
     * Waits for {@code first} (e.g. the API name's DNS records), then for {@code then}. A client that asks for a name
     * before its record exists is answered NXDOMAIN, and resolvers cache that for the zone's negative TTL.
     */
    static ReadinessGate after(CompletableFuture<?> first, ReadinessGate then) {
        return (url, ca) -> first.thenCompose(done -> then.await(url, ca));
    }

    /** Polls {@code /readyz} over TLS trusting only the cluster CA (see {@link ApiServerReadiness}). */
    static ReadinessGate http(ApiServerReadiness.Settings settings) {
        return (url, ca) -> ApiServerReadiness.await(url, ca, settings);
    }

    /**
     * Waits only when objects will really be sent to a cluster: in {@code pulumi up}/{@code destroy}/{@code refresh}
     * (not a dry run) with a real Pulumi engine attached. In {@code pulumi preview} the API server URL of an empty
     * stack is unknown anyway, so nothing would be waited for; under the SDK's mock engine ({@code kilonode plan},
     * unit tests) there is no engine ({@code PULUMI_MONITOR}, which the Pulumi CLI always sets for the program, is
     * absent) and nothing reaches a cluster, so waiting would only stall the offline plan.
     */
    static ReadinessGate forCurrentDeployment() {
        boolean dryRun = Deployment.getInstance().isDryRun();
        boolean realEngine = System.getenv("PULUMI_MONITOR") != null;
        return dryRun || !realEngine ? none() : http(ApiServerReadiness.Settings.DEFAULT);
    }
}
