package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A plan directory as {@code kilonode plan} wrote it, read into memory (so the new plan may be written over it):
 * {@code resources.json} keyed by (type, name), {@code summary.json}, and the rendered text files a reviewer reads
 * ({@code userdata/*.yaml}, {@code kubeadm/*}, {@code manifests/*}) keyed by their path relative to the directory.
 */
public record PlanSnapshot(Path dir, SortedMap<ResourceKey, JsonNode> resources, JsonNode summary,
                           SortedMap<String, String> files) {

    /** Subdirectories whose files are compared as text. */
    public static final List<String> TEXT_DIRS = List.of("kubeadm", "manifests", "userdata");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A resource's identity in a plan: its type token and logical name. Sorted by type, then name. */
    public record ResourceKey(String type, String name) implements Comparable<ResourceKey> {
        @Override
        public int compareTo(ResourceKey o) {
            int c = type.compareTo(o.type);
            return c != 0 ? c : name.compareTo(o.name);
        }

        @Override
        public String toString() {
            return type + " " + name;
        }
    }

    /** The directory is not a plan kilonode wrote; the message says why and what to do. */
    public static final class NotAPlanException extends Exception {
        public NotAPlanException(String message) {
            super(message);
        }
    }

    /**
     * Reads a plan directory. An existing empty directory is the empty plan (no resources, no files, no cost): what a
     * new stack is compared with, so that everything shows as added.
     */
    public static PlanSnapshot read(Path dir) throws NotAPlanException {
        if (!Files.isDirectory(dir)) {
            throw new NotAPlanException(dir + " is not a directory");
        }
        if (isEmptyDirectory(dir)) {
            return empty(dir);
        }
        Path resourcesFile = dir.resolve("resources.json");
        Path summaryFile = dir.resolve("summary.json");
        for (Path f : List.of(resourcesFile, summaryFile)) {
            if (!Files.isRegularFile(f)) {
                throw new NotAPlanException(dir + " is not a plan directory: it has no " + f.getFileName()
                        + " (write one with `kilonode plan --stack <stack> --out " + dir + "`)");
            }
        }
        JsonNode resourcesJson = readJson(resourcesFile);
        if (!resourcesJson.isArray()) {
            throw new NotAPlanException(resourcesFile + " is not a JSON array of resources");
        }
        SortedMap<ResourceKey, JsonNode> resources = new TreeMap<>();
        for (JsonNode r : resourcesJson) {
            if (!r.isObject() || !r.path("type").isTextual() || !r.path("name").isTextual()) {
                throw new NotAPlanException(resourcesFile + " has an element without a string type and name: "
                        + abbreviate(r.toString()));
            }
            ResourceKey key = new ResourceKey(r.get("type").asText(), r.get("name").asText());
            if (resources.put(key, r) != null) {
                throw new NotAPlanException(resourcesFile + " lists " + key + " twice");
            }
        }
        JsonNode summary = readJson(summaryFile);
        if (!summary.isObject()) {
            throw new NotAPlanException(summaryFile + " is not a JSON object");
        }
        return new PlanSnapshot(dir, resources, summary, textFiles(dir));
    }

    /** The empty plan: nothing declared, so nothing costs anything. */
    public static PlanSnapshot empty(Path dir) {
        ObjectNode summary = JSON.createObjectNode();
        ObjectNode cost = summary.putObject("cost");
        cost.putObject("roles");
        ObjectNode total = cost.putObject("total");
        total.put("hourly", 0);
        total.put("monthly", 0);
        total.put("partial", false);
        return new PlanSnapshot(dir, new TreeMap<>(), summary, new TreeMap<>());
    }

    private static boolean isEmptyDirectory(Path dir) throws NotAPlanException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new NotAPlanException("cannot read " + dir + ": " + e.getMessage());
        }
    }

    private static JsonNode readJson(Path f) throws NotAPlanException {
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new NotAPlanException(f + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static SortedMap<String, String> textFiles(Path dir) throws NotAPlanException {
        SortedMap<String, String> files = new TreeMap<>();
        for (String sub : TEXT_DIRS) {
            Path d = dir.resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (Stream<Path> walk = Files.walk(d)) {
                for (Path f : walk.filter(Files::isRegularFile).sorted().toList()) {
                    String rel = dir.relativize(f).toString().replace('\\', '/');
                    try {
                        files.put(rel, Files.readString(f));
                    } catch (MalformedInputException e) {
                        files.put(rel, "(binary file, " + Files.size(f) + " bytes)\n");
                    }
                }
            } catch (IOException e) {
                throw new NotAPlanException("cannot read " + d + ": " + e.getMessage());
            }
        }
        return files;
    }

    /** The "cost" object of summary.json, or a missing node for plans written before it existed. */
    public JsonNode cost() {
        return summary.path("cost");
    }

    public String stack() {
        return summary.path("stack").asText("?");
    }

    /** The empty plan (an empty directory). */
    public boolean isEmptyPlan() {
        return resources.isEmpty() && files.isEmpty() && !summary.has("stack");
    }

    static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
