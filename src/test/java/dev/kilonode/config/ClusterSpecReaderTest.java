package dev.kilonode.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
        return Stream.of(
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
                arguments("kilonode:apiAllowedCidrs", "[\"0.0.0.0/0\"]", "the world (0.0.0.0/0) is never allowed"),
                arguments("kilonode:webUiAllowedCidrs", "[\"203.0.113.0/99\"]", "IPv4 CIDR"),
                arguments("kilonode:apiAllowedCidrs", "\"203.0.113.0/24\"", "a list of strings"),
                arguments("kilonode:etcdWriteBarrier", "maybe", "true or false"),
                arguments("kilonode:eventsEtcd", "sometimes", "auto, true or false"),
                arguments("kilonode:etcdBackupIntervalMinutes", "1", "from 5 to 1440"),
                arguments("kilonode:podsPerWorker", "0", "from 1 to 250"),
                arguments("kilonode:owner", "", "required"),
                arguments("kilonode:costCenter", "bad\u0001value", "AWS tag value"),
                arguments("kilonode:expiresOn", "next week", "YYYY-MM-DD"),
                arguments("kilonode:expiryAction", "delete", "park"),
                arguments("kilonode:tfJvmExtraOpts", "; rm -rf /", "JVM -X options"),
                arguments("kilonode:tfTag", "bad tag!", "container registry or tag"),
                arguments("kilonode:workerGroups", "[{\"name\":\"Big\",\"count\":2,\"instanceType\":\"m3.large\"}]", "DNS label"),
                arguments("kilonode:workerGroups", "[{\"name\":\"big\",\"count\":2,\"instanceType\":\"x9.large\"}]", "supported family"),
                arguments("kilonode:workerLabels", "{\"kubernetes.io/role\":\"x\"}", "outside the kubernetes.io/"),
                arguments("kilonode:caCertificate", "hello", "PEM block"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badConfigurations")
    void rejectsBadValueNamingTheKeyTheValueAndWhatIsAllowed(String key, String value, String allowed) {
        Map<String, String> config = valid();
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
}
