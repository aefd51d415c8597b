package dev.kilonode.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;
import dev.kilonode.config.SecretKeys;
import dev.kilonode.plan.StackFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

class CostEstimateTest {

    private static final Pricing PRICES = Pricing.load();

    /** A committed stack file's spec, with the offline plan's placeholder PKI for secrets not yet created. */
    static ClusterSpec spec(String stack, Map<String, String> overrides) throws IOException {
        Map<String, String> config = new TreeMap<>(StackFile.read(Path.of("Pulumi." + stack + ".yaml")).config());
        for (String key : SecretKeys.PUBLIC) {
            config.putIfAbsent(key, resource(key.equals(SecretKeys.SERVICE_ACCOUNT_PUB) ? "placeholder-sa.pub" : "placeholder-ca.crt"));
        }
        for (String key : SecretKeys.ALL) {
            config.putIfAbsent(key, ClusterSpecReader.PLACEHOLDER_SECRET);
        }
        overrides.forEach((k, v) -> {
            if (v == null) {
                config.remove(k);
            } else {
                config.put(k, v);
            }
        });
        return ClusterSpecReader.read(ConfigSource.of(config), stack);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = CostEstimateTest.class.getResourceAsStream("/plan/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> role(Map<String, Object> cost, String role) {
        return (Map<String, Object>) ((Map<String, Object>) cost.get("roles")).get(role);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> total(Map<String, Object> cost) {
        return (Map<String, Object>) cost.get("total");
    }

    @Test
    void scaleStackWorkersCostAThousandTimesTheM3MediumPriceOfItsRegion() throws IOException {
        ClusterSpec scale = spec("scale", Map.of());
        BigDecimal m3medium = PRICES.instanceHourly(scale.region(), "m3.medium").orElseThrow();

        CostEstimate cost = CostEstimate.of(scale, PRICES);

        assertThat(scale.workerCount()).isEqualTo(1000);
        assertThat(cost.line("worker").orElseThrow().hourly()).hasValueSatisfying(
                h -> assertThat(h).isEqualByComparingTo(m3medium.multiply(BigDecimal.valueOf(1000))));
        Map<String, Object> map = cost.toMap();
        assertThat((double) role(map, "worker").get("hourly")).isEqualTo(m3medium.doubleValue() * 1000, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(role(map, "worker").get("monthly")).isEqualTo(m3medium.multiply(BigDecimal.valueOf(730_000)).doubleValue());
        assertThat(total(map)).containsEntry("partial", false);
        // The human line makes a 1,000-node stack's cost obvious: workers first, then the total per hour and month.
        assertThat(cost.summaryLine())
                .contains(CostEstimate.money(m3medium.multiply(BigDecimal.valueOf(1000))) + "/h worker (1000 x m3.medium)")
                .containsPattern("total \\$\\d+\\.\\d\\d/h ≈ \\$\\d\\d,\\d{3}/month");
    }

    @Test
    void everyRoleIsPricedAndAddsUpForTheCommittedStacks() throws IOException {
        for (String stack : List.of("dev", "scale")) {
            CostEstimate cost = CostEstimate.of(spec(stack, Map.of()), PRICES);
            assertThat(cost.partial()).as(stack).isFalse();
            assertThat(cost.lines()).extracting(CostEstimate.Line::role)
                    .containsExactly("tf-controller", "master", "worker", "network", "storage");
            BigDecimal sum = cost.lines().stream().map(l -> l.hourly().orElseThrow()).reduce(BigDecimal.ZERO, BigDecimal::add);
            assertThat(cost.knownHourly()).isEqualByComparingTo(sum);
        }
    }

    @Test
    void networkIsOneNatGatewayAndBothLoadBalancersForDev() throws IOException {
        ClusterSpec dev = spec("dev", Map.of());
        BigDecimal nat = PRICES.other("us-east-1", Pricing.NAT_GATEWAY).orElseThrow();
        BigDecimal nlb = PRICES.other("us-east-1", Pricing.NLB).orElseThrow();

        CostEstimate cost = CostEstimate.of(dev, PRICES);

        assertThat(CostEstimate.natGateways(dev)).isEqualTo(1);
        assertThat(CostEstimate.loadBalancers(dev)).isEqualTo(2);
        assertThat(cost.line("network").orElseThrow().hourly()).hasValueSatisfying(
                h -> assertThat(h).isEqualByComparingTo(nat.add(nlb.multiply(BigDecimal.valueOf(2)))));
    }

    @Test
    void productionHasANatGatewayPerZoneAndNoAllowedCidrsMeansOnlyTheInternalLoadBalancer() throws IOException {
        ClusterSpec spec = spec("scale", Map.of("kilonode:production", "true",
                "kilonode:apiAllowedCidrs", "[]", "kilonode:webUiAllowedCidrs", "[]"));
        assertThat(CostEstimate.natGateways(spec)).isEqualTo(3);
        assertThat(CostEstimate.loadBalancers(spec)).isEqualTo(1);
    }

    @Test
    void storageIsTheGp3RootVolumesThatExist() throws IOException {
        ClusterSpec dev = spec("dev", Map.of());
        long gb = 40 + 40 + 3 * 30; // controller and master 40 GB, workers 30 GB (the defaults)
        assertThat(CostEstimate.rootVolumeGb(dev)).isEqualTo(gb);
        BigDecimal perGb = PRICES.other("us-east-1", Pricing.GP3_GB_MONTH).orElseThrow();
        assertThat(CostEstimate.of(dev, PRICES).line("storage").orElseThrow().monthly()).hasValueSatisfying(
                m -> assertThat(m).isCloseTo(perGb.multiply(BigDecimal.valueOf(gb)), org.assertj.core.data.Offset.offset(new BigDecimal("0.001"))));
    }

    @Test
    void parkedWorkersCostNothing() throws IOException {
        ClusterSpec parked = spec("scale", Map.of("kilonode:parked", "true"));

        CostEstimate cost = CostEstimate.of(parked, PRICES);

        assertThat(cost.line("worker").orElseThrow().hourly()).hasValue(BigDecimal.ZERO);
        assertThat(role(cost.toMap(), "worker")).containsEntry("hourly", 0.0).containsEntry("parked", true);
        assertThat(CostEstimate.rootVolumeGb(parked)).isEqualTo(80); // only the controller and the master
        assertThat(cost.partial()).isFalse();
    }

    @Test
    void anUnpricedRegionIsUnknownNeverZeroAndTheTotalSaysItIsPartial() throws IOException {
        ClusterSpec unpriced = spec("dev", Map.of("kilonode:region", "sa-east-1",
                "kilonode:availabilityZones", "[\"sa-east-1a\",\"sa-east-1b\"]"));

        CostEstimate cost = CostEstimate.of(unpriced, PRICES);
        Map<String, Object> map = cost.toMap();

        assertThat(role(map, "worker")).containsEntry("hourly", "unknown").containsEntry("monthly", "unknown")
                .doesNotContainKey("hourlyEach");
        assertThat(role(map, "network")).containsEntry("hourly", "unknown");
        assertThat(total(map)).containsEntry("partial", true);
        assertThat(cost.missingPrices()).contains("instances.sa-east-1.m3.medium",
                "other.sa-east-1.natGateway");
        assertThat(cost.summaryLine()).contains("unknown worker").contains("total unknown: no on-demand prices for sa-east-1")
                .doesNotContain("$0.00");
    }

    @Test
    void anUnpricedTypeInAPricedRegionIsUnknownOnlyForItsRole() throws IOException {
        Pricing prices = Pricing.parse("""
                {"currency":"USD","retrieved":"2026-01-01","source":"test",
                 "instances":{"us-east-1":{"m3.xlarge":0.266}},
                 "other":{"us-east-1":{"nlb":0.0225,"natGateway":0.045,"gp3GbMonth":0.08}}}""");

        CostEstimate cost = CostEstimate.of(spec("dev", Map.of()), prices);

        assertThat(cost.line("master").orElseThrow().hourly()).isPresent();
        assertThat(cost.line("worker").orElseThrow().hourly()).isEmpty();
        assertThat(cost.missingPrices()).containsExactly("instances.us-east-1.m3.medium");
        assertThat(cost.partial()).isTrue();
    }

    @Test
    void aMissingPricesFileMakesEverythingUnknown() throws IOException {
        Pricing none = Pricing.parse("not json");
        assertThat(none.problem()).isPresent();
        CostEstimate cost = CostEstimate.of(spec("dev", Map.of()), none);
        assertThat(cost.lines()).allSatisfy(l -> assertThat(l.hourly()).isEmpty());
        assertThat(cost.partial()).isTrue();
    }

    @Test
    void thePricesFileKeepsTheFormatThePolicyPackReads() throws IOException {
        JsonNode root;
        try (InputStream in = Pricing.class.getResourceAsStream(Pricing.RESOURCE)) {
            root = new ObjectMapper().readTree(in);
        }
        assertThat(root.path("currency").asText()).isEqualTo("USD");
        assertThat(root.path("retrieved").asText()).matches("\\d{4}-\\d{2}-\\d{2}");
        assertThat(root.path("source").asText()).isNotBlank();
        assertThat(root.path("instances").isObject()).isTrue();
        assertThat(root.path("other").isObject()).isTrue();
        for (String table : List.of("instances", "other")) {
            root.path(table).fields().forEachRemaining(region -> {
                assertThat(region.getKey()).matches("[a-z]{2}(-gov)?-[a-z]+-\\d");
                region.getValue().fields().forEachRemaining(p -> assertThat(p.getValue().isNumber() && p.getValue().doubleValue() > 0)
                        .as(table + "." + region.getKey() + "." + p.getKey()).isTrue());
            });
        }
        // Report 000's shape in the committed stacks' region is priced.
        assertThat(PRICES.instanceHourly("us-east-1", "m3.medium")).isPresent();
        assertThat(PRICES.instanceHourly("us-east-1", "m3.xlarge")).isPresent();
        for (String k : List.of(Pricing.NLB, Pricing.NAT_GATEWAY, Pricing.GP3_GB_MONTH)) {
            assertThat(PRICES.other("us-east-1", k)).as(k).isPresent();
        }
    }
}
