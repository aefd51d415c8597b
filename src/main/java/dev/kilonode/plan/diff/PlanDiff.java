package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import com.github.difflib.patch.Patch;
import dev.kilonode.plan.diff.PlanSnapshot.ResourceKey;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What changed between an earlier plan and a new one, in the terms a reviewer needs: resources added, removed and
 * changed (with the changed inputs as JSON pointers), the rendered user-data, kubeadm files and manifests as unified
 * diffs, the validated settings and tuning, and the estimated cost per role. Everything is sorted.
 */
public record PlanDiff(String stack, String beforeDir, String afterDir, int resourcesBefore, int resourcesAfter,
                       List<ResourceKey> added, List<ResourceKey> removed, List<ResourceChange> changed,
                       List<FileDiff> files, List<JsonChanges.Change> summaryChanges, CostDelta cost,
                       List<ChangeBehaviour.Classified> behaviour) {

    /** Lines of context around each change in the unified diffs. */
    public static final int CONTEXT = 3;

    /**
     * A resource in both plans whose inputs or options differ. {@code inputs} paths are JSON pointers into the
     * resource's inputs; {@code options} paths are {@code /parent}, {@code /protect} and the resource options
     * of resources.json ({@code /ignoreChanges}, {@code /deleteBeforeReplace}, {@code /provider}, ...).
     */
    public record ResourceChange(ResourceKey key, List<JsonChanges.Change> inputs, List<JsonChanges.Change> options,
                                 String role) {
    }

    public enum FileStatus { ADDED, REMOVED, CHANGED }

    /** One rendered text file that differs, as unified diff lines (headers included). */
    public record FileDiff(String path, FileStatus status, List<String> unified, int linesAdded, int linesRemoved) {
    }

    public boolean isEmpty() {
        return added.isEmpty() && removed.isEmpty() && changed.isEmpty() && files.isEmpty() && summaryChanges.isEmpty()
                && !cost.changed();
    }

    public static PlanDiff between(PlanSnapshot before, PlanSnapshot after) {
        List<ResourceKey> added = new ArrayList<>();
        List<ResourceKey> removed = new ArrayList<>();
        List<ResourceChange> changed = new ArrayList<>();
        Set<ResourceKey> keys = new TreeSet<>(before.resources().keySet());
        keys.addAll(after.resources().keySet());
        for (ResourceKey k : keys) {
            JsonNode a = before.resources().get(k);
            JsonNode b = after.resources().get(k);
            if (a == null) {
                added.add(k);
            } else if (b == null) {
                removed.add(k);
            } else {
                List<JsonChanges.Change> inputs = JsonChanges.between(a.path("inputs"), b.path("inputs"));
                List<JsonChanges.Change> options = JsonChanges.between(options(a), options(b));
                if (!inputs.isEmpty() || !options.isEmpty()) {
                    String role = b.path("inputs").path("tags").path("kilonode:role").asText(null);
                    changed.add(new ResourceChange(k, inputs, options, role));
                }
            }
        }
        List<FileDiff> files = fileDiffs(before, after);
        ObjectNode sa = JsonNodeFactory.instance.objectNode();
        ObjectNode sb = JsonNodeFactory.instance.objectNode();
        for (String field : List.of("settings", "tuning")) {
            sa.set(field, before.summary().path(field).isMissingNode() ? null : before.summary().get(field));
            sb.set(field, after.summary().path(field).isMissingNode() ? null : after.summary().get(field));
        }
        // Against the empty plan (a new stack) every setting is new; summary.json has them all.
        List<JsonChanges.Change> summaryChanges = before.isEmptyPlan() ? List.of() : JsonChanges.between(sa, sb);
        String beforeLabel = before.dir() + (before.isEmptyPlan() ? " (empty plan)" : "");
        PlanDiff d = new PlanDiff(after.stack(), beforeLabel, after.dir().toString(), before.resources().size(),
                after.resources().size(), List.copyOf(added), List.copyOf(removed), List.copyOf(changed),
                files, summaryChanges, CostDelta.between(before.cost(), after.cost()), List.of());
        List<ChangeBehaviour.Classified> behaviour = ChangeBehaviour.classifyAll(d, after);
        return new PlanDiff(d.stack(), d.beforeDir(), d.afterDir(), d.resourcesBefore(), d.resourcesAfter(), d.added(),
                d.removed(), d.changed(), d.files(), d.summaryChanges(),
                d.cost().untilRoll(CostDelta.UntilRoll.of(behaviour, before, after)), behaviour);
    }

    private static JsonNode options(JsonNode resource) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("parent", resource.get("parent"));
        o.set("protect", resource.get("protect"));
        resource.path("options").fields().forEachRemaining(e -> o.set(e.getKey(), e.getValue()));
        return o;
    }

    static List<FileDiff> fileDiffs(PlanSnapshot before, PlanSnapshot after) {
        Set<String> paths = new TreeSet<>(before.files().keySet());
        paths.addAll(after.files().keySet());
        List<FileDiff> out = new ArrayList<>();
        for (String p : paths) {
            String a = before.files().get(p);
            String b = after.files().get(p);
            if (a != null && a.equals(b)) {
                continue;
            }
            List<String> la = a == null ? List.of() : a.lines().toList();
            List<String> lb = b == null ? List.of() : b.lines().toList();
            Patch<String> patch = DiffUtils.diff(la, lb);
            List<String> unified = new ArrayList<>();
            unified.add("--- " + (a == null ? "/dev/null" : "a/" + p));
            unified.add("+++ " + (b == null ? "/dev/null" : "b/" + p));
            if (patch.getDeltas().isEmpty()) {
                // Same lines, different bytes: line endings or the final newline.
                unified.add("@@ line endings or the final newline differ @@");
            } else {
                List<String> generated = UnifiedDiffUtils.generateUnifiedDiff("a/" + p, "b/" + p, la, patch, CONTEXT);
                unified.addAll(generated.subList(Math.min(2, generated.size()), generated.size()));
            }
            int plus = 0;
            int minus = 0;
            for (String line : unified.subList(2, unified.size())) {
                if (line.startsWith("+")) {
                    plus++;
                } else if (line.startsWith("-")) {
                    minus++;
                }
            }
            FileStatus status = a == null ? FileStatus.ADDED : b == null ? FileStatus.REMOVED : FileStatus.CHANGED;
            out.add(new FileDiff(p, status, List.copyOf(unified), plus, minus));
        }
        return List.copyOf(out);
    }

    /** Types with counts of added, removed and changed resources, sorted by type. */
    public List<TypeCount> countsByType() {
        Set<String> types = new TreeSet<>();
        added.forEach(k -> types.add(k.type()));
        removed.forEach(k -> types.add(k.type()));
        changed.forEach(c -> types.add(c.key().type()));
        List<TypeCount> out = new ArrayList<>();
        for (String t : types) {
            out.add(new TypeCount(t, (int) added.stream().filter(k -> k.type().equals(t)).count(),
                    (int) removed.stream().filter(k -> k.type().equals(t)).count(),
                    (int) changed.stream().filter(c -> c.key().type().equals(t)).count()));
        }
        return out;
    }

    public record TypeCount(String type, int added, int removed, int changed) {
    }

    /**
     * Estimated cost per role before and after, from the two summary.json "cost" objects. {@code after} is the cost of
     * the new settings once every machine runs them; {@code untilRoll} names the roles whose running machines
     * `pulumi up` leaves on their old instance type (ignored until `kilonode roll`), with what they cost meanwhile.
     */
    public record CostDelta(boolean beforeKnown, boolean afterKnown, String currency, List<Row> rows, Row total,
                            List<UntilRoll> untilRoll) {

        public CostDelta(boolean beforeKnown, boolean afterKnown, String currency, List<Row> rows, Row total) {
            this(beforeKnown, afterKnown, currency, rows, total, List.of());
        }

        CostDelta untilRoll(List<UntilRoll> u) {
            return new CostDelta(beforeKnown, afterKnown, currency, rows, total, List.copyOf(u));
        }

        /**
         * {@code machines} of {@code role} keep {@code runningType} after `pulumi up` (their instanceType change is
         * ignored) and take {@code newType} when rolled: {@code hourlyRunning} is the role's cost after `pulumi up`,
         * the row's {@code hourlyAfter} its cost after the roll. Empty amounts: a price is unknown.
         */
        public record UntilRoll(String role, int machines, String runningType, String newType,
                                Optional<BigDecimal> hourlyRunning, Optional<BigDecimal> hourlyDeltaUntilRoll) {

            /** From the classified changes: control-plane instances whose /instanceType `pulumi up` ignores. */
            static List<UntilRoll> of(List<ChangeBehaviour.Classified> behaviour, PlanSnapshot before, PlanSnapshot after) {
                Map<String, List<String[]>> byRole = new java.util.TreeMap<>();
                for (ChangeBehaviour.Classified c : behaviour) {
                    boolean ignoredType = c.key().type().equals("aws:ec2/instance:Instance") && c.verdicts().stream()
                            .anyMatch(v -> v.path().equals("/instanceType") && v.kind() == ChangeBehaviour.Kind.IGNORED);
                    JsonNode a = after.resources().get(c.key());
                    JsonNode b = before.resources().get(c.key());
                    if (!ignoredType || a == null || b == null) {
                        continue;
                    }
                    String role = a.path("inputs").path("tags").path("kilonode:role").asText("");
                    byRole.computeIfAbsent(role, r -> new ArrayList<>()).add(new String[]{
                            b.path("inputs").path("instanceType").asText(), a.path("inputs").path("instanceType").asText()});
                }
                List<UntilRoll> out = new ArrayList<>();
                byRole.forEach((role, types) -> {
                    int n = types.size();
                    Optional<BigDecimal> eachBefore = each(before.cost(), role);
                    Optional<BigDecimal> eachAfter = each(after.cost(), role);
                    // The earlier plan's hourlyEach is the running type's price (every machine of a role has one type).
                    Optional<BigDecimal> saved = eachBefore.flatMap(x -> eachAfter.map(y -> y.subtract(x)
                            .multiply(BigDecimal.valueOf(n))));
                    Optional<BigDecimal> roleAfter = amount(after.cost().isObject(), after.cost().path("roles").get(role), "hourly");
                    out.add(new UntilRoll(role, n, types.get(0)[0], types.get(0)[1],
                            roleAfter.flatMap(x -> saved.map(x::subtract)), saved.map(BigDecimal::negate)));
                });
                return out;
            }

            private static Optional<BigDecimal> each(JsonNode cost, String role) {
                JsonNode v = cost.path("roles").path(role).path("hourlyEach");
                return v.isNumber() ? Optional.of(new BigDecimal(v.asText())) : Optional.empty();
            }
        }

        /** {@code before}/{@code after} are empty when unknown (no price, or an old plan without a cost section). */
        public record Row(String role, Optional<BigDecimal> hourlyBefore, Optional<BigDecimal> hourlyAfter,
                          Optional<BigDecimal> monthlyBefore, Optional<BigDecimal> monthlyAfter,
                          boolean partialBefore, boolean partialAfter) {

            public Optional<BigDecimal> hourlyDelta() {
                return hourlyBefore.flatMap(a -> hourlyAfter.map(b -> b.subtract(a)));
            }

            public Optional<BigDecimal> monthlyDelta() {
                return monthlyBefore.flatMap(a -> monthlyAfter.map(b -> b.subtract(a)));
            }

            public boolean changed() {
                return !same(hourlyBefore, hourlyAfter) || !same(monthlyBefore, monthlyAfter)
                        || partialBefore != partialAfter;
            }

            private static boolean same(Optional<BigDecimal> a, Optional<BigDecimal> b) {
                return a.isPresent() == b.isPresent() && (a.isEmpty() || a.get().compareTo(b.get()) == 0);
            }
        }

        public boolean changed() {
            return total.changed() || rows.stream().anyMatch(Row::changed);
        }

        private static final List<String> ORDER = List.of("tf-controller", "master", "worker");

        static CostDelta between(JsonNode before, JsonNode after) {
            boolean bk = before.isObject();
            boolean ak = after.isObject();
            Set<String> roles = new LinkedHashSet<>();
            JsonNode rb = before.path("roles");
            JsonNode ra = after.path("roles");
            rb.fieldNames().forEachRemaining(roles::add);
            ra.fieldNames().forEachRemaining(roles::add);
            List<String> sorted = new ArrayList<>(roles);
            sorted.sort(Comparator.comparing(CostDelta::rank).thenComparing(Comparator.naturalOrder()));
            List<Row> rows = new ArrayList<>();
            for (String role : sorted) {
                rows.add(new Row(role, amount(bk, rb.get(role), "hourly"), amount(ak, ra.get(role), "hourly"),
                        amount(bk, rb.get(role), "monthly"), amount(ak, ra.get(role), "monthly"), false, false));
            }
            JsonNode tb = before.path("total");
            JsonNode ta = after.path("total");
            Row total = new Row("total", amount(bk, tb, "hourly"), amount(ak, ta, "hourly"), amount(bk, tb, "monthly"),
                    amount(ak, ta, "monthly"), tb.path("partial").asBoolean(false), ta.path("partial").asBoolean(false));
            String currency = after.path("currency").asText(before.path("currency").asText("USD"));
            return new CostDelta(bk, ak, currency, List.copyOf(rows), total);
        }

        private static int rank(String role) {
            if (role.startsWith("worker")) {
                return 2;
            }
            int i = ORDER.indexOf(role);
            return i >= 0 ? i : ORDER.size() + ("network".equals(role) ? 0 : "storage".equals(role) ? 1 : 2);
        }

        /** A role missing from a plan that has a cost section did not exist there: it cost 0. */
        private static Optional<BigDecimal> amount(boolean sectionPresent, JsonNode role, String field) {
            if (!sectionPresent) {
                return Optional.empty();
            }
            if (role == null || role.isMissingNode()) {
                return Optional.of(BigDecimal.ZERO);
            }
            JsonNode v = role.path(field);
            return v.isNumber() ? Optional.of(new BigDecimal(v.asText())) : Optional.empty();
        }
    }
}
