package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.scaleout.JoinPacing;
import dev.kilonode.scaleout.RampController;
import dev.kilonode.testing.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * components/KubernetesMaster/scale-out-ramp.sh with the real AWS CLI against moto_server's Auto Scaling and SSM
 * APIs. Two thin stubs: {@code kubectl} (replaces the API server: prints the providerID/Ready lines the test
 * writes) and {@code date +%s} (replaces the clock so a 45-minute timeout passes instantly; every other date call
 * goes to the real date). The same observations go through {@link RampController}: script and model agree.
 */
class ScaleOutRampScriptTest {
  static final String SCRIPT = "KubernetesMaster/scale-out-ramp.sh";
  static final String GROUP = "kilonode-dev-workers";

  @TempDir Path tmp;
  MotoServer moto;
  ScriptHarness h;
  Path nodes;

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("aws");
    moto = MotoServer.start(tmp.resolve("moto"));
    h = new ScriptHarness(tmp.resolve("h"));
    nodes = tmp.resolve("nodes.tsv");
    Files.writeString(nodes, "");
    h.env("KILONODE_STACK", "dev").env("KILONODE_REGION", MotoServer.REGION).env("SSM_PREFIX", "/kilonode/dev")
        .env("MASTER_INDEX", "0");
    moto.awsEnv().forEach(h::processEnv);
    Path kubeconfig = tmp.resolve("admin.conf");
    Files.writeString(kubeconfig, "stub");
    h.processEnv("KUBECONFIG", kubeconfig.toString()).processEnv("NODES_FILE", nodes.toString());
    h.stub("kubectl", "[ -n \"${KUBECTL_FAIL:-}\" ] && { echo 'The connection to the server was refused' >&2; exit 1; }\n"
        + "cat \"$NODES_FILE\"");
    h.stub("date", "if [ \"$1\" = +%s ]; then echo \"$FAKE_NOW\"; else exec /bin/date \"$@\"; fi");
    moto.aws("ec2", "create-launch-template", "--launch-template-name", "kilonode-dev-workers",
        "--launch-template-data", "{\"ImageId\":\"ami-12c6146b\",\"InstanceType\":\"t3.medium\"}");
    createGroup(GROUP, "dev", 10, 40);
    // Another stack's group in the same account: never touched.
    createGroup("kilonode-prod-workers", "prod", 1, 40);
    // Project team2's stack dev (same kilonode:stack tag, other name) and stack dev-x (a name kilonode-dev-* matches).
    createGroup("team2-dev-workers", "dev", 1, 40);
    createGroup("kilonode-dev-x-workers", "dev-x", 1, 40);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (moto != null) {
      moto.close();
    }
  }

  void createGroup(String name, String stack, int desired, int max) throws Exception {
    moto.aws("autoscaling", "create-auto-scaling-group", "--auto-scaling-group-name", name,
        "--launch-template", "LaunchTemplateName=kilonode-dev-workers", "--min-size", "0",
        "--max-size", String.valueOf(max), "--desired-capacity", String.valueOf(desired),
        "--availability-zones", "us-east-1a", "--tags",
        "Key=kilonode:stack,Value=" + stack + ",PropagateAtLaunch=false",
        "Key=kilonode:node-group,Value=workers,PropagateAtLaunch=false");
  }

  void pacing(int bound, int timeout, int bucket, int refill, int reserve, int minStep) throws Exception {
    moto.aws("ssm", "put-parameter", "--overwrite", "--name", "/kilonode/dev/scale-out/pacing", "--type", "String",
        "--value", "JOIN_BOUND=" + bound + "\nSTEP_TIMEOUT_SECONDS=" + timeout + "\nEC2_BUCKET=" + bucket
            + "\nEC2_REFILL_PER_SECOND=" + refill + "\nEC2_RESERVE=" + reserve + "\nMIN_STEP=" + minStep + "\n");
  }

  int desired(String group) throws Exception {
    return Integer.parseInt(moto.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group,
        "--query", "AutoScalingGroups[0].DesiredCapacity", "--output", "text").trim());
  }

  List<String> instances(String group) throws Exception {
    String out = moto.aws("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", group,
        "--query", "AutoScalingGroups[0].Instances[].InstanceId", "--output", "text").trim();
    return out.isEmpty() ? List.of() : Arrays.asList(out.split("\\s+"));
  }

  /** The first {@code n} of the group's instances are Ready nodes, the rest registered NotReady. */
  void ready(int n) throws Exception {
    StringBuilder sb = new StringBuilder();
    List<String> ids = instances(GROUP);
    for (int i = 0; i < ids.size(); i++) {
      sb.append("aws:///us-east-1a/").append(ids.get(i)).append('\t').append(i < n ? "True" : "False").append('\n');
    }
    Files.writeString(nodes, sb.toString());
  }

  ScriptHarness.Result tick(long now) throws Exception {
    h.processEnv("FAKE_NOW", String.valueOf(now));
    return h.run(SCRIPT);
  }

  @Test
  void raisesBatchByBatchAndAFailedBatchHaltsTheRamp() throws Exception {
    pacing(10, 600, 1000, 2, 100, 2);
    JoinPacing model = new JoinPacing(10, 600, 30, 1000, 2, 100);
    RampController controller = new RampController(model);
    RampController.State state = controller.initial(1000,
        List.of(new RampController.Observation(GROUP, 10, 40, 0)));

    // First tick: the 10 created with the group have not joined: the script waits.
    var r = tick(1000);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("starting").contains("waiting for 1 step(s)");
    assertThat(desired(GROUP)).isEqualTo(10);
    var d = controller.tick(1000, state, List.of(new RampController.Observation(GROUP, 10, 40, 0)));
    assertThat(d.raises()).isEmpty();
    state = d.next();

    // They joined: one step of the bound (10) more.
    ready(10);
    r = tick(1030);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("RAISE " + GROUP + " 10 -> 20");
    assertThat(desired(GROUP)).isEqualTo(20);
    d = controller.tick(1030, state, List.of(new RampController.Observation(GROUP, 10, 40, 10)));
    assertThat(d.raises()).containsEntry(GROUP, 20);
    state = d.next();
    assertThat(desired("kilonode-prod-workers")).isEqualTo(1);
    assertThat(desired("team2-dev-workers")).isEqualTo(1);
    assertThat(desired("kilonode-dev-x-workers")).isEqualTo(1);

    // 5 of the new 10 are stuck: wait, then halt once the step is older than the timeout; nothing more is asked.
    ready(15);
    r = tick(1060);
    assertThat(r.output()).contains("waiting").contains(GROUP + " 15/20");
    assertThat(desired(GROUP)).isEqualTo(20);
    r = tick(1030 + 601);
    assertThat(r.exitCode()).isZero();
    assertThat(r.output()).contains("HALT " + GROUP + ": 15 of 20 Ready 601 s after the step");
    d = controller.tick(1030 + 601, state, List.of(new RampController.Observation(GROUP, 20, 40, 15)));
    assertThat(d.next().haltedReason()).isEqualTo(GROUP + ": 15 of 20 Ready 601 s after the step");
    // Even when they all turn Ready later, a halted ramp stays halted until an operator removes the state.
    ready(20);
    r = tick(2000);
    assertThat(r.output()).contains("HALTED");
    assertThat(desired(GROUP)).isEqualTo(20);
    Files.delete(tmp.resolve("h/state/scale-out-ramp/state"));
    tick(2030); // fresh start: everything requested is Ready, no open step
    r = tick(2060);
    assertThat(desired(GROUP)).as(r.output()).isEqualTo(30);
  }

  @Test
  void neverAsksForMoreThanItsCopyOfTheEc2Bucket() throws Exception {
    // 18 tokens, 2 kept back, no refill: 10 already requested leaves 6 to give out, then nothing.
    pacing(10, 600, 18, 0, 2, 2);
    tick(1000);
    ready(10);
    var r = tick(1030);
    assertThat(r.output()).contains("RAISE " + GROUP + " 10 -> 16").contains("tokens 2");
    ready(16);
    r = tick(1060);
    assertThat(r.exitCode()).isZero();
    assertThat(desired(GROUP)).isEqualTo(16);
    assertThat(r.output()).doesNotContain("RAISE");
  }

  @Test
  void stopsWhenItCannotSeeTheNodes() throws Exception {
    pacing(10, 600, 1000, 2, 100, 2);
    tick(1000);
    ready(10);
    h.processEnv("KUBECTL_FAIL", "1");
    var r = tick(1030);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("cannot list nodes; not changing any group");
    assertThat(desired(GROUP)).isEqualTo(10);
  }

  @Test
  void rejectsPacingItCannotParse() throws Exception {
    moto.aws("ssm", "put-parameter", "--overwrite", "--name", "/kilonode/dev/scale-out/pacing", "--type", "String",
        "--value", "JOIN_BOUND=$(reboot)");
    var r = tick(1000);
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.output()).contains("pacing JOIN_BOUND=$(reboot) is not a whole number");
    assertThat(desired(GROUP)).isEqualTo(10);
  }
}
