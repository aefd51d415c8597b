package dev.kilonode.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The settings a stack file may hold, read at run time from the project's own {@code Pulumi.yaml} (its {@code config:}
 * block, packaged on the classpath by pom.xml), plus the structured settings Pulumi.yaml cannot declare and the PKI
 * written by {@code secrets init} ({@link SecretKeys}). A setting added to Pulumi.yaml is known here without a second
 * edit; a key outside this set is a typo.
 */
public final class DeclaredSettings {

    /** The project name, which Pulumi uses as the namespace of the project's own settings. */
    public static final String NAMESPACE = "kilonode";

    /** Structured settings described in the README: Pulumi.yaml's config types cannot describe lists of objects/maps. */
    public static final Set<String> STRUCTURED = Set.of("workerGroups", "workerLabels");

    private static final DeclaredSettings PROJECT = load();

    private final Map<String, JsonNode> declared;
    private final String projectName;

    private DeclaredSettings(Map<String, JsonNode> declared, String projectName) {
        this.declared = declared;
        this.projectName = projectName;
    }

    /**
     * Pulumi.yaml's {@code name}: the project, part of every physical name ({@code ClusterSpec#namePrefix}). The
     * settings' namespace stays {@link #NAMESPACE} whatever the project is called (stack files keep kilonode:keys).
     */
    public String projectName() {
        return projectName;
    }

    /** The {@code name} of the Pulumi.yaml in {@code projectDir}, or of the one shipped with this build if it has none. */
    public static String projectName(java.nio.file.Path projectDir) throws IOException {
        java.nio.file.Path file = projectDir == null ? null : projectDir.resolve("Pulumi.yaml");
        if (file == null || !java.nio.file.Files.isRegularFile(file)) {
            return PROJECT.projectName();
        }
        return parse(java.nio.file.Files.readAllBytes(file)).projectName();
    }

    /** The settings of the Pulumi.yaml shipped with this build. */
    public static DeclaredSettings project() {
        return PROJECT;
    }

    /** Full keys ({@code kilonode:workerCount}) of every declared, structured and secret/PKI setting. */
    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        declared.keySet().forEach(k -> keys.add(NAMESPACE + ":" + k));
        STRUCTURED.forEach(k -> keys.add(NAMESPACE + ":" + k));
        keys.addAll(SecretKeys.PUBLIC);
        keys.addAll(SecretKeys.ALL);
        return keys;
    }

    /** Pulumi.yaml's default of a setting (short key), if it declares a non-empty scalar one. */
    public Optional<String> scalarDefault(String key) {
        JsonNode d = declared.getOrDefault(key, null);
        JsonNode def = d == null ? null : d.get("default");
        if (def == null || !def.isValueNode() || def.asText().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(def.asText());
    }

    /** The known key nearest to {@code key} by edit distance (case-insensitive), if it is plausibly a typo of it. */
    public static Optional<String> closest(String key, Collection<String> known) {
        String k = key.toLowerCase(Locale.ROOT);
        return known.stream()
                .min(Comparator.<String>comparingInt(c -> distance(k, c.toLowerCase(Locale.ROOT))).thenComparing(c -> c))
                .filter(c -> distance(k, c.toLowerCase(Locale.ROOT)) <= Math.max(2, suffix(key).length() / 3));
    }

    private static String suffix(String key) {
        return key.substring(key.indexOf(':') + 1);
    }

    /** Levenshtein distance: insertions, deletions and substitutions each cost one. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static DeclaredSettings load() {
        try (InputStream in = DeclaredSettings.class.getResourceAsStream("/Pulumi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("Pulumi.yaml is not on the classpath (pom.xml packages it from the project root)");
            }
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DeclaredSettings parse(byte[] pulumiYaml) throws IOException {
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(pulumiYaml);
        Map<String, JsonNode> declared = new LinkedHashMap<>();
        JsonNode config = root == null ? null : root.get("config");
        if (config != null && config.isObject()) {
            config.fields().forEachRemaining(e -> {
                // Pulumi.yaml may also spell a key with the namespace (kilonode:foo); both mean the project's setting.
                String k = e.getKey().startsWith(NAMESPACE + ":") ? e.getKey().substring(NAMESPACE.length() + 1) : e.getKey();
                declared.put(k, e.getValue());
            });
        }
        JsonNode name = root == null ? null : root.get("name");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw new IOException("Pulumi.yaml has no project name (name: ...)");
        }
        return new DeclaredSettings(declared, name.asText());
    }
}
