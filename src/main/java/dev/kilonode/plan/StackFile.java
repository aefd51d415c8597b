package dev.kilonode.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.SecretKeys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@code Pulumi.<stack>.yaml} read the way the Pulumi CLI hands it to a program: scalar values as text,
 * structured values as JSON text, and {@code secure:} values (encrypted; we cannot and must not decrypt them)
 * replaced by {@value ClusterSpecReader#PLACEHOLDER_SECRET} and listed as secret keys.
 */
public record StackFile(Map<String, String> config, Set<String> secretKeys) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    public static StackFile read(Path file) throws IOException {
        JsonNode root = YAML.readTree(Files.readString(file));
        Map<String, String> config = new TreeMap<>();
        Set<String> secrets = new LinkedHashSet<>();
        JsonNode cfg = root == null ? null : root.get("config");
        if (cfg != null && cfg.isObject()) {
            cfg.fields().forEachRemaining(e -> {
                JsonNode v = e.getValue();
                // Known secret settings are masked even when a file (wrongly) holds them in plain text.
                if ((v.isObject() && v.has("secure")) || SecretKeys.ALL.contains(e.getKey())) {
                    config.put(e.getKey(), ClusterSpecReader.PLACEHOLDER_SECRET);
                    secrets.add(e.getKey());
                } else if (v.isContainerNode()) {
                    try {
                        config.put(e.getKey(), JSON.writeValueAsString(v));
                    } catch (IOException ex) {
                        throw new IllegalStateException(ex);
                    }
                } else if (!v.isNull()) {
                    config.put(e.getKey(), v.asText());
                }
            });
        }
        return new StackFile(config, secrets);
    }
}
