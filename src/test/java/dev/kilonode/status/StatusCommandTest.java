package dev.kilonode.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.kubernetes.FakeApiServer;
import dev.kilonode.kubernetes.TestPki;
import dev.kilonode.testing.MotoServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kilonode status} end to end: the real AWS SDK against moto_server's Auto Scaling API, the real fabric8
 * client over TLS against the project's fake API server, nodes and DaemonSets appearing over (simulated) time.
 * The command's sleep is replaced: each "sleep" moves the scenario one step and the clock by the interval.
 */
class StatusCommandTest {

    static MotoServer moto;
    static TestPki pki;
    @TempDir Path tmp;
    FakeApiServer api;
    final AtomicReference<List<String>> nodes = new AtomicReference<>(List.of());
    final AtomicReference<String> agents = new AtomicReference<>();
    final AtomicReference<String> kubeManager = new AtomicReference<>();
    final Map<String, String> savedProps = new java.util.HashMap<>();

    record Run(int code, String out, String err) {
    }

    @BeforeAll
    static void startMoto(@TempDir Path dir) throws Exception {
        moto = MotoServer.start(dir);
        pki = new TestPki("kubernetes");
        moto.aws("ec2", "create-launch-template", "--launch-template-name", "kilonode-e2e-worker",
                "--launch-template-data", "{\"ImageId\":\"ami-12c6146b\",\"InstanceType\":\"t3.medium\"}");
    }

    @AfterAll
    static void stopMoto() throws Exception {
        if (moto != null) {
            moto.close();
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        api = new FakeApiServer(pki, 0)
                .json("/api/v1/nodes", () -> "{\"kind\":\"NodeList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":["
                        + String.join(",", nodes.get()) + "]}")
                .json("/apis/apps/v1/namespaces/kube-system/daemonsets/contrail-agent", agents::get)
                .json("/apis/apps/v1/namespaces/kube-system/daemonsets/contrail-kube-manager", kubeManager::get);
        // The SDK's default credential chain reads these system properties first.
        for (String k : List.of("aws.accessKeyId", "aws.secretAccessKey")) {
            savedProps.put(k, System.getProperty(k));
            System.setProperty(k, "testing");
        }
    }

    @AfterEach
    void tearDown() {
        api.close();
        savedProps.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    String group(String name, int desired, int max) throws Exception {
        moto.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
                "--launch-template", "LaunchTemplateName=kilonode-e2e-worker", "--min-size", "0",
                "--max-size", String.valueOf(max), "--desired-capacity", String.valueOf(desired),
                "--availability-zones", "us-east-1a");
        return name;
    }

    List<String> instanceIds(String group) throws Exception {
        String out = moto.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group,
                "--query", "AutoScalingGroups[0].Instances[].InstanceId", "--output", "text").trim();
        return out.isEmpty() ? List.of() : List.of(out.split("\\s+"));
    }

    static String node(String name, String providerId, boolean ready, boolean controlPlane) {
        return "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{"
                + (controlPlane ? "\"node-role.kubernetes.io/control-plane\":\"\"" : "\"kilonode.dev/node-group\":\"worker\"")
                + "}},\"spec\":{\"providerID\":\"" + providerId + "\"},\"status\":{\"conditions\":[{\"type\":\"Ready\","
                + "\"status\":\"" + (ready ? "True" : "False") + "\"}]}}";
    }

    /** Nodes for the group's instances, the first {@code ready} of them Ready, plus master 0 (never counted). */
    void workers(String group, int registered, int ready) throws Exception {
        List<String> items = new ArrayList<>();
        items.add(node("master-0", "aws:///us-east-1a/i-master", true, true));
        List<String> ids = instanceIds(group);
        for (int i = 0; i < registered; i++) {
            items.add(node("ip-10-0-1-" + i, "aws:///us-east-1a/" + ids.get(i), i < ready, false));
        }
        nodes.set(items);
    }

    static String daemonSet(String name, int desired, int ready) {
        return "{\"kind\":\"DaemonSet\",\"apiVersion\":\"apps/v1\",\"metadata\":{\"name\":\"" + name
                + "\",\"namespace\":\"kube-system\"},\"status\":{\"desiredNumberScheduled\":" + desired
                + ",\"currentNumberScheduled\":" + desired + ",\"numberMisscheduled\":0,\"numberReady\":" + ready + "}}";
    }

    Path outputs(String group, int workers) throws Exception {
        Path f = tmp.resolve("outputs.json");
        Files.writeString(f, "{\"workerGroups\":[\"" + group + "\"],\"apiEndpoint\":\"" + api.url()
                + "\",\"apiInternalLoadBalancer\":\"internal.invalid\",\"workerCount\":" + workers
                + ",\"region\":\"" + MotoServer.REGION + "\",\"tuningTier\":0}");
        return f;
    }

    Path kubeconfig() throws Exception {
        String ca = java.util.Base64.getEncoder().encodeToString(pki.caPem().getBytes(StandardCharsets.UTF_8));
        Path f = tmp.resolve("kubeconfig");
        // The server here is deliberately wrong: status takes the endpoint from the stack's outputs.
        Files.writeString(f, "apiVersion: v1\nkind: Config\nclusters:\n- name: k\n  cluster:\n    server: https://wrong.invalid:6443\n"
                + "    certificate-authority-data: " + ca + "\nusers:\n- name: admin\n  user:\n    token: test-token\n"
                + "contexts:\n- name: k\n  context:\n    cluster: k\n    user: admin\ncurrent-context: k\n");
        return f;
    }

    interface Step {
        void apply(int step) throws Exception;
    }

    Run status(Step scenario, String... args) {
        return status(false, scenario, args);
    }

    Run status(boolean terminal, Step scenario, String... args) {
        StatusCommand cmd = new StatusCommand();
        cmd.terminal = terminal;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        AtomicLong now = new AtomicLong(1_790_000_000L);
        int[] step = {0};
        cmd.clock = now::get;
        cmd.sleeper = seconds -> {
            if (step[0] > 40) {
                throw new AssertionError("status did not finish within 40 looks:\n" + out);
            }
            now.addAndGet(seconds);
            try {
                scenario.apply(++step[0]);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        int code = new CommandLine(cmd).execute(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    String[] args(Path outputs, String... more) throws Exception {
        List<String> a = new ArrayList<>(List.of("--stack", "e2e", "--outputs", outputs.toString(), "--kubeconfig",
                kubeconfig().toString(), "--aws-endpoint", moto.endpoint(), "--interval", "10", "--plain"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void followsTheBringUpToTheEnd() throws Exception {
        String g = group("kilonode-e2e-worker", 2, 6);
        Run run = status(step -> {
            switch (step) {
                case 1 -> { workers(g, 2, 0); kubeManager.set(daemonSet("contrail-kube-manager", 1, 1));
                            agents.set(daemonSet("contrail-agent", 2, 0)); }
                case 2 -> { workers(g, 2, 2); agents.set(daemonSet("contrail-agent", 2, 2));
                            moto.aws("autoscaling", "set-desired-capacity", "--auto-scaling-group-name", g,
                                    "--desired-capacity", "6"); }
                case 3 -> { workers(g, 6, 4); agents.set(daemonSet("contrail-agent", 6, 4)); }
                case 4 -> { workers(g, 6, 6); agents.set(daemonSet("contrail-agent", 6, 6)); }
                default -> { }
            }
        }, args(outputs(g, 6), "--stall-timeout", "60"));

        assertThat(run.code()).as(run.out() + run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(6);
        assertThat(lines.get(0)).startsWith("2026-09-21T")
                .contains("instances 2/6 requested, 2 running | nodes 0 registered, 0 Ready | vRouter agents 0/0 Ready"
                        + " | controllers (kube-manager) 0/0 Ready | rate ?, ETA ?");
        // master-0 is never counted as a worker
        assertThat(lines.get(1)).contains("nodes 2 registered, 0 Ready | vRouter agents 0/2 Ready | controllers (kube-manager) 1/1 Ready");
        assertThat(lines.get(2)).contains("instances 6/6 requested, 6 running | nodes 2 registered, 2 Ready")
                .contains("6.0 Ready/min, ETA 1 min"); // 2 Ready in 20 s; 4 to go at 6/min
        assertThat(lines.get(3)).contains("nodes 6 registered, 4 Ready | vRouter agents 4/6 Ready")
                .contains("8.0 Ready/min, ETA 1 min");
        assertThat(lines.get(4)).contains("nodes 6 registered, 6 Ready | vRouter agents 6/6 Ready").contains("ETA 0 min");
        assertThat(lines.get(5)).isEqualTo("kilonode status: e2e is up: 6 workers Ready, vRouter agents 6/6, kube-manager 1/1");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void exitsNonZeroWhenProgressStalls() throws Exception {
        String g = group("kilonode-e2e-stuck", 3, 3);
        Run run = status(step -> {
            if (step == 1) {
                workers(g, 3, 1);
                kubeManager.set(daemonSet("contrail-kube-manager", 1, 1));
                agents.set(daemonSet("contrail-agent", 3, 1));
            }
        }, args(outputs(g, 3), "--stall-timeout", "30"));

        assertThat(run.code()).as(run.out() + run.err()).isEqualTo(StatusCommand.EXIT_STALLED);
        // The last change was at the second look; the looks at +10, +20, +30 s see the same, +40 s exceeds 30 s.
        assertThat(run.out().lines().toList()).hasSize(6).allSatisfy(l -> assertThat(l).contains("requested"));
        assertThat(run.err()).startsWith("kilonode status: no progress for 40 s (--stall-timeout 30): ")
                .contains("nodes 3 registered, 1 Ready");
    }

    @Test
    void aPartlyReadableClusterIsReportedAndNotComplete() throws Exception {
        String g = group("kilonode-e2e-gone", 1, 1);
        Path outputs = tmp.resolve("o.json");
        Files.writeString(outputs, Files.readString(outputs(g, 1)).replace(g, "kilonode-e2e-no-such-group"));
        workers(g, 1, 1);
        kubeManager.set(daemonSet("contrail-kube-manager", 1, 1));
        agents.set(daemonSet("contrail-agent", 1, 1));
        Run run = status(step -> { }, args(outputs, "--stall-timeout", "15"));
        assertThat(run.code()).isEqualTo(StatusCommand.EXIT_STALLED);
        assertThat(run.out()).contains("cannot read Auto Scaling: found 0 of the stack's 1 worker groups [kilonode-e2e-no-such-group]");
    }

    @Test
    void onATerminalItRedrawsInPlace() throws Exception {
        String g = group("kilonode-e2e-tty", 2, 2);
        Run run = status(true, step -> {
            workers(g, 2, step >= 2 ? 2 : 1);
            kubeManager.set(daemonSet("contrail-kube-manager", 1, 1));
            agents.set(daemonSet("contrail-agent", 2, 2));
        }, List.of(args(outputs(g, 2))).stream().filter(a -> !a.equals("--plain")).toArray(String[]::new));
        assertThat(run.code()).as(run.out()).isZero();
        assertThat(run.out()).startsWith("[----------------------------------------] 0 % of 2 workers Ready\ninstances 2/2")
                .contains("\033[2F\033[J[####################--------------------] 50 % of 2 workers Ready\n")
                .contains("\033[2F\033[J[########################################] 100 % of 2 workers Ready\n")
                .doesNotContain("2026-");
    }

    @Test
    void badOutputsAreOneLineAndExitTwo() throws Exception {
        Path outputs = tmp.resolve("bad.json");
        Files.writeString(outputs, "{\"apiPublicEndpoint\":\"https://x:6443\",\"workerCount\":3}");
        Run run = status(step -> { }, args(outputs));
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err().strip()).isEqualTo("kilonode status: " + outputs
                + " has no workerGroups output (a list of Auto Scaling group names); is the stack up?");
        Files.writeString(outputs, "not json");
        run = status(step -> { }, args(outputs));
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("kilonode status: " + outputs + " is not JSON").doesNotContain("\tat ");
    }
}
