package dev.kilonode.status;

import dev.kilonode.plan.StackFile;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.LongSupplier;

/**
 * {@code kilonode status --stack S}: the bring-up as it happens — instances requested/running, worker nodes
 * registered/Ready, vRouter agents Ready, controllers (kube-manager) Ready — with the rate and the time remaining.
 * A live display on a terminal, one plain line per look otherwise (CI). Exit 0 when everything is Ready, 3 when
 * nothing moved for {@code --stall-timeout}, 2 for bad input.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Follow a stack's bring-up: instances, nodes, vRouter agents, controllers, rate and ETA.")
public final class StatusCommand implements Callable<Integer> {

    static final int EXIT_STALLED = 3;
    static final int EXIT_BAD_INPUT = 2;

    @Mixin
    StackOutputOptions stackOutputs = new StackOutputOptions();

    @Option(names = "--kubeconfig", description = "credentials for the API (default: $KUBECONFIG, else ~/.kube/config); "
            + "the server is the stack's API endpoint output")
    Path kubeconfig;

    @Option(names = "--region", description = "AWS region (default: the stack's region output, else kilonode:region)")
    String region;

    @Option(names = "--aws-endpoint", description = "Auto Scaling API endpoint URL (default: the region's)")
    URI awsEndpoint;

    @Option(names = "--interval", defaultValue = "15", description = "seconds between looks (default ${DEFAULT-VALUE})")
    int intervalSeconds;

    @Option(names = "--stall-timeout", defaultValue = "900",
            description = "exit 3 when nothing moved for this many seconds (default ${DEFAULT-VALUE})")
    int stallTimeoutSeconds;

    @Option(names = "--plain", description = "one line per look, also on a terminal (the default without one, or with CI set)")
    boolean plain;

    PrintStream out = System.out;
    PrintStream err = System.err;
    LongSupplier clock = () -> System.currentTimeMillis() / 1000;
    /** Whether out is a terminal to redraw on; null: detect (a console and no CI variable). */
    Boolean terminal;
    /** Waits between looks; tests replace it to move their fakes and the clock instead. */
    Sleeper sleeper = seconds -> Thread.sleep(seconds * 1000L);

    @FunctionalInterface
    interface Sleeper {
        void sleep(int seconds) throws InterruptedException;
    }

    @Override
    public Integer call() throws Exception {
        if (intervalSeconds < 1 || stallTimeoutSeconds < 1) {
            err.println("kilonode status: --interval and --stall-timeout must be at least 1 second");
            return EXIT_BAD_INPUT;
        }
        StackOutputs outputs;
        try {
            StackOutputOptions.Json json = stackOutputs.outputsJson();
            outputs = StackOutputs.parse(json.text(), json.from());
        } catch (StackOutputs.Unreadable e) {
            err.println("kilonode status: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        String awsRegion = region != null ? region : outputs.region().orElseGet(this::stackFileRegion);
        if (awsRegion == null) {
            err.println("kilonode status: no region: the outputs have none and Pulumi." + stackOutputs.stack
                    + ".yaml has no kilonode:region; pass --region");
            return EXIT_BAD_INPUT;
        }
        Config k8sConfig;
        try {
            k8sConfig = kubernetesConfig(outputs.apiEndpoint());
        } catch (StackOutputs.Unreadable e) {
            err.println("kilonode status: " + e.getMessage());
            return EXIT_BAD_INPUT;
        }
        var aws = AutoScalingClient.builder().region(Region.of(awsRegion)).httpClient(UrlConnectionHttpClient.create());
        if (awsEndpoint != null) {
            aws.endpointOverride(awsEndpoint);
        }
        try (AutoScalingClient autoscaling = aws.build();
             KubernetesClient kubernetes = new KubernetesClientBuilder().withConfig(k8sConfig).build()) {
            return follow(new ClusterObserver(autoscaling, kubernetes, outputs));
        }
    }

    int follow(ClusterObserver observer) throws InterruptedException {
        boolean live = !plain && (terminal != null ? terminal : System.console() != null && System.getenv("CI") == null);
        ProgressTracker tracker = new ProgressTracker(stallTimeoutSeconds);
        int drawn = 0;
        while (true) {
            Progress p = observer.look();
            long now = clock.getAsLong();
            tracker.record(now, p);
            String line = line(p, tracker);
            if (live) {
                // Redraw in place: up over what we drew last time, clear, draw.
                out.print(drawn > 0 ? "\033[" + drawn + "F\033[J" : "");
                out.println(bar(p) + "\n" + line);
                p.problems().forEach(x -> out.println("  ! " + x));
                drawn = 2 + p.problems().size();
            } else {
                out.println(timestamp(now) + " " + line);
                p.problems().forEach(x -> out.println(timestamp(now) + "   cannot read " + x));
            }
            out.flush();
            if (p.complete()) {
                out.println("kilonode status: " + stackOutputs.stack + " is up: " + p.ready() + " workers Ready, vRouter agents "
                        + p.agentsReady() + "/" + p.agentsDesired() + ", kube-manager " + p.controllersReady() + "/"
                        + p.controllersDesired());
                return 0;
            }
            if (tracker.stalled(now)) {
                err.println("kilonode status: no progress for " + tracker.secondsSinceProgress(now) + " s (--stall-timeout "
                        + stallTimeoutSeconds + "): " + line);
                return EXIT_STALLED;
            }
            sleeper.sleep(intervalSeconds);
        }
    }

    static String line(Progress p, ProgressTracker t) {
        double rate = t.ratePerMinute();
        double eta = t.etaMinutes();
        return String.format(Locale.ROOT, "instances %s/%d requested, %s running | nodes %s registered, %s Ready | "
                        + "vRouter agents %s/%s Ready | controllers (kube-manager) %s/%s Ready | %s, ETA %s",
                n(p.requested()), p.target(), n(p.running()), n(p.registered()), n(p.ready()), n(p.agentsReady()),
                n(p.agentsDesired()), n(p.controllersReady()), n(p.controllersDesired()),
                Double.isNaN(rate) ? "rate ?" : String.format(Locale.ROOT, "%.1f Ready/min", rate),
                p.ready() >= p.target() && p.target() >= 0 ? "0 min" : Double.isNaN(eta) ? "?" : Math.round(Math.ceil(eta)) + " min");
    }

    static String bar(Progress p) {
        int width = 40;
        int filled = p.target() <= 0 || p.ready() < 0 ? 0 : (int) Math.min(width, (long) p.ready() * width / p.target());
        int pct = p.target() <= 0 || p.ready() < 0 ? 0 : (int) Math.min(100, (long) p.ready() * 100 / p.target());
        return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "] " + pct + " % of " + p.target() + " workers Ready";
    }

    private static String n(int v) {
        return v < 0 ? "?" : String.valueOf(v);
    }

    private static String timestamp(long epochSeconds) {
        return DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(epochSeconds).atOffset(ZoneOffset.UTC));
    }

    private String stackFileRegion() {
        try {
            return StackFile.read(stackOutputs.projectDir.resolve("Pulumi." + stackOutputs.stack + ".yaml")).config().get("kilonode:region");
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private Config kubernetesConfig(String apiEndpoint) throws StackOutputs.Unreadable {
        Path file = kubeconfig;
        if (file == null) {
            String env = System.getenv("KUBECONFIG");
            file = env != null && !env.isBlank() ? Path.of(env.split(java.io.File.pathSeparator)[0])
                    : Path.of(System.getProperty("user.home"), ".kube", "config");
        }
        String content;
        try {
            content = Files.readString(file);
        } catch (IOException e) {
            throw new StackOutputs.Unreadable("cannot read kubeconfig " + file + " (" + e.getMessage()
                    + "); pass --kubeconfig with the cluster's admin credentials");
        }
        Config c;
        try {
            c = Config.fromKubeconfig(content);
        } catch (RuntimeException e) {
            throw new StackOutputs.Unreadable("kubeconfig " + file + " is not usable: " + ClusterObserver.oneLine(e));
        }
        c.setMasterUrl(apiEndpoint);
        c.setConnectionTimeout(10_000);
        c.setRequestTimeout(20_000);
        c.setRequestRetryBackoffLimit(0);
        return c;
    }

}
