package dev.kilonode.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.util.Optional;

/**
 * On-demand list prices from {@code pricing/on-demand.json} on the classpath (the same file the policy pack reads):
 * <pre>{"currency":"USD","retrieved":"YYYY-MM-DD","source":"...",
 *  "instances":{"&lt;region&gt;":{"&lt;type&gt;":&lt;hourly&gt;}},
 *  "other":{"&lt;region&gt;":{"nlb":..,"natGateway":..,"gp3GbMonth":..}}}</pre>
 * A combination the file does not list is unknown: {@link Optional#empty()}, never zero.
 */
public final class Pricing {

    public static final String RESOURCE = "/pricing/on-demand.json";
    public static final String NLB = "nlb";
    public static final String NAT_GATEWAY = "natGateway";
    public static final String GP3_GB_MONTH = "gp3GbMonth";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode root;
    private final String problem;

    private Pricing(JsonNode root, String problem) {
        this.root = root == null ? JSON.createObjectNode() : root;
        this.problem = problem;
    }

    /** The prices shipped with kilonode. A missing or unreadable file gives a table where everything is unknown. */
    public static Pricing load() {
        try (InputStream in = Pricing.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return new Pricing(null, "no prices file " + RESOURCE + " on the classpath");
            }
            return parse(JSON.readTree(in));
        } catch (IOException e) {
            return new Pricing(null, "prices file " + RESOURCE + " is not valid JSON: " + e.getMessage());
        }
    }

    public static Pricing parse(JsonNode root) {
        if (root == null || !root.isObject()) {
            return new Pricing(null, "prices file " + RESOURCE + " is not a JSON object");
        }
        return new Pricing(root, null);
    }

    public static Pricing parse(String json) {
        try {
            return parse(JSON.readTree(json));
        } catch (IOException e) {
            return new Pricing(null, "prices are not valid JSON: " + e.getMessage());
        }
    }

    /** Why the table is empty, if it could not be read. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    public String currency() {
        return root.path("currency").asText("USD");
    }

    public String retrieved() {
        return root.path("retrieved").asText("unknown");
    }

    /** Hourly on-demand price of one instance of {@code type} in {@code region}. */
    public Optional<BigDecimal> instanceHourly(String region, String type) {
        return number(root.path("instances").path(region).path(type));
    }

    /** One of {@link #NLB}, {@link #NAT_GATEWAY} (per hour) or {@link #GP3_GB_MONTH} (per GB-month). */
    public Optional<BigDecimal> other(String region, String key) {
        return number(root.path("other").path(region).path(key));
    }

    private static Optional<BigDecimal> number(JsonNode n) {
        if (n == null || !n.isNumber() || n.decimalValue().signum() < 0) {
            return Optional.empty();
        }
        // Through the decimal text, so 0.067 stays exactly 0.067 (1,000 x 0.067 = 67.000).
        return Optional.of(new BigDecimal(n.asText()));
    }
}
