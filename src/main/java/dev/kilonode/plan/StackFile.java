package dev.kilonode.plan;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.SecretKeys;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@code Pulumi.<stack>.yaml} read the way the Pulumi CLI hands it to a program: scalar values as text,
 * structured values as JSON text, and {@code secure:} values (encrypted; we cannot and must not decrypt them)
 * replaced by {@value ClusterSpecReader#PLACEHOLDER_SECRET} and listed as secret keys.
 * A file that is not valid YAML, repeats a key, or has no {@code config:} mapping is a {@link StackFileException}
 * with the line and column of the problem.
 */
public record StackFile(Map<String, String> config, Set<String> secretKeys) {

    private static final YAMLFactory YAML_FACTORY = new YAMLFactory();
    private static final ObjectMapper YAML = new ObjectMapper(YAML_FACTORY);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static StackFile read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (MalformedInputException e) {
            throw new StackFileException(file, 1, 1, "not UTF-8 text");
        } catch (NoSuchFileException e) {
            throw new StackFileException(file, 1, 1, "no such file");
        } catch (AccessDeniedException e) {
            throw new StackFileException(file, 1, 1, "permission denied");
        } catch (CharacterCodingException e) {
            throw new StackFileException(file, 1, 1, "not UTF-8 text");
        }
        rejectDuplicateKeys(file, text);
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw syntaxError(file, e);
        }
        Map<String, String> config = new TreeMap<>();
        Set<String> secrets = new LinkedHashSet<>();
        if (root != null && !root.isMissingNode() && !root.isObject()) {
            throw new StackFileException(file, 1, 1, "a stack file is a mapping with a config: block, not "
                    + root.getNodeType().name().toLowerCase());
        }
        JsonNode cfg = root == null ? null : root.get("config");
        if (cfg != null && !cfg.isNull() && !cfg.isObject()) {
            throw new StackFileException(file, lineOf(text, "config:"), 1,
                    "config: must be a mapping of namespace:key: value, not " + cfg.getNodeType().name().toLowerCase());
        }
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

    /**
     * YAML allows no repeated key in a mapping, but parsers keep the last one silently: a duplicated setting would
     * override the one a reader sees first. Walks the tokens and names both lines.
     */
    private static void rejectDuplicateKeys(Path file, String text) throws StackFileException {
        Deque<Map<String, JsonLocation>> open = new ArrayDeque<>();
        try (JsonParser p = YAML_FACTORY.createParser(text)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                switch (t) {
                    case START_OBJECT -> open.push(new HashMap<>());
                    case START_ARRAY -> open.push(Map.of());
                    case END_OBJECT, END_ARRAY -> open.pop();
                    case FIELD_NAME -> {
                        JsonLocation here = p.currentTokenLocation();
                        JsonLocation first = open.peek().putIfAbsent(p.currentName(), here);
                        if (first != null) {
                            throw new StackFileException(file, here.getLineNr(), here.getColumnNr(), "duplicate key "
                                    + p.currentName() + " (first at line " + first.getLineNr() + "); YAML allows each key once");
                        }
                    }
                    default -> {
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw syntaxError(file, e);
        } catch (StackFileException e) {
            throw e;
        } catch (IOException e) {
            throw new StackFileException(file, 1, 1, e.getMessage());
        }
    }

    /** SnakeYAML's problem mark is where the parser gave up; Jackson's location is sometimes the start of the context. */
    private static StackFileException syntaxError(Path file, JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException y && y.getProblemMark() != null) {
            Mark m = y.getProblemMark();
            String problem = y.getProblem();
            if (y.getContext() != null && y.getContextMark() != null && y.getContextMark().getLine() != m.getLine()) {
                problem += " (" + y.getContext() + " at line " + (y.getContextMark().getLine() + 1) + ")";
            } else if (y.getContext() != null) {
                problem += " (" + y.getContext() + ")";
            }
            return new StackFileException(file, m.getLine() + 1, m.getColumn() + 1, oneLine(problem));
        }
        JsonLocation l = e.getLocation();
        return new StackFileException(file, l == null ? 1 : Math.max(1, l.getLineNr()), l == null ? 1 : Math.max(1, l.getColumnNr()),
                oneLine(e.getOriginalMessage()));
    }

    private static String oneLine(String s) {
        return s == null ? "invalid YAML" : s.replaceAll("\\s*\\R\\s*", " ").trim();
    }

    private static int lineOf(String text, String prefix) {
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith(prefix)) {
                return i + 1;
            }
        }
        return 1;
    }
}
