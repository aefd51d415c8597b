package dev.kilonode;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.internal.PulumiTestInternal;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.SecretKeys;
import dev.kilonode.kubernetes.ProviderDiffConfig;
import dev.kilonode.plan.MockCloud;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.logging.Level;

import static dev.kilonode.testing.Stacks.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Finding 3: one stable API name. The stack's Kubernetes provider, kubeadm, the workers and kube-manager use
 * {@code api.<apiDomain>}, answered by Route 53 (private zone in the VPC, public zone outside), so toggling the public
 * endpoint or replacing a load balancer leaves the provider's kubeconfig byte-identical, and pulumi-kubernetes 4.0.0's
 * DiffConfig (modelled in {@link ProviderDiffConfig}) keeps the provider and every in-cluster object.
 */
class ApiNameTest {

    static final String K8S_PROVIDER = "pulumi:providers:kubernetes";
    static final String LB = "aws:lb/loadBalancer:LoadBalancer";
    static final String ZONE = "aws:route53/zone:Zone";
    static final String RECORD = "aws:route53/record:Record";
    static final String HOST = "api.dev.k8s.example.com";

    /** The program under the mock engine, with the raw (unmasked) inputs of every resource. */
    record Run(Map<String, Map<String, Object>> inputs, Map<String, Map<String, Object>> outputs, List<String> errors) {
        Map<String, Object> provider() {
            return inputs.get(K8S_PROVIDER + "::kilonode-k8s");
        }

        String kubeconfig() {
            return (String) provider().get("kubeconfig");
        }
    }

    /**
     * @param preview   run as `pulumi preview`
     * @param isNew     resources (type::name) the engine would create or replace: in a preview they get no id and no
     *                  computed outputs (unknown), like a create or replace in a real preview; everything else exists
     * @param dnsSuffix appended to every load balancer's DNS name: a replaced load balancer has a new one
     */
    static Run run(Map<String, String> config, boolean preview, Predicate<String> isNew, String dnsSuffix) {
        MockCloud cloud = new MockCloud("us-east-1");
        Map<String, Map<String, Object>> inputs = new ConcurrentHashMap<>();
        Map<String, Map<String, Object>> outputs = new ConcurrentHashMap<>();
        Mocks mocks = new Mocks() {
            @Override
            public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
                String key = args.type + "::" + args.name;
                inputs.put(key, new TreeMap<>(args.inputs));
                if (preview && isNew.test(key)) {
                    return CompletableFuture.completedFuture(ResourceResult.of(Optional.empty(), args.inputs));
                }
                return cloud.newResourceAsync(args).thenApply(r -> {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> state = new TreeMap<>((Map<String, Object>) r.state);
                    if (args.type.equals(LB)) {
                        state.put("dnsName", state.get("dnsName") + dnsSuffix);
                    }
                    outputs.put(key, state);
                    return ResourceResult.of(r.id, state);
                });
            }

            @Override
            public CompletableFuture<Map<String, Object>> callAsync(CallArgs args) {
                return cloud.callAsync(args);
            }
        };
        List<String> errors = new ArrayList<>();
        try {
            var result = PulumiTestInternal.builder()
                    .options(TestOptions.builder().projectName("kilonode").stackName("dev").preview(preview).build())
                    .mocks(mocks)
                    .standardLogger(PulumiTestInternal.logger(Level.SEVERE))
                    .config(config, new LinkedHashSet<>(config.keySet().stream().filter(SecretKeys.ALL::contains).toList()))
                    .build().runTest(KilonodeStack::define);
            errors.addAll(result.errors());
            result.exceptions().forEach(e -> errors.add(String.valueOf(e)));
        } finally {
            PulumiTest.cleanup();
        }
        return new Run(Map.copyOf(inputs), Map.copyOf(outputs), List.copyOf(errors));
    }

    static Run up(Map<String, String> config, String dnsSuffix) {
        Run r = run(config, false, k -> false, dnsSuffix);
        assertThat(r.errors()).isEmpty();
        return r;
    }

    /** Closing the public endpoint is one setting: the public zone may stay configured. */
    static Map<String, String> withoutPublicEndpoint() {
        Map<String, String> config = Stacks.config("dev");
        config.remove("kilonode:apiAllowedCidrs");
        return config;
    }

    /** The provider's inputs as DiffConfig sees them: an input the mocks did not get (unknown) is computed. */
    static Map<String, Object> providerInputs(Run r) {
        Map<String, Object> in = new TreeMap<>(r.provider());
        in.putIfAbsent("kubeconfig", ProviderDiffConfig.UNKNOWN);
        return in;
    }

    @Test
    void togglingThePublicEndpointOrReplacingALoadBalancerKeepsTheProvider() {
        Run withPublic = up(Stacks.config("dev"), "");
        Run internalOnly = up(withoutPublicEndpoint(), "");
        Run replacedLbs = up(Stacks.config("dev"), "-replaced");

        // The load balancers really differ between the runs...
        assertThat(replacedLbs.outputs().get(LB + "::kilonode-api-internal").get("dnsName"))
                .isNotEqualTo(withPublic.outputs().get(LB + "::kilonode-api-internal").get("dnsName"));
        assertThat(internalOnly.inputs()).doesNotContainKey(RECORD + "::kilonode-api-name-public");
        // ... and the kubeconfig does not: byte-identical, on the API's name.
        assertThat(internalOnly.kubeconfig()).isEqualTo(withPublic.kubeconfig());
        assertThat(replacedLbs.kubeconfig()).isEqualTo(withPublic.kubeconfig());
        assertThat(withPublic.provider()).isEqualTo(internalOnly.provider()).isEqualTo(replacedLbs.provider());
        assertThat(withPublic.kubeconfig()).contains("server: https://" + HOST + ":6443");

        for (Run[] change : new Run[][]{{withPublic, internalOnly}, {internalOnly, withPublic}, {withPublic, replacedLbs}}) {
            var verdict = ProviderDiffConfig.diff(providerInputs(change[0]), providerInputs(change[1]));
            assertThat(verdict.diffs()).isEmpty();
            assertThat(verdict.replaces()).isFalse();
        }
    }

    /**
     * The same changes in `pulumi preview` of the running stack: what is created or replaced has no outputs yet. The
     * kubeconfig must stay known there too - an unknown one is a replace for DiffConfig.
     */
    @Test
    void inAPreviewTheKubeconfigStaysKnownWhileALoadBalancerIsReplacedOrTheEndpointOpened() {
        String running = up(Stacks.config("dev"), "").kubeconfig();

        // The internal load balancer is replaced (say its subnets changed): new id, unknown DNS name.
        Run lbReplaced = run(Stacks.config("dev"), true, k -> k.equals(LB + "::kilonode-api-internal"), "");
        assertThat(lbReplaced.errors()).isEmpty();
        // The alias follows it: an update of the record, whose id (zone, name, type) is kept.
        assertThat(lbReplaced.inputs().get(RECORD + "::kilonode-api-name-private")).doesNotContainKey("aliases");
        assertThat(lbReplaced.kubeconfig()).isEqualTo(running);

        // The public endpoint is opened on a stack that had none: the public load balancer, its listeners, the
        // public record are new.
        Set<String> before = up(withoutPublicEndpoint(), "").inputs().keySet();
        Run opened = run(Stacks.config("dev"), true, k -> !before.contains(k), "");
        assertThat(opened.errors()).isEmpty();
        assertThat(opened.inputs()).containsKey(RECORD + "::kilonode-api-name-public");
        assertThat(opened.kubeconfig()).isEqualTo(running);
        assertThat(ProviderDiffConfig.diff(providerInputs(up(withoutPublicEndpoint(), "")), providerInputs(opened)).replaces())
                .isFalse();

        // The model is not blind: while the private record itself is new (a first preview, or a new apiDomain), the
        // kubeconfig is unknown and DiffConfig replaces.
        Run fresh = run(Stacks.config("dev"), true, k -> true, "");
        assertThat(fresh.errors()).isEmpty();
        assertThat(ProviderDiffConfig.diff(providerInputs(up(Stacks.config("dev"), "")), providerInputs(fresh)).replaces())
                .isTrue();
    }

    /** Day 2: a new apiDomain is a new active cluster - the provider is replaced (README, "API endpoint"). */
    @Test
    void aNewApiDomainReplacesTheProviderAndTheModelSaysSo() {
        Map<String, String> renamed = Stacks.config("dev");
        renamed.put("kilonode:apiDomain", "dev2.k8s.example.com");
        Run before = up(Stacks.config("dev"), "");
        Run after = up(renamed, "");
        var verdict = ProviderDiffConfig.diff(providerInputs(before), providerInputs(after));
        assertThat(verdict.replaces()).isTrue();
        assertThat(verdict.diffs()).contains("kubeconfig", "cluster");
        // The cluster name is the one non-secret input that shows it (the plan masks the kubeconfig).
        assertThat(after.provider()).containsEntry("cluster", "api.dev2.k8s.example.com");
    }

    @Test
    void route53AnswersTheNameInsideTheVpcAndOutsideIt() {
        Run r = up(Stacks.config("dev"), "");
        Stacks.Plan plan = Stacks.plan("dev");
        String vpcId = plan.one("aws:ec2/vpc:Vpc", v -> true).id();
        PlannedResource zone = plan.one(ZONE, z -> true);
        assertThat(zone.inputs()).containsEntry("name", "dev.k8s.example.com");
        assertThat(at(zone.inputs(), "vpcs", "0", "vpcId").toString()).isEqualTo(vpcId);
        assertThat(zone.tags()).containsKeys("Owner", "CostCenter", "Environment");

        Map<String, Object> internalLb = r.outputs().get(LB + "::kilonode-api-internal");
        Map<String, Object> publicLb = r.outputs().get(LB + "::kilonode-api-public");
        Map<String, Object> zoneOut = r.outputs().get(ZONE + "::kilonode-api-name-private");

        Map<String, Object> priv = r.inputs().get(RECORD + "::kilonode-api-name-private");
        assertThat(priv).containsEntry("name", HOST).containsEntry("type", "A")
                .containsEntry("zoneId", zoneOut.get("zoneId"));
        assertThat((Map<String, Object>) at(priv, "aliases", "0")).containsEntry("name", internalLb.get("dnsName"))
                .containsEntry("zoneId", internalLb.get("zoneId")).containsEntry("evaluateTargetHealth", true);

        Map<String, Object> pub = r.inputs().get(RECORD + "::kilonode-api-name-public");
        assertThat(pub).containsEntry("name", HOST).containsEntry("type", "A")
                .containsEntry("zoneId", "Z0EXAMPLEDEVZONEID");
        assertThat((Map<String, Object>) at(pub, "aliases", "0")).containsEntry("name", publicLb.get("dnsName"))
                .containsEntry("zoneId", publicLb.get("zoneId")).containsEntry("evaluateTargetHealth", true);

        // The provider is registered after both records exist (a runner outside the VPC needs the public one).
        PlannedResource provider = plan.one(K8S_PROVIDER, p -> true);
        assertThat(provider.options().get("dependsOn").toString())
                .contains("kilonode-api-name-private", "kilonode-api-name-public");

        // Without a public endpoint: the private zone and record only.
        Run internalOnly = up(withoutPublicEndpoint(), "");
        assertThat(internalOnly.inputs().keySet().stream().filter(k -> k.startsWith(RECORD)))
                .containsExactly(RECORD + "::kilonode-api-name-private");
    }

    @Test
    void kubeadmTheCertificateTheWorkersAndKubeManagerUseTheName() throws Exception {
        Stacks.Plan plan = Stacks.plan("dev");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());

        String kubeadm = (String) plan.named("aws:ssm/parameter:Parameter", "kilonode-master-0-kubeadm").inputs().get("value");
        JsonNode cluster = null;
        for (JsonNode doc : yaml.readValues(yaml.createParser(kubeadm), JsonNode.class).readAll()) {
            if (doc.path("kind").asText().equals("ClusterConfiguration")) {
                cluster = doc;
            }
        }
        assertThat(cluster).isNotNull();
        assertThat(cluster.path("controlPlaneEndpoint").asText()).isEqualTo(HOST + ":6443");
        List<String> sans = new ArrayList<>();
        cluster.path("apiServer").path("certSANs").forEach(n -> sans.add(n.asText()));
        assertThat(sans).contains(HOST).noneMatch(s -> s.contains("elb.") || s.contains("amazonaws.com"));

        String master = UserData.decode((String) plan.named("aws:ec2/instance:Instance", "kilonode-master-0")
                .inputs().get("userDataBase64"));
        assertThat(master).contains("API_ENDPOINT=" + HOST + ":6443").doesNotContain("elb.us-east-1.amazonaws.com");

        String worker = UserData.decode((String) plan.one("aws:ec2/launchTemplate:LaunchTemplate", r -> true)
                .inputs().get("userData"));
        JsonNode cloudConfig = yaml.readTree(worker);
        String join = null;
        for (JsonNode f : cloudConfig.path("write_files")) {
            if (f.path("path").asText().endsWith("/kubeadm/join.yaml")) {
                join = f.path("content").asText();
            }
        }
        assertThat(join).isNotNull();
        JsonNode joinConfig = yaml.readValues(yaml.createParser(join), JsonNode.class).readAll().get(0);
        assertThat(joinConfig.at("/discovery/bootstrapToken/apiServerEndpoint").asText()).isEqualTo(HOST + ":6443");
        assertThat(worker).doesNotContain("elb.us-east-1.amazonaws.com");

        Map<String, Object> kubeManager = plan.named("kubernetes:core/v1:ConfigMap", "contrail-kube-manager-config").inputs();
        assertThat((String) at(kubeManager, "data", "KUBERNETES_API_SERVER")).isEqualTo(HOST);
    }

    @Test
    void replacingALoadBalancerTouchesNoMasterAndRollsNoWorker() {
        Run before = up(Stacks.config("dev"), "");
        Run after = up(Stacks.config("dev"), "-replaced");
        for (String key : before.inputs().keySet()) {
            if (key.startsWith(RECORD) || key.startsWith("pulumi:pulumi:Stack")) {
                continue; // the aliases follow the load balancers
            }
            assertThat(after.inputs().get(key)).as(key).isEqualTo(before.inputs().get(key));
        }
    }

    /** kilonode status reads the name (apiEndpoint); a stack last updated before it existed still works. */
    @Test
    void statusReadsTheEndpointOutput() throws Exception {
        var outputs = dev.kilonode.status.StackOutputs.parse("{\"workerGroups\":[\"g\"],\"workerCount\":3,"
                + "\"apiEndpoint\":\"https://" + HOST + ":6443\",\"apiInternalLoadBalancer\":\"internal-x.elb.amazonaws.com\"}", "t");
        assertThat(outputs.apiEndpoint()).isEqualTo("https://" + HOST + ":6443");
        var old = dev.kilonode.status.StackOutputs.parse("{\"workerGroups\":[\"g\"],\"workerCount\":3,"
                + "\"apiInternalEndpoint\":\"https://internal-x:6443\"}", "t");
        assertThat(old.apiEndpoint()).isEqualTo("https://internal-x:6443");
    }

    @Test
    void aPublicEndpointNeedsAPublicZone() {
        Map<String, String> config = Stacks.config("dev");
        config.remove("kilonode:apiPublicZoneId");
        assertThatThrownBy(() -> Stacks.spec("dev", config)).hasMessageContaining("kilonode:apiPublicZoneId")
                .hasMessageContaining("kilonode:apiAllowedCidrs");
    }
}
