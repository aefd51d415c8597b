package dev.kilonode.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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

    /** {@code pulumi stack output --json --stack S} in {@code cwd}. */
    public static StackOutputs fromPulumi(String pulumi, String stack, Path cwd) throws Unreadable {
        try {
            Process p = new ProcessBuilder(pulumi, "stack", "output", "--json", "--stack", stack).directory(cwd.toFile())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new Unreadable("`" + pulumi + " stack output --json --stack " + stack + "` failed; pass --outputs FILE");
            }
            return parse(out, "the outputs of stack " + stack);
        } catch (IOException e) {
            throw new Unreadable("cannot run `" + pulumi + "` (" + e.getMessage() + "); install the Pulumi CLI or pass --outputs FILE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unreadable("interrupted");
        }
    }
}
