package dev.kilonode.plan;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kilonode.cloudinit.UserData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes a plan directory: {@code resources.json}, {@code summary.json}, and what the resources carry rendered as
 * text a reviewer can read: decoded user-data per role, the kubeadm files inside it, and Kubernetes manifests.
 * Everything is sorted and pretty-printed the same way on every run.
 */
public final class PlanWriter {

    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE))
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final ObjectMapper YAML_READER = new ObjectMapper(new YAMLFactory());

    private PlanWriter() {
    }

    public static void write(Path dir, List<PlannedResource> resources, Map<String, Object> summary) throws IOException {
        Files.createDirectories(dir);
        // A reused --out directory must not keep files of a role or object that no longer exists.
        for (String rendered : List.of("userdata", "kubeadm", "manifests")) {
            deleteTree(dir.resolve(rendered));
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (PlannedResource r : resources) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", r.type());
            entry.put("name", r.name());
            entry.put("id", r.id());
            entry.put("parent", r.parent());
            entry.put("protect", r.protect());
            entry.put("options", new TreeMap<>(r.options()));
            entry.put("inputs", new TreeMap<>(r.inputs()));
            out.add(entry);
        }
        Files.writeString(dir.resolve("resources.json"), JSON.writeValueAsString(out) + "\n");
        Files.writeString(dir.resolve("summary.json"), JSON.writeValueAsString(summary) + "\n");
        writeUserData(dir, resources);
        writeManifests(dir, resources);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Decoded user-data of every machine role, and the kubeadm files found inside it. */
    static void writeUserData(Path dir, List<PlannedResource> resources) throws IOException {
        Map<String, Integer> seen = new TreeMap<>();
        for (PlannedResource r : resources) {
            Object encoded = switch (r.type()) {
                case "aws:ec2/instance:Instance" -> r.inputs().get("userDataBase64");
                case "aws:ec2/launchTemplate:LaunchTemplate" -> r.inputs().get("userData");
                default -> null;
            };
            if (!(encoded instanceof String b64)) {
                continue;
            }
            String role = String.valueOf(r.tags().getOrDefault("kilonode:role", r.name()));
            Object group = r.tags().get("kilonode:node-group");
            if (group != null && !"worker".equals(group)) {
                role = role + "-" + group;
            }
            int n = seen.merge(role, 1, Integer::sum);
            String stem = n == 1 ? role : role + "-" + (n - 1);
            String text = UserData.decode(b64);
            Path userdata = dir.resolve("userdata");
            Files.createDirectories(userdata);
            Files.writeString(userdata.resolve(stem + ".yaml"), text);
            writeKubeadmFiles(dir, stem, text);
        }
    }

    private static void writeKubeadmFiles(Path dir, String stem, String cloudConfig) throws IOException {
        JsonNode doc = YAML_READER.readTree(cloudConfig);
        if (doc == null || !doc.has("write_files")) {
            return;
        }
        for (JsonNode f : doc.get("write_files")) {
            String path = f.path("path").asText();
            if (path.startsWith("/etc/kilonode/kubeadm/") || path.equals("/etc/kubernetes/manifests/etcd-events.yaml")) {
                Path kubeadm = dir.resolve("kubeadm");
                Files.createDirectories(kubeadm);
                String base = path.substring(path.lastIndexOf('/') + 1);
                Files.writeString(kubeadm.resolve(stem + "-" + base), f.path("content").asText());
            }
        }
    }

    /** Every Kubernetes object the stack declares, as {@code manifests/<kind>-<name>.yaml}. */
    static void writeManifests(Path dir, List<PlannedResource> resources) throws IOException {
        for (PlannedResource r : resources) {
            if (!r.type().startsWith("kubernetes:") || !r.inputs().containsKey("kind")) {
                continue;
            }
            Map<String, Object> object = new TreeMap<>(r.inputs());
            object.remove("__meta");
            @SuppressWarnings("unchecked")
            Map<String, Object> metadata = (Map<String, Object>) object.getOrDefault("metadata", Map.of());
            String kind = String.valueOf(object.get("kind")).toLowerCase(Locale.ROOT);
            String name = String.valueOf(metadata.getOrDefault("name", r.name()));
            Path manifests = dir.resolve("manifests");
            Files.createDirectories(manifests);
            Files.writeString(manifests.resolve(kind + "-" + name + ".yaml"), YAML.writeValueAsString(object));
        }
    }
}
