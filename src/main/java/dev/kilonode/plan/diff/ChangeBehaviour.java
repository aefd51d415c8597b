package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.plan.diff.PlanDiff.ResourceChange;
import dev.kilonode.plan.diff.PlanSnapshot.ResourceKey;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What `pulumi up` will do with each change of a plan diff: update, rolls (instances replaced by a group's instance
 * refresh or pods by their controller), stop/start, replace, delete-before-replace, or nothing (the input is in the
 * resource's {@code ignoreChanges}). The behaviour of each input comes from the data table
 * {@code plan/change-behaviour.json} (one row per resource type and input, each with its provider source); the
 * options come from resources.json.
 */
public final class ChangeBehaviour {

    /** Least to most disruptive. */
    public enum Kind {
        IGNORED("ignored by `pulumi up`"), UPDATE("update in place"), ROLLS("update that rolls instances/pods"),
        STOP_START("stop/start"), REPLACE("replace (create, then delete)"), DELETE_BEFORE_REPLACE("delete, then replace");

        public final String label;

        Kind(String label) {
            this.label = label;
        }

        static Kind parse(String s) {
            return switch (s) {
                case "update" -> UPDATE;
                case "rolls" -> ROLLS;
                case "stop-start" -> STOP_START;
                case "replace" -> REPLACE;
                default -> throw new IllegalArgumentException("unknown kind " + s);
            };
        }
    }

    public record Rule(String type, String path, Kind kind, String source) {
    }

    /**
     * One changed input: what up does with it; {@code wouldBe} is what it would do if it were not ignored, and
     * {@code ignoredBecause} why this stack ignores it (empty unless {@code kind} is IGNORED).
     */
    public record Verdict(String path, Kind kind, Kind wouldBe, String source, Optional<String> ignoredBecause) {
    }

    /** Why this stack puts an input in a resource's {@code ignoreChanges} (change-behaviour.json "ignored"). */
    public record IgnoredReason(String type, String path, String reason) {
    }

    /** A changed resource: its overall kind, per-input verdicts, and a plain-words warning when it hurts. */
    public record Classified(ResourceKey key, Kind kind, List<Verdict> verdicts, Optional<String> warning) {

        public boolean dangerous() {
            return warning.isPresent();
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Rule> RULES = load();
    private static final List<IgnoredReason> IGNORED = loadIgnored();
    private static final Set<String> STATEFUL_ROLES = Set.of("master", "tf-controller");

    private ChangeBehaviour() {
    }

    public static List<Rule> rules() {
        return RULES;
    }

    public static List<IgnoredReason> ignoredReasons() {
        return IGNORED;
    }

    static List<IgnoredReason> loadIgnored() {
        try (InputStream in = ChangeBehaviour.class.getResourceAsStream("/plan/change-behaviour.json")) {
            List<IgnoredReason> out = new ArrayList<>();
            for (JsonNode r : JSON.readTree(in).path("ignored")) {
                out.add(new IgnoredReason(r.path("type").asText(), r.path("path").asText(), r.path("reason").asText()));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Why {@code type}'s input {@code path} is ignored: the longest matching row, else the resource's options. */
    static String ignoredBecause(String type, String path, String role, String stack) {
        IgnoredReason best = null;
        for (IgnoredReason r : IGNORED) {
            boolean matches = r.type().equals(type)
                    && (r.path().equals("*") || path.equals(r.path()) || path.startsWith(r.path() + "/"));
            if (matches && (best == null || best.path().equals("*"))) {
                best = r;
            }
        }
        if (best == null) {
            return "in the resource's ignoreChanges (resources.json options)";
        }
        return best.reason().replace("{roll}", "tf-controller".equals(role) ? "controllers" : "masters")
                .replace("{stack}", stack);
    }

    static List<Rule> load() {
        try (InputStream in = ChangeBehaviour.class.getResourceAsStream("/plan/change-behaviour.json")) {
            if (in == null) {
                throw new IllegalStateException("plan/change-behaviour.json missing from the classpath");
            }
            JsonNode root = JSON.readTree(in);
            List<Rule> out = new ArrayList<>();
            for (JsonNode r : root.path("rules")) {
                String source = r.path("source").asText();
                if (!root.path("sources").has(source)) {
                    throw new IllegalStateException("change-behaviour.json: rule " + r + " cites unknown source " + source);
                }
                out.add(new Rule(r.path("type").asText(), r.path("path").asText(), Kind.parse(r.path("kind").asText()), source));
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rule for one input path: the longest matching path prefix of the type, else the type's '*' row. */
    static Optional<Rule> rule(String type, String path) {
        Rule best = null;
        for (Rule r : RULES) {
            if (!r.type().equals(type)) {
                continue;
            }
            boolean matches = r.path().equals("*") || path.equals(r.path()) || path.startsWith(r.path() + "/");
            if (!matches) {
                continue;
            }
            int len = r.path().equals("*") ? 0 : r.path().length();
            int bestLen = best == null ? -1 : best.path().equals("*") ? 0 : best.path().length();
            if (len > bestLen) {
                best = r;
            }
        }
        return Optional.ofNullable(best);
    }

    public static Classified classify(ResourceChange change, JsonNode after, PlanSnapshot afterPlan, String stack) {
        JsonNode options = after.path("options");
        Set<String> ignored = new HashSet<>();
        options.path("ignoreChanges").forEach(n -> ignored.add(n.asText()));
        boolean deleteFirst = options.path("deleteBeforeReplace").asBoolean(false);
        String type = change.key().type();
        List<Verdict> verdicts = new ArrayList<>();
        for (JsonChanges.Change c : change.inputs()) {
            Optional<Rule> rule = rule(type, c.path());
            Kind kind = rule.map(Rule::kind).orElse(Kind.UPDATE);
            String source = rule.map(Rule::source).orElse("not in plan/change-behaviour.json: check the provider docs");
            if (kind == Kind.REPLACE && deleteFirst) {
                kind = Kind.DELETE_BEFORE_REPLACE;
            }
            String top = c.path().length() > 1 ? c.path().substring(1).split("/")[0] : c.path();
            if (ignored.contains(top)) {
                String role = after.path("inputs").path("tags").path("kilonode:role").asText("");
                verdicts.add(new Verdict(c.path(), Kind.IGNORED, kind, source,
                        Optional.of(ignoredBecause(type, c.path(), role, stack))));
            } else {
                verdicts.add(new Verdict(c.path(), kind, kind, source, Optional.empty()));
            }
        }
        Kind overall = verdicts.stream().map(Verdict::kind).max(Comparator.naturalOrder())
                .orElse(change.options().isEmpty() ? Kind.UPDATE : Kind.UPDATE);
        return new Classified(change.key(), overall, List.copyOf(verdicts),
                warning(change, after, afterPlan, overall, verdicts, stack));
    }

    private static Optional<String> warning(ResourceChange change, JsonNode after, PlanSnapshot plan, Kind overall,
                                            List<Verdict> verdicts, String stack) {
        String type = change.key().type();
        String role = after.path("inputs").path("tags").path("kilonode:role").asText("");
        if (type.equals("aws:ec2/instance:Instance") && STATEFUL_ROLES.contains(role)) {
            String who = machine(change.key().name(), role);
            String disk = role.equals("master") ? "wipes etcd's disk" : "wipes its instance-store disks";
            return switch (overall) {
                case DELETE_BEFORE_REPLACE -> Optional.of("replaces " + who + " (" + disk + "; deleted before its successor exists)");
                case REPLACE -> Optional.of("replaces " + who + " (" + disk + ")");
                case STOP_START -> Optional.of("stops and starts " + who + " (" + disk + ": the instance store)");
                case IGNORED -> {
                    Kind would = verdicts.stream().map(Verdict::wouldBe).max(Comparator.naturalOrder()).orElse(Kind.UPDATE);
                    if (would.compareTo(Kind.STOP_START) < 0) {
                        yield Optional.empty();
                    }
                    String inputs = String.join(", ", verdicts.stream().filter(v -> v.kind() == Kind.IGNORED)
                            .map(v -> v.path().substring(1)).toList());
                    yield Optional.of("ignored by `pulumi up`: " + who + " keeps its old " + inputs + " (applying it would "
                            + (would == Kind.STOP_START ? "stop and start it" : "replace it") + " and "
                            + disk.replace("wipes", "wipe") + "); roll it with `kilonode roll " + (role.equals("master") ? "masters" : "controllers")
                            + " --stack " + stack + "`");
                }
                default -> Optional.empty();
            };
        }
        if (type.equals("aws:ec2/launchTemplate:LaunchTemplate") && overall.compareTo(Kind.ROLLS) >= 0) {
            String id = after.path("id").asText("");
            for (JsonNode r : plan.resources().values()) {
                if (r.path("type").asText().equals("aws:autoscaling/group:Group")
                        && r.path("inputs").path("launchTemplate").path("id").asText("").equals(id)) {
                    int n = r.path("inputs").path("maxSize").asInt(0);
                    return Optional.of("rolls " + String.format(java.util.Locale.ROOT, "%,d", n) + " worker"
                            + (n == 1 ? "" : "s") + " of " + r.path("inputs").path("name").asText(r.path("name").asText())
                            + " (new launch-template version: instance refresh)");
                }
            }
            return Optional.of("rolls the workers of its group (new launch-template version: instance refresh)");
        }
        if (type.equals("aws:autoscaling/group:Group") && overall.compareTo(Kind.REPLACE) >= 0) {
            return Optional.of("replaces worker group " + change.key().name() + " and all of its "
                    + after.path("inputs").path("maxSize").asInt(0) + " workers");
        }
        if (type.equals("pulumi:providers:kubernetes") && overall.compareTo(Kind.REPLACE) >= 0) {
            return Optional.of("replaces the Kubernetes provider, and with it every in-cluster object (the vRouter "
                    + "DaemonSet that carries pod networking included)");
        }
        if (type.equals("aws:route53/zone:Zone") && overall.compareTo(Kind.REPLACE) >= 0) {
            return Optional.of("renames the Kubernetes API (kilonode:apiDomain): the old name stops resolving, and running "
                    + "masters keep their certificate and kubeconfigs for it until `kilonode roll masters --stack " + stack
                    + "` (README, \"API endpoint\")");
        }
        if (overall.compareTo(Kind.REPLACE) >= 0) {
            return Optional.of("replaces " + type + " " + change.key().name());
        }
        return Optional.empty();
    }

    private static String machine(String name, String role) {
        String index = name.substring(name.lastIndexOf('-') + 1);
        return (role.equals("master") ? "master " : "TF controller ") + index;
    }

    /** Every changed resource of a diff, most disruptive first (warnings before the rest). */
    public static List<Classified> classifyAll(PlanDiff d, PlanSnapshot after) {
        List<Classified> out = new ArrayList<>();
        for (ResourceChange c : d.changed()) {
            JsonNode r = after.resources().get(c.key());
            if (r != null) {
                out.add(classify(c, r, after, d.stack()));
            }
        }
        out.sort(Comparator.comparing((Classified c) -> !c.dangerous())
                .thenComparing(Classified::kind, Comparator.reverseOrder())
                .thenComparing(Classified::key));
        return List.copyOf(out);
    }

    static Map<String, String> sources() {
        try (InputStream in = ChangeBehaviour.class.getResourceAsStream("/plan/change-behaviour.json")) {
            JsonNode root = JSON.readTree(in);
            Map<String, String> out = new java.util.TreeMap<>();
            root.path("sources").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
