package dev.kilonode.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What {@code kilonode status} needs of a stack's outputs ({@code pulumi stack output --json}): the worker groups'
 * Auto Scaling group names, the API endpoint (its stable name, public too if the stack opened one) and the planned worker count.
 */
public record StackOutputs(List<String> workerGroups, String apiEndpoint, int workerCount, Optional<String> region) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Thrown with a one-line reason; the command prints it and exits 2. */
    public static final class Unreadable extends Exception {
        public Unreadable(String message) {
            super(message);
        }
    }

    public static StackOutputs parse(String json, String from) throws Unreadable {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Unreadable(from + " is not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new Unreadable(from + " is not a JSON object of stack outputs");
        }
        List<String> groups = new ArrayList<>();
        JsonNode g = root.path("workerGroups");
        if (!g.isArray()) {
            throw new Unreadable(from + " has no workerGroups output (a list of Auto Scaling group names); is the stack up?");
        }
        g.forEach(n -> groups.add(n.asText()));
        // apiEndpoint: https://api.<apiDomain>:6443, the one name. A stack last updated before it existed exported
        // its load balancers' URLs instead.
        String api = root.path("apiEndpoint").asText(
                root.path("apiPublicEndpoint").asText(root.path("apiInternalEndpoint").asText("")));
        if (api.isEmpty()) {
            throw new Unreadable(from + " has no apiEndpoint output (https://api.<apiDomain>:6443); is the stack up?");
        }
        if (!root.path("workerCount").canConvertToInt()) {
            throw new Unreadable(from + " has no numeric workerCount output");
        }
        String region = root.path("region").asText("");
        return new StackOutputs(List.copyOf(groups), api, root.path("workerCount").asInt(),
                region.isEmpty() ? Optional.empty() : Optional.of(region));
    }
}
