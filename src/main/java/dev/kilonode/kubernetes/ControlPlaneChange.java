package dev.kilonode.kubernetes;

import com.pulumi.Context;
import com.pulumi.core.Output;
import com.pulumi.deployment.Deployment;
import com.pulumi.resources.StackReference;
import com.pulumi.resources.StackReferenceArgs;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * When the readiness gate waits: only when the control plane is new or was replaced. Every `pulumi up` exports the
 * master instance ids ({@value #OUTPUT}); the next one reads the previous value from its own stack's last outputs
 * (a StackReference to itself) and waits for {@code /readyz} only when the ids differ (first up, a master replaced or
 * rolled). A routine `up` (a tag, a park, a worker change) from a runner outside the admin network then does not wait
 * 20 minutes for an API it cannot reach; if the update touches in-cluster objects, the provider's own error says so.
 */
public final class ControlPlaneChange {

    /** Stack output: the master instance ids, sorted, comma-separated. */
    public static final String OUTPUT = "controlPlaneInstanceIds";

    private ControlPlaneChange() {
    }

    /** "i-b,i-a" -> "i-a,i-b": order-free, so a reordering is no change. */
    public static String key(List<String> ids) {
        return String.join(",", ids.stream().sorted().toList());
    }

    /** Whether to wait: no previous record (first up, or the first since this output exists), or different ids. */
    public static boolean changed(String previous, String current) {
        return previous == null || previous.isBlank() || !previous.equals(current);
    }

    /** The gate for this run: {@link ReadinessGate#none()} in previews and offline; else waits only on a change. */
    public static ReadinessGate gate(Context ctx, Output<List<String>> masterIds, Duration timeout) {
        boolean dryRun = Deployment.getInstance().isDryRun();
        if (dryRun || !underRealEngine()) {
            return ReadinessGate.none();
        }
        Output<String> previous = previousOutput(ctx, OUTPUT);
        CompletableFuture<Boolean> changed = com.pulumi.core.internal.Internal.of(
                Output.tuple(previous, masterIds.applyValue(ControlPlaneChange::key))
                        .applyValue(t -> changed(t.t1, t.t2))).getValueNullable();
        ApiServerReadiness.Settings d = ApiServerReadiness.Settings.DEFAULT;
        return onlyIf(changed, ReadinessGate.http(new ApiServerReadiness.Settings(timeout, d.pollInterval(), d.requestTimeout())));
    }

    /**
     * An output of this stack's last successful run ("" when there is none): a StackReference to the stack itself,
     * registered once per run. Only meaningful under a real engine ({@link #underRealEngine()}).
     */
    public static Output<String> previousOutput(Context ctx, String name) {
        StackReference self = new StackReference("kilonode-previous-outputs", StackReferenceArgs.builder()
                .name(ctx.organizationName() + "/" + ctx.projectName() + "/" + ctx.stackName()).build());
        return self.output(name).applyValue(v -> v == null ? "" : String.valueOf(v));
    }

    /** Whether a Pulumi engine is attached (the SDK's mock engine in tests and {@code plan} sets no monitor). */
    public static boolean underRealEngine() {
        return System.getenv("PULUMI_MONITOR") != null;
    }

    /** Delegates to {@code gate} when {@code changed} completes true; otherwise lets the provider through at once. */
    public static ReadinessGate onlyIf(CompletableFuture<Boolean> changed, ReadinessGate gate) {
        return (url, ca) -> changed.thenCompose(c -> Boolean.TRUE.equals(c)
                ? gate.await(url, ca) : CompletableFuture.completedFuture(null));
    }
}
