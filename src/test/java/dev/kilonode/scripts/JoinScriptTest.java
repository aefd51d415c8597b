package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** components/NodeGroup/join-cluster.sh against stub curl/kubeadm/aws. */
class JoinScriptTest {
  static final String TOKEN = "k1l0nd.s3cr3tt0k3nv4lu3";
  static final String SECRET = "s3cr3tt0k3nv4lu3";
  static final String SCRIPT = "NodeGroup/join-cluster.sh";
  static final Pattern BACKOFF = Pattern.compile("ceiling (\\d+)s, sleeping (\\d+)s");

  @TempDir Path tmp;
  ScriptHarness h;
  Path captured;

  @BeforeEach
  void setUp() throws Exception {
    h = new ScriptHarness(tmp);
    captured = tmp.resolve("kubeadm-saw-config.yaml");
    Path template = tmp.resolve("join.yaml");
    Files.writeString(template, """
        apiVersion: kubeadm.k8s.io/v1beta4
        kind: JoinConfiguration
        discovery:
          bootstrapToken:
            apiServerEndpoint: api.example:6443
            token: __BOOTSTRAP_TOKEN__
            caCertHashes: ["sha256:00"]
        """);
    h.env("KILONODE_STACK", "dev").env("KILONODE_REGION", "eu-west-1").env("KILONODE_ROLE", "worker")
        .env("SSM_PREFIX", "/kilonode/dev").env("API_ENDPOINT", "api.example:6443")
        .env("KUBERNETES_VERSION", "1.31.4").env("KUBERNETES_MINOR", "1.31")
        .env("NODE_GROUP", "worker").env("CA_CERT_HASH", "sha256:00")
        .env("JOIN_MAX_ATTEMPTS", "5").env("JOIN_MAX_BACKOFF_SECONDS", "8")
        .env("LIFECYCLE_HOOK_NAME", "drain");
    h.processEnv("KILONODE_JOIN_TEMPLATE", template.toString())
        .processEnv("KILONODE_KUBELET_CONF", tmp.resolve("kubelet.conf").toString())
        .processEnv("KILONODE_RUN_DIR", tmp.resolve("run").toString())
        .processEnv("READYZ_FAILURES", "0")
        .processEnv("CAPTURED", captured.toString());
    // curl: IMDSv2 token + instance id; /readyz fails the first $READYZ_FAILURES times.
    h.stub("curl", """
        case "$*" in
          *api/token*) echo imds-token ;;
          *meta-data/instance-id*) echo i-0123456789abcdef0 ;;
          *readyz*)
            n=$(cat "$KILONODE_TEST_ROOT/readyz.count" 2>/dev/null || echo 0); n=$((n+1))
            echo "$n" > "$KILONODE_TEST_ROOT/readyz.count"
            [ "$n" -gt "$READYZ_FAILURES" ] || { echo "curl: (7) Failed to connect" >&2; exit 7; } ;;
          *) exit 22 ;;
        esac
        """);
    h.stub("aws", """
        case "$1 $2" in
          "ssm get-parameter") echo "$TOKEN_VALUE" ;;
          "autoscaling set-instance-health") exit 0 ;;
          *) exit 1 ;;
        esac
        """);
    h.processEnv("TOKEN_VALUE", TOKEN);
    // kubeadm join: keep a copy of the --config file and chatter the token (must be masked).
    h.stub("kubeadm", """
        if [ "$1" = join ]; then
          [ "$2" = --config ] || exit 64
          cp "$3" "$CAPTURED"; ls -l "$3" | cut -c1-10 > "$CAPTURED.mode"
          echo "[discovery] Using token: $(grep -o '[a-z0-9]\\{6\\}\\.[a-z0-9]\\{16\\}' "$3")"
          exit "${KUBEADM_JOIN_RC:-0}"
        fi
        exit 0
        """);
  }

  @Test
  void retriesWhileTheApiIsDownThenJoinsWithTheSubstitutedToken() throws Exception {
    h.processEnv("READYZ_FAILURES", "3");
    ScriptHarness.Result r = h.run(SCRIPT);

    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(h.calls("curl").stream().filter(c -> c.contains("/readyz"))).hasSize(4);
    assertThat(h.sleeps()).hasSize(3);
    List<String> joins = h.calls("kubeadm join");
    assertThat(joins).hasSize(1);
    assertThat(joins.get(0)).startsWith("kubeadm join --config " + tmp.resolve("run/join.yaml"));
    assertThat(Files.readString(captured)).contains("token: " + TOKEN).doesNotContain("__BOOTSTRAP_TOKEN__");
    assertThat(Files.readString(captured.resolveSibling(captured.getFileName() + ".mode"))).startsWith("-rw-------");
    assertThat(tmp.resolve("run/join.yaml")).as("rendered copy is removed").doesNotExist();
    assertThat(h.calls("aws autoscaling")).isEmpty();
    assertThat(r.output()).doesNotContain(SECRET)
        .contains("[redacted-token]").contains("kilonode: join: node joined the cluster");
    // Each step is logged with a timestamp.
    assertThat(r.stderr().lines().filter(l -> l.contains("kilonode:")))
        .allMatch(l -> l.matches("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ kilonode: .*"));
  }

  @Test
  void givesUpAfterMaxAttemptsAndMarksTheInstanceUnhealthy() throws Exception {
    h.processEnv("KUBEADM_JOIN_RC", "1");
    ScriptHarness.Result r = h.run(SCRIPT);

    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(h.calls("kubeadm join")).hasSize(5);
    assertThat(h.calls("kubeadm reset")).hasSize(5).allMatch(c -> c.equals("kubeadm reset -f"));
    // reset runs between attempts: every join after the first follows a reset.
    List<String> kubeadm = h.calls("kubeadm");
    for (int i = 1; i < kubeadm.size(); i++) {
      if (kubeadm.get(i).startsWith("kubeadm join")) {
        assertThat(kubeadm.get(i - 1)).isEqualTo("kubeadm reset -f");
      }
    }
    List<String> health = h.calls("aws autoscaling set-instance-health");
    assertThat(health).hasSize(1);
    assertThat(health.get(0)).contains("--instance-id i-0123456789abcdef0").contains("--health-status Unhealthy");
    assertThat(r.output()).doesNotContain(SECRET);
    assertThat(tmp.resolve("run/join.yaml")).doesNotExist();
  }

  @Test
  void backoffGrowsWithFullJitterAndIsCapped() throws Exception {
    h.env("JOIN_MAX_ATTEMPTS", "9");
    h.processEnv("READYZ_FAILURES", "1000");
    ScriptHarness.Result r = h.run(SCRIPT);

    assertThat(r.exitCode()).as("API never ready -> give up").isEqualTo(1);
    assertThat(h.calls("kubeadm join")).isEmpty();
    assertThat(h.calls("aws autoscaling set-instance-health")).hasSize(1);
    List<Integer> ceilings = new ArrayList<>();
    List<Integer> delays = new ArrayList<>();
    Matcher m = BACKOFF.matcher(r.stderr());
    while (m.find()) {
      ceilings.add(Integer.parseInt(m.group(1)));
      delays.add(Integer.parseInt(m.group(2)));
    }
    assertThat(ceilings).containsExactly(1, 2, 4, 8, 8, 8, 8, 8);
    for (int i = 0; i < delays.size(); i++) {
      assertThat(delays.get(i)).isBetween(0, ceilings.get(i));
    }
    assertThat(h.sleeps()).as("the logged delay is the slept delay").isEqualTo(delays);
  }

  @Test
  void jitterSpreadsDelays() throws Exception {
    // 1,000 workers must not retry in lockstep (report 001): across runs the chosen delays differ.
    h.env("JOIN_MAX_ATTEMPTS", "12").env("JOIN_MAX_BACKOFF_SECONDS", "60");
    h.processEnv("READYZ_FAILURES", "1000");
    h.run(SCRIPT);
    List<Integer> first = h.sleeps();
    Files.delete(h.sleepsFile());
    Files.deleteIfExists(tmp.resolve("readyz.count"));
    h.run(SCRIPT);
    assertThat(h.sleeps()).hasSameSizeAs(first).isNotEqualTo(first);
  }

  @Test
  void alreadyJoinedNodeIsLeftAlone() throws Exception {
    Files.writeString(tmp.resolve("kubelet.conf"), "x");
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).isZero();
    assertThat(h.calls()).noneMatch(c -> c.startsWith("kubeadm") || c.startsWith("curl") || c.startsWith("aws"));
  }

  @Test
  void missingTemplateIsAConfigurationError() throws Exception {
    h.processEnv("KILONODE_JOIN_TEMPLATE", tmp.resolve("nope.yaml").toString());
    ScriptHarness.Result r = h.run(SCRIPT);
    assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
    assertThat(h.calls("aws autoscaling")).isEmpty();
  }
}
