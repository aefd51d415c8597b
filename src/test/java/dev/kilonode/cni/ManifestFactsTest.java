package dev.kilonode.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.release.NetworkReleases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.kilonode.cni.AddonsPlan.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our CNI objects against a structured copy of the network release's upstream manifests
 * (src/test/resources/upstream/R25.1-manifest-facts.json: ConfigMap keys, container names, images, env, envFrom,
 * mount paths, host paths, resources; source file and commit recorded there). Every upstream fact must be in our
 * objects or carry a recorded reason (R25.1-manifest-differences.json); a reason for a fact we do carry is stale.
 */
class ManifestFactsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static JsonNode facts;
    static JsonNode differences;
    static AddonsPlan dev;

    @BeforeAll
    static void load() throws Exception {
        String release = NetworkReleases.table().defaultRelease();
        facts = read("/upstream/" + release + "-manifest-facts.json");
        differences = read("/upstream/" + release + "-manifest-differences.json");
        dev = AddonsPlan.run("dev");
    }

    private static JsonNode read(String resource) throws Exception {
        try (InputStream in = ManifestFactsTest.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return JSON.readTree(in);
        }
    }

    @Test
    void factsNameTheirUpstreamSource() {
        assertThat(facts.at("/source/commit").asText()).matches("[0-9a-f]{40}");
        assertThat(facts.at("/source/files")).isNotEmpty();
        assertThat(facts.at("/daemonSets")).hasSize(2);
    }

    @Test
    void everyUpstreamFactIsCarriedOrHasARecordedReason() {
        Set<String> missing = missingFacts();
        Set<String> unexplained = new TreeSet<>(missing);
        differences.get("reasons").fieldNames().forEachRemaining(unexplained::remove);
        assertThat(unexplained).as("upstream facts our CNI lacks without a recorded reason").isEmpty();
    }

    @Test
    void noRecordedReasonIsStale() {
        Set<String> missing = missingFacts();
        List<String> stale = new ArrayList<>();
        differences.get("reasons").fields().forEachRemaining(e -> {
            assertThat(e.getValue().asText()).as(e.getKey()).isNotBlank();
            if (!missing.contains(e.getKey())) {
                stale.add(e.getKey());
            }
        });
        assertThat(stale).as("reasons for facts we now carry (or that upstream no longer has)").isEmpty();
    }

    /** Upstream facts, written as paths, that our planned objects do not have. */
    static Set<String> missingFacts() {
        Set<String> missing = new TreeSet<>();
        facts.get("configMaps").fields().forEachRemaining(cm -> {
            Map<String, Object> data = at(dev.object("ConfigMap", cm.getKey()).inputs(), "data");
            cm.getValue().forEach(k -> {
                if (!data.containsKey(k.asText())) {
                    missing.add("configMaps." + cm.getKey() + "." + k.asText());
                }
            });
        });
        facts.get("daemonSets").fields().forEachRemaining(ds -> {
            String ours = differences.at("/objectNames/" + ds.getKey()).asText(ds.getKey());
            Map<String, Object> pod = at(dev.object("DaemonSet", ours).inputs(), "spec", "template", "spec");
            Map<String, String> hostPaths = new java.util.HashMap<>();
            AddonsPlan.<List<Map<String, Object>>>at(pod, "volumes").stream().filter(v -> v.containsKey("hostPath"))
                    .forEach(v -> hostPaths.put((String) v.get("name"), at(v, "hostPath", "path")));
            for (String section : List.of("initContainers", "containers")) {
                List<Map<String, Object>> containers = at(pod, section);
                ds.getValue().get(section).fields().forEachRemaining(c -> {
                    String prefix = "daemonSets." + ds.getKey() + "." + section + "." + c.getKey();
                    Map<String, Object> mine = containers.stream().filter(x -> c.getKey().equals(x.get("name")))
                            .findFirst().orElse(null);
                    if (mine == null) {
                        missing.add(prefix);
                        return;
                    }
                    compare(prefix, c.getValue(), mine, hostPaths, missing);
                });
            }
        });
        return missing;
    }

    @SuppressWarnings("unchecked")
    private static void compare(String prefix, JsonNode upstream, Map<String, Object> mine, Map<String, String> hostPaths,
                                Set<String> missing) {
        String image = (String) mine.get("image");
        upstream.get("image").forEach(i -> {
            // "X" is the manifest's {{VROUTER_KERNEL_INIT_IMAGE}} placeholder (parse-env.sh picks the name).
            if (!i.asText().equals("X") && !image.contains("/" + i.asText() + ":")) {
                missing.add(prefix + ".image." + i.asText());
            }
        });
        Set<String> env = new TreeSet<>();
        ((List<Map<String, Object>>) mine.getOrDefault("env", List.of())).forEach(e -> env.add((String) e.get("name")));
        upstream.get("env").forEach(e -> {
            if (!env.contains(e.asText())) {
                missing.add(prefix + ".env." + e.asText());
            }
        });
        Set<String> envFrom = new TreeSet<>();
        ((List<Map<String, Object>>) mine.getOrDefault("envFrom", List.of()))
                .forEach(e -> envFrom.add(at(e, "configMapRef", "name")));
        upstream.get("envFrom").forEach(e -> {
            if (!envFrom.contains(e.asText())) {
                missing.add(prefix + ".envFrom." + e.asText());
            }
        });
        Set<String> mounts = new TreeSet<>();
        Set<String> mountHostPaths = new TreeSet<>();
        ((List<Map<String, Object>>) mine.getOrDefault("volumeMounts", List.of())).forEach(m -> {
            mounts.add((String) m.get("mountPath"));
            String host = hostPaths.get((String) m.get("name"));
            if (host != null) {
                mountHostPaths.add(m.get("mountPath") + "=" + host);
            }
        });
        upstream.get("mountPaths").forEach(m -> {
            if (!mounts.contains(m.asText())) {
                missing.add(prefix + ".mountPaths." + m.asText());
            }
        });
        upstream.get("hostPaths").forEach(m -> {
            if (mounts.contains(m.asText().split("=")[0]) && !mountHostPaths.contains(m.asText())) {
                missing.add(prefix + ".hostPaths." + m.asText());
            }
        });
        Set<String> resources = new TreeSet<>();
        ((Map<String, Map<String, Object>>) mine.getOrDefault("resources", Map.of())).forEach((kind, values) ->
                values.forEach((k, v) -> resources.add(kind + "." + k + "=" + v)));
        upstream.get("resources").forEach(r -> {
            if (!resources.contains(r.asText())) {
                missing.add(prefix + ".resources." + r.asText());
            }
        });
    }
}
