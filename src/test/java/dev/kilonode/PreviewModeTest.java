package dev.kilonode;

import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.PlanWriter;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.plan.PreviewInputs;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 12: the program under `pulumi preview` of an empty stack, where no computed output is known yet (ids, ARNs,
 * DNS names): it must register the same resources as the offline plan, fail nothing, and touch no network (the
 * readiness gate and anything else that would dial the API server must stay quiet in a preview). It also writes the
 * preview's resources with their unknowns (as the engine's sentinel, where the SDK put them) and each input's
 * dependencies to target/plan-preview/<stack>/: the policy pack's tests (policies/test/preview.test.ts, run later in
 * `./mvnw verify`) run the pack over them and assert what a real preview reports as not checked.
 */
class PreviewModeTest {

    /** Records every socket connect or DNS lookup attempt (Java 17 still lets a test install one). */
    @SuppressWarnings("removal")
    static final class NetworkWatch extends SecurityManager {
        final List<String> attempts = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void checkConnect(String host, int port) {
            attempts.add(host + ":" + port);
        }

        @Override
        public void checkConnect(String host, int port, Object context) {
            attempts.add(host + ":" + port);
        }

        @Override
        public void checkPermission(Permission perm) {
        }

        @Override
        public void checkPermission(Permission perm, Object context) {
        }
    }

    /** Where the preview plans go: the policy pack's tests (policies/test/preview.test.ts) run the pack over them. */
    static final Path PREVIEW_PLANS = Path.of("target", "plan-preview");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "scale"})
    @SuppressWarnings("removal")
    void previewWithUnknownOutputsRegistersWhatThePlanRegistersAndNeverDials(String stack) throws Exception {
        Map<String, String> config = Stacks.config(stack);
        Set<String> planned = new TreeSet<>();
        List<PlannedResource> plan = Stacks.plan(stack, config).resources();
        for (PlannedResource r : plan) {
            planned.add(r.type() + "::" + r.name());
        }

        NetworkWatch watch = new NetworkWatch();
        SecurityManager before = System.getSecurityManager();
        PlanEngine.Result result;
        try {
            System.setSecurityManager(watch);
            result = PlanEngine.run(dev.kilonode.config.DeclaredSettings.project().projectName(), stack,
                    Stacks.spec(stack, config).region(), config,
                    new LinkedHashSet<>(config.keySet().stream().filter(dev.kilonode.config.SecretKeys.ALL::contains).toList()),
                    KilonodeStack::define, true);
        } finally {
            System.setSecurityManager(before);
        }
        Set<String> previewed = new TreeSet<>();
        result.resources().forEach(r -> previewed.add(r.type() + "::" + r.name()));
        assertThat(result.errors()).isEmpty();
        assertThat(previewed).isEqualTo(planned);
        assertThat(watch.attempts).as("network attempts during the preview").isEmpty();

        // The preview's inputs carry the engine's unknowns where the plan has values, and nothing else differs in kind.
        List<String> unknown = result.resources().stream().filter(r -> containsUnknown(r.inputs()))
                .map(r -> r.type() + "::" + r.name()).toList();
        assertThat(unknown).as("resources with an unknown input in the preview").isNotEmpty();
        assertThat(plan.stream().filter(r -> containsUnknown(r.inputs())).toList()).as("unknowns in the offline plan").isEmpty();

        // Every unknown reference between resources is declared as a dependency: that is how a policy can still tell
        // which security group a rule belongs to before the group has an id.
        assertThat(result.propertyDependencies().get("aws:autoscaling/group:Group::" + plan.stream()
                .filter(r -> r.type().equals("aws:autoscaling/group:Group")).findFirst().orElseThrow().name()))
                .containsKey("launchTemplate");

        writePreviewPlan(PREVIEW_PLANS.resolve(stack), result, Stacks.spec(stack, config).production());
    }

    /**
     * resources.json in the offline plan's format, ids unknown (nothing is created yet), and a summary.json that says
     * which pack config applies (settings.production, as in the plan's summary).
     */
    static void writePreviewPlan(Path dir, PlanEngine.Result result, boolean production) throws java.io.IOException {
        Files.createDirectories(dir);
        List<Map<String, Object>> out = new ArrayList<>();
        for (PlannedResource r : result.resources()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", r.type());
            entry.put("name", r.name());
            boolean custom = !r.type().startsWith("pulumi:pulumi:") && !r.type().startsWith("kilonode:");
            entry.put("id", custom ? PreviewInputs.UNKNOWN : null);
            entry.put("parent", r.parent());
            entry.put("protect", r.protect());
            entry.put("options", new TreeMap<>(r.options()));
            entry.put("inputs", new TreeMap<>(r.inputs()));
            entry.put("propertyDependencies", result.propertyDependencies().getOrDefault(r.type() + "::" + r.name(), Map.of()));
            out.add(entry);
        }
        Files.writeString(dir.resolve("resources.json"), PlanWriter.JSON.writeValueAsString(out) + "\n");
        Files.writeString(dir.resolve("summary.json"), PlanWriter.JSON.writeValueAsString(
                Map.of("preview", true, "settings", Map.of("production", production))) + "\n");
    }

    static boolean containsUnknown(Object value) {
        if (value instanceof Map<?, ?> m) {
            return m.values().stream().anyMatch(PreviewModeTest::containsUnknown);
        }
        if (value instanceof List<?> l) {
            return l.stream().anyMatch(PreviewModeTest::containsUnknown);
        }
        return PreviewInputs.UNKNOWN.equals(value);
    }

    /** The watch is not blind: a connect attempt under it is recorded. */
    @Test
    @SuppressWarnings("removal")
    void theNetworkWatchSeesAConnect() {
        NetworkWatch watch = new NetworkWatch();
        SecurityManager before = System.getSecurityManager();
        try {
            System.setSecurityManager(watch);
            try (var socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", 1), 200);
            } catch (java.io.IOException expected) {
                // nothing listens on port 1
            }
        } finally {
            System.setSecurityManager(before);
        }
        assertThat(watch.attempts).contains("127.0.0.1:1");
    }
}
