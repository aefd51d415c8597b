package dev.kilonode.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What pulumi-kubernetes 4.0.0 decides when a provider's inputs change: its {@code DiffConfig}, written from
 * provider/pkg/provider/provider.go (tag v4.0.0, commit 7b7e29b6e4e6fcab130fb2c4daf65bad681230f5) and
 * getActiveClusterFromConfig in provider/pkg/provider/util.go:
 * <ol>
 *   <li>a computed (unknown) kubeconfig: "We can't tell for sure if a computed value has changed, so we make the
 *   conservative choice and force a replacement" - replaces ["kubeconfig"];</li>
 *   <li>diffs: every changed input key ({@code olds.Diff(news).ChangedKeys()});</li>
 *   <li>the active cluster of each side: the context named by the {@code context} input, else current-context; its
 *   cluster, or the one named by the {@code cluster} input; the whole cluster entry (server, CA data, TLS server
 *   name, ...) is compared with reflect.DeepEqual; when they differ, every diff is a replace.</li>
 * </ol>
 * The engine replaces every resource that uses a replaced provider.
 */
public final class ProviderDiffConfig {

    /** What the stack's own test mocks see for an unknown input in a preview. */
    public static final Object UNKNOWN = new Object() {
        @Override
        public String toString() {
            return "<computed>";
        }
    };

    public record Verdict(List<String> diffs, List<String> replacedBy) {
        /** The provider - and every object it manages - is replaced. */
        public boolean replaces() {
            return !replacedBy.isEmpty();
        }
    }

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ProviderDiffConfig() {
    }

    public static Verdict diff(Map<String, Object> olds, Map<String, Object> news) {
        Object newKubeconfig = news.get("kubeconfig");
        if (newKubeconfig == UNKNOWN) {
            return new Verdict(List.of("kubeconfig"), List.of("kubeconfig"));
        }
        List<String> diffs = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(olds.keySet());
        keys.addAll(news.keySet());
        for (String k : keys) {
            if (!Objects.equals(olds.get(k), news.get(k))) {
                diffs.add(k);
            }
        }
        JsonNode oldCluster = activeCluster(olds);
        JsonNode newCluster = activeCluster(news);
        List<String> replaces = oldCluster.equals(newCluster) ? List.of() : List.copyOf(diffs);
        return new Verdict(List.copyOf(diffs), replaces);
    }

    /** getActiveClusterFromConfig: empty when the kubeconfig, context or cluster is missing. */
    static JsonNode activeCluster(Map<String, Object> inputs) {
        Object raw = inputs.get("kubeconfig");
        if (raw == null) {
            return MissingNode.getInstance();
        }
        JsonNode config;
        try {
            config = YAML.readTree(String.valueOf(raw));
        } catch (IOException e) {
            throw new UncheckedIOException("failed to parse kubeconfig", e);
        }
        String currentContext = config.path("current-context").asText("");
        if (inputs.get("context") != null) {
            currentContext = String.valueOf(inputs.get("context"));
        }
        JsonNode context = named(config.path("contexts"), currentContext).path("context");
        if (context.isMissingNode()) {
            return MissingNode.getInstance();
        }
        String clusterName = context.path("cluster").asText("");
        if (inputs.get("cluster") != null) {
            clusterName = String.valueOf(inputs.get("cluster"));
        }
        return named(config.path("clusters"), clusterName).path("cluster");
    }

    private static JsonNode named(JsonNode list, String name) {
        for (JsonNode entry : list) {
            if (entry.path("name").asText().equals(name)) {
                return entry;
            }
        }
        return MissingNode.getInstance();
    }
}
