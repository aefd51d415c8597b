package dev.kilonode.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.KilonodeStack;
import dev.kilonode.plan.PlanCommand;
import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.StackFile;
import dev.kilonode.plan.StackFileException;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ClusterSpecReaderTest {

    private static Map<String, String> valid() {
        return Stacks.config("dev");
    }

    static Stream<Arguments> badConfigurations() {
        return Stream.<Arguments>of(
                arguments("kilonode:vpcCidr", "10.0.0.0/33", "IPv4 CIDR"),
                arguments("kilonode:vpcCidr", "not-a-cidr", "IPv4 CIDR"),
                arguments("kilonode:vpcCidr", "10.0.0.1/16", "no host bits"),
                arguments("kilonode:vpcCidr", "10.0.0.0/8", "/16 to /20"),
                arguments("kilonode:podCidr", "10.0.0.0/16", "does not overlap vpcCidr"),
                arguments("kilonode:serviceCidr", "10.32.0.0/16", "does not overlap podCidr"),
                arguments("kilonode:workerCount", "5001", "from 0 to 5000"),
                arguments("kilonode:workerCount", "-1", "from 0 to 5000"),
                arguments("kilonode:workerCount", "many", "integer"),
                arguments("kilonode:masterCount", "2", "1 or 3"),
                arguments("kilonode:controllerCount", "2", "1 or 3"),
                arguments("kilonode:masterCount", "5", "from 1 to 3"),
                arguments("kilonode:workerInstanceType", "t2.micro", "supported family"),
                arguments("kilonode:workerInstanceType", "m3.huge", "one of m3.medium"),
                arguments("kilonode:masterInstanceType", "m5.xlarge", "instance-store SSD"),
                arguments("kilonode:amiId", "ubuntu-20.04", "ami-"),
                arguments("kilonode:region", "mars-1", "AWS region"),
                arguments("kilonode:availabilityZones", "[\"eu-west-1a\"]", "zones of region us-east-1"),
                arguments("kilonode:availabilityZones", "[\"us-east-1a\",\"us-east-1a\"]", "each zone once"),
                arguments("kilonode:kubernetesVersion", "1.20.0", "1.29.x to 1.33.x"),
                arguments("kilonode:kubernetesVersion", "latest", "MAJOR.MINOR.PATCH"),
                // Outside the network release's row (and kilonode's renderer): the message names the release key.
                arguments("kilonode:kubernetesVersion", "1.35.2", "1.29.x to 1.33.x for kilonode:networkRelease R25.1"),
                arguments("kilonode:kubernetesVersion", "1.28.6", "kilonode renders 1.29-1.33"),
                arguments("kilonode:networkRelease", "R2011", "one of R25.1"),
                arguments("kilonode:networkRelease", "R24.1", "one of R25.1"),
                arguments("kilonode:ubuntuRelease", "20.04", "24.04 for kilonode:networkRelease R25.1"),
                arguments("kilonode:ubuntuRelease", "22.04", "vRouter builder"),
                arguments("kilonode:tfTag", "R2011-latest", "a tag matching R25\\.1-"),
                arguments("kilonode:tfTag", "latest", "for kilonode:networkRelease R25.1, such as R25.1-latest"),
                arguments("kilonode:tfDeployerRef", "master", "a full commit id (40 hex digits)"),
                arguments("kilonode:tfDeployerRef", "R25.1", "a branch such as master moves"),
                arguments("kilonode:apiAllowedCidrs", "[\"0.0.0.0/0\"]", "the world (0.0.0.0/0) is never allowed"),
                arguments("kilonode:webUiAllowedCidrs", "[\"203.0.113.0/99\"]", "IPv4 CIDR"),
                arguments("kilonode:apiAllowedCidrs", "\"203.0.113.0/24\"", "a list of strings"),
                arguments("kilonode:etcdWriteBarrier", "maybe", "true or false"),
                arguments("kilonode:eventsEtcd", "sometimes", "auto, true or false"),
                arguments("kilonode:etcdBackupIntervalMinutes", "1", "from 5 to 1440"),
                arguments("kilonode:apiReadyTimeoutMinutes", "0", "from 1 to 120"),
                arguments("kilonode:apiReadyTimeoutMinutes", "soon", "from 1 to 120"),
                arguments("kilonode:rollMachines", "kilonode-master-7", "control-plane machine names separated by commas: kilonode-master-0"),
                arguments("kilonode:nodeImage", "golden", "stock (boot amiId and install at boot) or baked"),
                arguments("kilonode:nodeImage", "", "remove the line to use the default stock"),
                arguments("kilonode:podsPerWorker", "0", "from 1 to 250"),
                // Finding 3: the API's one name.
                arguments("kilonode:apiDomain", "Dev.Example.COM", "a DNS name of two or more labels"),
                arguments("kilonode:apiDomain", "localhost", "a DNS name of two or more labels"),
                arguments("kilonode:apiDomain", "dev..example.com", "labels of 1-63 characters"),
                arguments("kilonode:apiDomain", "dev.cluster.local", "outside cluster.local"),
                arguments("kilonode:apiDomain", "dev.kilonode.internal", "resolves on the internet while kilonode:apiPublicZoneId"),
                arguments("kilonode:apiPublicZoneId", "/hostedzone/Z0123", "Z followed by up to 31"),
                arguments("kilonode:apiPublicZoneId", "", "required while kilonode:apiAllowedCidrs opens the public endpoint"),

                arguments("kilonode:owner", "", "required"),
                arguments("kilonode:costCenter", "bad\u0001value", "AWS tag value"),
                arguments("kilonode:expiresOn", "next week", "YYYY-MM-DD"),
                arguments("kilonode:expiryAction", "delete", "park"),
                arguments("kilonode:tfJvmExtraOpts", "; rm -rf /", "JVM -X options"),
                arguments("kilonode:tfTag", "bad tag!", "container registry or tag"),
                arguments("kilonode:workerGroups", "[{\"name\":\"Big\",\"count\":2,\"instanceType\":\"m3.large\"}]", "DNS label"),
                arguments("kilonode:workerGroups", "[{\"name\":\"big\",\"count\":2,\"instanceType\":\"x9.large\"}]", "supported family"),
                arguments("kilonode:workerLabels", "{\"kubernetes.io/role\":\"x\"}", "outside the kubernetes.io/"),
                arguments("kilonode:caCertificate", "hello", "PEM block"),
                // Issue 14: typos, keys without a namespace, settings that contradict each other.
                arguments("kilonode:wokerCount", "1000", "did you mean `kilonode:workerCount`?"),
                arguments("kilonode:podsperworker", "20", "did you mean `kilonode:podsPerWorker`?"),
                arguments("kilonode:bootstrapTokn", "x", "did you mean `kilonode:bootstrapToken`?"),
                arguments("kilonode:workerGroup", "[]", "did you mean `kilonode:workerGroups`?"),
                arguments("kilonode:somethingElse", "x", "declared in Pulumi.yaml"),
                arguments("workerCount", "1000", "namespace:name; did you mean `kilonode:workerCount`?"),
                arguments("kilonode:podsPerWorker", "60", "at most 20, the kubelet's maxPods on m3.medium (kilonode:workerInstanceType)"),
                arguments("kilonode:podsPerWorker", "50", "at most 40, the kubelet's maxPods on m3.large (worker group big)",
                        Map.of("kilonode:workerInstanceType", "m3.xlarge",
                                "kilonode:workerGroups", "[{\"name\":\"big\",\"count\":2,\"instanceType\":\"m3.large\"}]")),
                arguments("kilonode:tfTag", "", "remove the line to use the default R25.1-latest"),
                arguments("kilonode:region", "", "remove the line to use the default us-east-1"),
                arguments("kilonode:workerCount", "", "remove the line to use the default 3"),
                arguments("kilonode:expiryAction", "destroy", "only together with kilonode:expiresOn",
                        mapWithNull("kilonode:expiresOn")),
                arguments("kilonode:workerInstanceType", "m3.meduim", "did you mean `m3.medium`?"),
                arguments("kilonode:workerInstanceType", "m3.meduim", "m5.large, m5.xlarge"),
                arguments("kilonode:workerInstanceType", "m4.large", "m5.large"))
                // A row may name other settings to change (null: remove) for a clash to show.
                .map(a -> a.get().length == 4 ? a : arguments(a.get()[0], a.get()[1], a.get()[2], Map.of()));
    }

    /** Also remove these keys (a null value) from the stack for the row. */
    private static Map<String, String> mapWithNull(String key) {
        Map<String, String> m = new HashMap<>();
        m.put(key, null);
        return m;
    }

    @ParameterizedTest(name = "{0} = {1} {3}")
    @MethodSource("badConfigurations")
    void rejectsBadValueNamingTheKeyTheValueAndWhatIsAllowed(String key, String value, String allowed, Map<String, String> also) {
        Map<String, String> config = valid();
        also.forEach((k, v) -> {
            if (v == null) {
                config.remove(k);
            } else {
                config.put(k, v);
            }
        });
        config.put(key, value);
        assertThatThrownBy(() -> ClusterSpecReader.read(ConfigSource.of(config), "dev"))
                .isInstanceOf(ConfigValidationException.class)
                .satisfies(e -> {
                    ConfigValidationException v = (ConfigValidationException) e;
                    assertThat(v.problems()).anySatisfy(p -> {
                        assertThat(p.key()).startsWith(key);
                        assertThat(p.allowed()).contains(allowed);
                    });
                    assertThat(v.getMessage()).contains(key);
                });
    }

    @Test
    void reportsEveryProblemInOneMessage() {
        Map<String, String> config = valid();
        config.remove("kilonode:amiId");
        config.put("kilonode:masterCount", "2");
        config.put("kilonode:podCidr", "10.0.128.0/20");
        config.put("kilonode:workerInstanceType", "t2.micro");
        assertThatThrownBy(() -> ClusterSpecReader.read(ConfigSource.of(config), "dev"))
                .isInstanceOf(ConfigValidationException.class)
                .hasMessageContaining("4 problems")
                .hasMessageContaining("kilonode:amiId = (not set): required")
                .hasMessageContaining("kilonode:masterCount = \"2\"")
                .hasMessageContaining("kilonode:podCidr = \"10.0.128.0/20\"")
                .hasMessageContaining("kilonode:workerInstanceType = \"t2.micro\"");
    }

    @Test
    void missingSecretsPointToTheSecretsCommandAndNeverEchoAValue() {
        Map<String, String> config = valid();
        config.remove(SecretKeys.CA_KEY);
        config.put(SecretKeys.BOOTSTRAP_TOKEN, "NOT-A-TOKEN-but-secret");
        assertThatThrownBy(() -> ClusterSpecReader.read(ConfigSource.of(config), "dev"))
                .hasMessageContaining("kilonode:caKey = (not set)")
                .hasMessageContaining("secrets init --stack dev")
                .hasMessageContaining("kilonode:bootstrapToken = [secret]")
                .hasMessageNotContaining("NOT-A-TOKEN-but-secret");
    }

    @Test
    void vpcTooSmallForTheWorkersIsRejected() {
        Map<String, String> config = valid();
        config.put("kilonode:vpcCidr", "10.0.0.0/20");
        config.put("kilonode:workerCount", "5000");
        assertThatThrownBy(() -> ClusterSpecReader.read(ConfigSource.of(config), "dev"))
                .hasMessageContaining("kilonode:vpcCidr").hasMessageContaining("private subnets hold");
    }

    @Test
    void theNetworkReleaseRowSetsTheDefaults() {
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(valid()), "dev");
        var row = dev.kilonode.release.NetworkReleases.table().defaultRow();
        assertThat(spec.tungstenFabric().release()).isEqualTo(row);
        assertThat(spec.tungstenFabric().registry()).isEqualTo(row.registry());
        assertThat(spec.tungstenFabric().tag()).isEqualTo(row.defaultTag());
        assertThat(spec.tungstenFabric().deployerRef()).isEqualTo(row.deployer().ref());
        assertThat(spec.tungstenFabric().ubuntuRelease()).isEqualTo(row.ubuntuRelease());
        assertThat(row.kubernetesMinors().contains(spec.kubernetesMinorNumber())).isTrue();
        // A mirror (issue 12) is any registry; the tag must still be one of the release's.
        Map<String, String> config = valid();
        config.put("kilonode:tfRegistry", "123456789012.dkr.ecr.us-east-1.amazonaws.com/opensdn");
        config.put("kilonode:tfTag", "R25.1-2026-06-16");
        assertThat(ClusterSpecReader.read(ConfigSource.of(config), "dev").tungstenFabric().imageReferences())
                .allSatisfy(ref -> assertThat(ref).startsWith("123456789012.dkr.ecr.us-east-1.amazonaws.com/opensdn/opensdn-")
                        .endsWith(":R25.1-2026-06-16"));
    }

    @Test
    void everyKeyOutsideTheRowIsReportedTogether() {
        Map<String, String> config = valid();
        config.put("kilonode:kubernetesVersion", "1.36.0");
        config.put("kilonode:ubuntuRelease", "20.04");
        config.put("kilonode:tfTag", "R2011-latest");
        assertThatThrownBy(() -> ClusterSpecReader.read(ConfigSource.of(config), "dev"))
                .hasMessageContaining("3 problems")
                .hasMessageContaining("kilonode:kubernetesVersion = \"1.36.0\"")
                .hasMessageContaining("kilonode:ubuntuRelease = \"20.04\"")
                .hasMessageContaining("kilonode:tfTag = \"R2011-latest\"");
    }

    @Test
    void readsTheDevStack() {
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(valid()), "dev");
        assertThat(spec.workerCount()).isEqualTo(3);
        assertThat(spec.masters().instanceType().name()).isEqualTo("m3.xlarge");
        assertThat(spec.controllerIps()).containsExactly("10.0.0.10");
        assertThat(spec.masterIps()).containsExactly("10.0.0.20");
        assertThat(spec.costTags().environment()).isEqualTo("dev");
    }

    @Test
    void extraWorkerGroupsAddUpAndParkingZeroesThemAll() {
        Map<String, String> config = valid();
        config.put("kilonode:workerGroups", "[{\"name\":\"big\",\"count\":4,\"instanceType\":\"m3.xlarge\",\"labels\":{\"pool\":\"big\"}}]");
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(config), "dev");
        assertThat(spec.workerGroups()).hasSize(2);
        assertThat(spec.workerCount()).isEqualTo(7);
        config.put("kilonode:parked", "true");
        ClusterSpec parked = ClusterSpecReader.read(ConfigSource.of(config), "dev");
        assertThat(parked.workerCount()).isZero();
        assertThat(parked.plannedWorkerCount()).isEqualTo(7);
    }

    /** Finding 3: without kilonode:apiDomain the API's name comes from the stack and project. */
    @Test
    void apiDomainDefaultsToStackDotProjectDotInternal() {
        Map<String, String> config = valid();
        config.remove("kilonode:apiDomain");
        config.remove("kilonode:apiAllowedCidrs");
        config.remove("kilonode:apiPublicZoneId");
        assertThat(ClusterSpecReader.read(ConfigSource.of(config), "dev").apiName().url())
                .isEqualTo("https://api.dev.kilonode.internal:6443");
        assertThat(ClusterSpecReader.read(ConfigSource.of(config), "platform", "team-a").apiName().domain())
                .isEqualTo("team-a.platform.internal");
        assertThat(ClusterSpecReader.read(ConfigSource.of(valid()), "dev").apiName().host()).isEqualTo("api.dev.k8s.example.com");
        // A public zone kept while the endpoint is closed is not used (and .internal is fine then).
        Map<String, String> closed = valid();
        closed.remove("kilonode:apiAllowedCidrs");
        closed.put("kilonode:apiDomain", "dev.kilonode.internal");
        assertThat(ClusterSpecReader.read(ConfigSource.of(closed), "dev").apiName().publicZoneId()).isEmpty();
        assertThat(ClusterSpecReader.read(ConfigSource.of(valid()), "dev").apiName().publicZoneId()).contains("Z0EXAMPLEDEVZONEID");
    }

    /** Pulumi.yaml documents the defaults; feeding them explicitly must give the same spec as leaving them out. */
    @Test
    void defaultsInPulumiYamlMatchTheReader() throws Exception {
        JsonNode project = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("Pulumi.yaml")));
        Map<String, String> required = new HashMap<>();
        for (String k : new String[]{"kilonode:amiId", "kilonode:owner", "kilonode:costCenter"}) {
            required.put(k, valid().get(k));
        }
        Map<String, String> pki = new TreeMap<>(valid());
        pki.keySet().removeIf(k -> !SecretKeys.ALL.contains(k) && !SecretKeys.PUBLIC.contains(k));
        required.putAll(pki);

        Map<String, String> explicit = new HashMap<>(required);
        int declared = 0;
        for (var it = project.get("config").fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode def = e.getValue().get("default");
            if (def != null) {
                explicit.put("kilonode:" + e.getKey(), def.isContainerNode() ? def.toString() : def.asText());
                declared++;
            }
        }
        assertThat(declared).isGreaterThan(25);
        // Pulumi makes a declared key without a default required: only the truly required ones may lack one.
        java.util.List<String> withoutDefault = new java.util.ArrayList<>();
        project.get("config").fields().forEachRemaining(e -> {
            if (!e.getValue().has("default")) {
                withoutDefault.add(e.getKey());
            }
        });
        assertThat(withoutDefault).containsExactlyInAnyOrder("amiId", "owner", "costCenter");
        assertThat(ClusterSpecReader.read(ConfigSource.of(explicit), "dev"))
                .isEqualTo(ClusterSpecReader.read(ConfigSource.of(required), "dev"));
    }

    // ---- Issue 14: the stack file itself (YAML syntax, duplicate keys), as file:line:column ----

    static Stream<Arguments> badStackFiles() {
        return Stream.of(
                arguments("config:\n  kilonode:workerCount: \"3\"\n  kilonode:owner: x\n  kilonode:workerCount: \"1000\"\n",
                        4, 3, "duplicate key kilonode:workerCount (first at line 2)"),
                arguments("config:\n  kilonode:workerLabels:\n    pool: a\n    pool: b\n", 4, 5, "duplicate key pool (first at line 3)"),
                arguments("config:\n  kilonode:owner: x\n\tkilonode:costCenter: y\n", 3, 1, "found character '\\t(TAB)'"),
                arguments("config:\n  kilonode:owner: \"x\n", 3, 1, "found unexpected end of stream (while scanning a quoted scalar at line 2)"),
                arguments("config:\n  kilonode:owner: x\n  kilonode:apiAllowedCidrs: [1.2.3.0/24\n  kilonode:costCenter: y\n",
                        4, 22, "expected ',' or ']'"),
                arguments("config:\n  kilonode:owner: x\n   kilonode:costCenter: y\n", 3, 23, "mapping values are not allowed here"),
                arguments("# comment\nconfig:\n  - kilonode:owner\n", 2, 1, "config: must be a mapping"),
                arguments("just text\n", 1, 1, "a stack file is a mapping"));
    }

    @ParameterizedTest(name = "{index}: {3}")
    @MethodSource("badStackFiles")
    void badStackFileIsReportedAtItsLineAndColumn(String yaml, int line, int column, String problem, @TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("Pulumi.t.yaml");
        Files.writeString(file, yaml);
        assertThatThrownBy(() -> StackFile.read(file))
                .isInstanceOfSatisfying(StackFileException.class, e -> {
                    assertThat(e.problem()).contains(problem);
                    assertThat(e.getMessage()).startsWith(file + ":" + line + ":" + column + ": ").doesNotContain("\n");
                });
    }

    /** A misspelled key in any committed stack file stops the program (the path `pulumi up` takes) before any resource. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("committedStacks")
    void misspelledKeyInACommittedStackFailsTheProgramWithDidYouMean(String stack) {
        Map<String, String> config = Stacks.config(stack);
        config.put("kilonode:wokerCount", "1000");
        var result = PlanEngine.run(stack, "us-east-1", config, Set.of(), KilonodeStack::define);
        assertThat(result.errors()).anySatisfy(e -> assertThat(e)
                .contains("kilonode:wokerCount = (unknown setting): did you mean `kilonode:workerCount`?")
                .doesNotContain("\tat "));
        assertThat(result.resources()).allSatisfy(r -> assertThat(r.type()).isEqualTo("pulumi:pulumi:Stack"));
    }

    /** The same through `plan`: the stack file is the committed one plus the typo, so nothing else can be the cause. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("committedStacks")
    void misspelledKeyInACommittedStackFailsPlanWithDidYouMean(String stack, @TempDir Path dir) throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(Files.readString(Path.of("Pulumi." + stack + ".yaml")));
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("config")).put("kilonode:podsPerWorkr", "10");
        Path file = dir.resolve("Pulumi." + stack + ".yaml");
        yaml.writeValue(file.toFile(), tree);
        var err = new java.io.ByteArrayOutputStream();
        var out = new java.io.ByteArrayOutputStream();
        PlanCommand cmd = new PlanCommand().output(new java.io.PrintStream(out, true), new java.io.PrintStream(err, true));
        int code = new picocli.CommandLine(cmd).execute("--stack", stack, "--config", file.toString(), "--out", dir.resolve("out").toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("kilonode:podsPerWorkr = (unknown setting): did you mean `kilonode:podsPerWorker`?");
        assertThat(dir.resolve("out/resources.json")).doesNotExist();
    }

    static Stream<String> committedStacks() throws java.io.IOException {
        try (var files = Files.list(Path.of("."))) {
            List<String> stacks = files.map(f -> f.getFileName().toString())
                    .filter(n -> n.matches("Pulumi\\.[^.]+\\.yaml")).map(n -> n.substring(7, n.length() - 5)).sorted().toList();
            assertThat(stacks).contains("dev", "scale");
            return stacks.stream();
        }
    }

    /** Every committed stack file holds only declared settings (and the did-you-mean check has no false alarm there). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("committedStacks")
    void committedStacksAreValid(String stack) {
        assertThat(ClusterSpecReader.read(ConfigSource.of(Stacks.config(stack)), stack).stack()).isEqualTo(stack);
    }

    /** Keys of other namespaces belong to their providers; ours are checked against the declared set. */
    @Test
    void otherNamespacesPassAndNewPulumiYamlSettingsAreKnownWithoutASecondEdit() throws Exception {
        Map<String, String> config = valid();
        config.put("aws:region", "us-east-1");
        config.put("pulumi:tags", "{}");
        config.put("kubernetes:context", "x");
        ClusterSpecReader.read(ConfigSource.of(config), "dev");

        DeclaredSettings declared = DeclaredSettings.parse("""
                name: kilonode
                config:
                  brandNewSetting:
                    type: string
                    default: ""
                """.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(declared.keys()).contains("kilonode:brandNewSetting", "kilonode:workerGroups", SecretKeys.CA_KEY);
        // The shipped set is the project's Pulumi.yaml, read from the classpath.
        JsonNode project = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(Path.of("Pulumi.yaml")));
        project.get("config").fieldNames().forEachRemaining(k ->
                assertThat(DeclaredSettings.project().keys()).contains("kilonode:" + k));
    }

    @Test
    void didYouMeanUsesEditDistanceAndStaysQuietForFarAwayKeys() {
        Set<String> known = DeclaredSettings.project().keys();
        assertThat(DeclaredSettings.closest("kilonode:wokerCount", known)).contains("kilonode:workerCount");
        assertThat(DeclaredSettings.closest("kilonode:MasterCount", known)).contains("kilonode:masterCount");
        assertThat(DeclaredSettings.closest("kilonode:zzzzzzzz", known)).isEmpty();
        assertThat(DeclaredSettings.distance("kitten", "sitting")).isEqualTo(3);
    }

    /** Under `pulumi up` the engine passes config in PULUMI_CONFIG; the fallback reads its keys like the SDK does. */
    @Test
    void engineConfigKeysFromThePulumiConfigVariable() {
        assertThat(ConfigSource.EngineConfig.fromEnvironment("{\"kilonode:wokerCount\":\"3\",\"aws:config:region\":\"x\"}"))
                .containsExactly("aws:region", "kilonode:wokerCount");
    }

    @Test
    void pastExpiryOfANonProductionStackIsAWarningNamingTheAction() {
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(valid()), "dev");
        LocalDate expiry = spec.expiresOn().orElseThrow();
        assertThat(ClusterSpecReader.warnings(spec, expiry.minusDays(1))).isEmpty();
        assertThat(ClusterSpecReader.warnings(spec, expiry.plusDays(1))).singleElement().asString()
                .contains("kilonode:expiresOn = \"" + expiry + "\" is past").contains("parks");
    }
}
