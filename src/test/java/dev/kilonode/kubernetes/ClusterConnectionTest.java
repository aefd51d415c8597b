package dev.kilonode.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.pulumi.Context;
import com.pulumi.core.Output;
import com.pulumi.core.internal.Internal;
import com.pulumi.core.internal.OutputData;
import com.pulumi.core.internal.OutputInternal;
import com.pulumi.kubernetes.Provider;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.ConfigMapArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import com.pulumi.test.internal.PulumiTestInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/** The provider's kubeconfig and its readiness gate, under the SDK's mock engine. */
class ClusterConnectionTest {

    static final String KEY = "-----BEGIN EC PRIVATE KEY-----\nCONNECTION-TEST-KEY\n-----END EC PRIVATE KEY-----\n";
    static TestPki pki;

    /** What the mock engine saw: resource types in registration order, and whether the gate had opened then. */
    record Registration(String type, boolean gateOpen) {
    }

    final List<Registration> registered = new CopyOnWriteArrayList<>();
    final AtomicBoolean gateOpen = new AtomicBoolean();

    @BeforeAll
    static void pki() throws Exception {
        pki = new TestPki("kubernetes");
    }

    @AfterEach
    void cleanup() {
        PulumiTest.cleanup();
    }

    private TestResult run(boolean preview, Consumer<Context> program) {
        Mocks mocks = new Mocks() {
            @Override
            public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
                registered.add(new Registration(args.type, gateOpen.get()));
                return CompletableFuture.completedFuture(ResourceResult.of(Optional.of(args.name + "-id"), args.inputs));
            }
        };
        return PulumiTestInternal.builder()
                .options(TestOptions.builder().projectName("kilonode").stackName("test").preview(preview).build())
                .mocks(mocks)
                .standardLogger(PulumiTestInternal.logger(Level.OFF))
                .build()
                .runTest(program);
    }

    private static ClusterConnection.Credentials credentials(Output<String> url) throws Exception {
        return new ClusterConnection.Credentials("kilonode-test", url, pki.caPem(), pki.caPem(), Output.ofSecret(KEY));
    }

    /** A provider and one object that uses it, as ClusterAddons does. */
    private static void programWith(ClusterConnection.Credentials c, ReadinessGate gate) {
        Provider k8s = ClusterConnection.provider("k8s", c, gate, CustomResourceOptions.Empty);
        new ConfigMap("probe", ConfigMapArgs.builder()
                .metadata(ObjectMetaArgs.builder().name("probe").namespace("kube-system").build())
                .data(Map.of("k", "v")).build(), CustomResourceOptions.builder().provider(k8s).build());
    }

    @Test
    void kubeconfigIsSecretAndComplete() throws Exception {
        AtomicReference<Output<String>> config = new AtomicReference<>();
        var c = credentials(Output.of("https://api.example.internal:6443"));
        TestResult result = run(false, ctx -> config.set(ClusterConnection.kubeconfig(c, ReadinessGate.none())));
        assertThat(result.exceptions()).isEmpty();
        OutputInternal<String> out = Internal.of(config.get());
        assertThat(out.isSecret().get(5, TimeUnit.SECONDS)).isTrue();
        JsonNode kubeconfig = new ObjectMapper(new YAMLFactory()).readTree(out.getValueNullable().get(5, TimeUnit.SECONDS));
        assertThat(kubeconfig.at("/clusters/0/cluster/server").asText()).isEqualTo("https://api.example.internal:6443");
        assertThat(decode(kubeconfig.at("/clusters/0/cluster/certificate-authority-data").asText())).isEqualTo(pki.caPem());
        assertThat(decode(kubeconfig.at("/users/0/user/client-key-data").asText())).isEqualTo(KEY);
        assertThat(kubeconfig.at("/current-context").asText()).isEqualTo("kilonode-test");
        assertThat(kubeconfig.at("/contexts/0/context/user").asText()).isEqualTo("kilonode-test-admin");
    }

    private static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    @Test
    void nothingReachesTheEngineBeforeTheApiServerIsReady() throws Exception {
        try (FakeApiServer api = new FakeApiServer(pki, 2)) {
            var settings = new ApiServerReadiness.Settings(Duration.ofSeconds(5), Duration.ofMillis(100), Duration.ofSeconds(1));
            ReadinessGate gate = (url, ca) -> ApiServerReadiness.await(url, ca, settings)
                    .thenRun(() -> gateOpen.set(true));
            var c = credentials(Output.of(api.url()));
            TestResult result = run(false, ctx -> programWith(c, gate));
            assertThat(result.exceptions()).isEmpty();
            assertThat(api.requests.get()).isEqualTo(3);
            assertThat(registered).filteredOn(r -> r.type().contains("kubernetes"))
                    .extracting(Registration::type).contains("pulumi:providers:kubernetes", "kubernetes:core/v1:ConfigMap");
            assertThat(registered).filteredOn(r -> r.type().contains("kubernetes")).allMatch(Registration::gateOpen);
        }
    }

    @Test
    void anApiServerThatNeverGetsReadyFailsTheRunWithItsUrlAndSendsNothing() throws Exception {
        try (FakeApiServer api = new FakeApiServer(pki, -1)) {
            var settings = new ApiServerReadiness.Settings(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(1));
            var c = credentials(Output.of(api.url()));
            TestResult result = run(false, ctx -> programWith(c, ReadinessGate.http(settings)));
            String errors = String.join("\n", result.errors()) + result.exceptions().stream()
                    .map(e -> String.valueOf(e) + " " + (e.getCause() == null ? "" : e.getCause())).toList();
            assertThat(result.exitCode()).isNotZero();
            assertThat(errors).contains(api.url() + "/readyz").contains("did not answer 200");
            assertThat(registered).noneMatch(r -> r.type().contains("kubernetes"));
        }
    }

    @Test
    void previewOfAnEmptyStackNeedsNoApiServer() throws Exception {
        AtomicInteger gateCalls = new AtomicInteger();
        ReadinessGate gate = (url, ca) -> {
            gateCalls.incrementAndGet();
            return CompletableFuture.failedFuture(new AssertionError("no wait in preview"));
        };
        // In preview the control plane's endpoint is not known yet.
        var c = credentials(new OutputInternal<>(OutputData.<String>unknown()));
        TestResult result = run(true, ctx -> programWith(c, gate));
        assertThat(result.exceptions()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(gateCalls.get()).isZero();
        assertThat(registered).extracting(Registration::type).contains("pulumi:providers:kubernetes",
                "kubernetes:core/v1:ConfigMap");
    }

    @Test
    void theDefaultGateDoesNotWaitWithoutARealEngine() throws Exception {
        // Under the mock engine (kilonode plan, unit tests) there is no PULUMI_MONITOR: nothing can reach a cluster.
        AtomicReference<CompletableFuture<Void>> wait = new AtomicReference<>();
        TestResult result = run(false, ctx -> wait.set(ReadinessGate.forCurrentDeployment()
                .await("https://203.0.113.1:6443", "not even a certificate")));
        assertThat(result.exceptions()).isEmpty();
        assertThat(wait.get()).isCompleted();
    }
}
