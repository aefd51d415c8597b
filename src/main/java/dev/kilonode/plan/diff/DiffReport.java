package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kilonode.plan.diff.PlanDiff.CostDelta;
import dev.kilonode.plan.diff.PlanDiff.FileDiff;
import dev.kilonode.plan.diff.PlanDiff.ResourceChange;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Renders a {@link PlanDiff} as plain text (a terminal) or Markdown (a pull-request comment). */
public final class DiffReport {

    public enum Format { text, markdown }

    /** Input values longer than this are shortened (the whole value is in resources.json). */
    static final int MAX_VALUE = 160;
    /** Unified diffs longer than this many lines are folded into a collapsible block in Markdown. */
    static final int FOLD_LINES = 40;
    /** Input changes per resource beyond which Markdown folds the resource's table. */
    static final int FOLD_INPUTS = 12;

    private static final Set<String> USER_DATA_INPUTS = Set.of("/userData", "/userDataBase64");

    private DiffReport() {
    }

    public static String render(PlanDiff d, Format format) {
        return format == Format.markdown ? markdown(d) : text(d);
    }

    // ---------------------------------------------------------------- text

    public static String text(PlanDiff d) {
        StringBuilder sb = new StringBuilder();
        if (d.isEmpty()) {
            sb.append("kilonode plan diff: no changes (stack ").append(d.stack()).append(", compared with ")
                    .append(d.beforeDir()).append(")\n");
            return sb.toString();
        }
        sb.append("kilonode plan diff: stack ").append(d.stack()).append(", ").append(d.beforeDir()).append(" -> ")
                .append(d.afterDir()).append('\n');
        sb.append(String.format(Locale.ROOT, "resources: %d -> %d: %d added, %d removed, %d changed%s%n",
                d.resourcesBefore(), d.resourcesAfter(), d.added().size(), d.removed().size(), d.changed().size(),
                onlyIgnored(d) == 0 ? "" : " (" + onlyIgnored(d) + " of them only in inputs `pulumi up` ignores)"));
        behaviourText(sb, d);
        for (PlanDiff.TypeCount t : d.countsByType()) {
            sb.append(String.format(Locale.ROOT, "  %-62s +%d -%d ~%d%n", t.type(), t.added(), t.removed(), t.changed()));
        }
        if (!d.added().isEmpty()) {
            sb.append("added:\n");
            d.added().forEach(k -> sb.append("  + ").append(k).append('\n'));
        }
        if (!d.removed().isEmpty()) {
            sb.append("removed:\n");
            d.removed().forEach(k -> sb.append("  - ").append(k).append('\n'));
        }
        if (!d.changed().isEmpty()) {
            sb.append("changed:\n");
            for (ResourceChange c : d.changed()) {
                sb.append("  ~ ").append(c.key()).append('\n');
                for (JsonChanges.Change ch : c.inputs()) {
                    sb.append("      ").append(ch.path()).append(": ").append(describe(ch, c))
                            .append(ignoredNote(d, c, ch.path()).map(n -> "   [" + n + "]").orElse("")).append('\n');
                }
                for (JsonChanges.Change ch : c.options()) {
                    sb.append("      (option) ").append(ch.path().substring(1)).append(": ")
                            .append(value(ch.before())).append(" -> ").append(value(ch.after())).append('\n');
                }
            }
        }
        if (!d.summaryChanges().isEmpty()) {
            sb.append("settings and tuning (summary.json):\n");
            for (JsonChanges.Change ch : d.summaryChanges()) {
                String why = TuningDrivers.of(ch.path(), d.summaryChanges());
                sb.append("  ").append(ch.path()).append(": ").append(value(ch.before())).append(" -> ")
                        .append(value(ch.after())).append(why.isEmpty() ? "" : "   (" + why + ")").append('\n');
            }
        }
        costText(sb, d.cost());
        if (!d.files().isEmpty()) {
            sb.append("rendered files: ").append(fileCounts(d.files())).append('\n');
            for (FileDiff f : d.files()) {
                f.unified().forEach(l -> sb.append(l).append('\n'));
            }
        }
        return sb.toString();
    }

    /** What `pulumi up` will do, the dangerous changes first (plan/change-behaviour.json). */
    private static void behaviourText(StringBuilder sb, PlanDiff d) {
        if (d.behaviour().isEmpty()) {
            return;
        }
        sb.append("what `pulumi up` will do:\n");
        for (ChangeBehaviour.Classified c : d.behaviour()) {
            c.warning().ifPresent(w -> sb.append("  !! ").append(w).append('\n'));
        }
        for (ChangeBehaviour.Classified c : d.behaviour()) {
            sb.append("  ").append(c.kind().label).append(": ").append(c.key()).append('\n');
            for (ChangeBehaviour.Verdict v : c.verdicts()) {
                sb.append("      ").append(v.path()).append(": ").append(verdict(v)).append('\n');
            }
        }
    }

    private static void behaviourMarkdown(StringBuilder sb, PlanDiff d) {
        if (d.behaviour().isEmpty()) {
            return;
        }
        sb.append("#### What `pulumi up` will do\n\n");
        for (ChangeBehaviour.Classified c : d.behaviour()) {
            c.warning().ifPresent(w -> sb.append("- :warning: **").append(w).append("**\n"));
        }
        sb.append("\n| change | resource | inputs |\n|---|---|---|\n");
        for (ChangeBehaviour.Classified c : d.behaviour()) {
            StringBuilder inputs = new StringBuilder();
            for (ChangeBehaviour.Verdict v : c.verdicts()) {
                inputs.append(inputs.isEmpty() ? "" : "<br>").append(code(v.path())).append(": ").append(verdict(v));
            }
            sb.append("| ").append(c.kind().label.replace("`", "")).append(" | `").append(c.key().type()).append("` **")
                    .append(c.key().name()).append("** | ").append(inputs.isEmpty() ? "options only" : inputs).append(" |\n");
        }
        sb.append('\n');
    }

    private static String verdict(ChangeBehaviour.Verdict v) {
        return v.kind() == ChangeBehaviour.Kind.IGNORED
                ? "ignored (would " + v.wouldBe().label + ")" + v.ignoredBecause().map(r -> ": " + r).orElse("")
                : v.kind().label;
    }

    /** Changed resources whose every changed input is one `pulumi up` ignores (and no option changed). */
    static long onlyIgnored(PlanDiff d) {
        return d.behaviour().stream().filter(c -> c.kind() == ChangeBehaviour.Kind.IGNORED)
                .filter(c -> d.changed().stream().anyMatch(r -> r.key().equals(c.key()) && r.options().isEmpty()))
                .count();
    }

    /** "ignored by `pulumi up`: why" for one changed input, if it is ignored. */
    static Optional<String> ignoredNote(PlanDiff d, ResourceChange c, String path) {
        return d.behaviour().stream().filter(b -> b.key().equals(c.key())).flatMap(b -> b.verdicts().stream())
                .filter(v -> v.path().equals(path) && v.kind() == ChangeBehaviour.Kind.IGNORED).findFirst()
                .map(v -> "ignored by `pulumi up`: " + v.ignoredBecause().orElse("in ignoreChanges"));
    }

    private static void costText(StringBuilder sb, CostDelta c) {
        sb.append("estimated cost (").append(c.currency()).append(", on-demand, month = 730 h):");
        if (!c.beforeKnown()) {
            sb.append(" the earlier plan has no cost estimate");
        }
        sb.append('\n');
        sb.append(String.format(Locale.ROOT, "  %-16s %14s %14s   %s%n", "role", "before", "after", "change"));
        for (CostDelta.Row r : c.rows()) {
            costRowText(sb, r);
        }
        costRowText(sb, c.total());
        for (String line : untilRoll(c, false)) {
            sb.append("  ").append(line).append('\n');
        }
    }

    /**
     * "after" above is the cost once every machine runs the new settings; where `pulumi up` leaves control-plane
     * machines on their running instance type (ignored until a roll), what the stack costs meanwhile.
     */
    static List<String> untilRoll(CostDelta c, boolean markdown) {
        List<String> out = new java.util.ArrayList<>();
        java.math.BigDecimal totalRunningDelta = java.math.BigDecimal.ZERO;
        boolean known = true;
        for (CostDelta.UntilRoll u : c.untilRoll()) {
            String roll = "tf-controller".equals(u.role()) ? "controllers" : "masters";
            String m = markdown ? "`" : "";
            out.add(String.format(Locale.ROOT, "%s%s%s: `pulumi up` keeps the %d running machine%s on %s (instanceType is "
                            + "ignored until `kilonode roll %s`): %s after `pulumi up`, %s after the roll (%s)",
                    markdown ? "**" : "", u.role(), markdown ? "**" : "", u.machines(), u.machines() == 1 ? "" : "s",
                    m + u.runningType() + m, roll, hourly(u.hourlyRunning()),
                    c.rows().stream().filter(r -> r.role().equals(u.role())).findFirst().map(r -> hourly(r.hourlyAfter()))
                            .orElse("unknown"), m + u.newType() + m));
            if (u.hourlyDeltaUntilRoll().isPresent()) {
                totalRunningDelta = totalRunningDelta.add(u.hourlyDeltaUntilRoll().get());
            } else {
                known = false;
            }
        }
        if (!c.untilRoll().isEmpty()) {
            CostDelta.Row t = c.total();
            Optional<java.math.BigDecimal> running = known ? t.hourlyAfter().map(totalRunningDelta::add) : Optional.empty();
            Optional<java.math.BigDecimal> change = running.flatMap(r -> t.hourlyBefore().map(r::subtract));
            out.add(String.format(Locale.ROOT, "%stotal%s: %s after `pulumi up` (%s), %s after the roll",
                    markdown ? "**" : "", markdown ? "**" : "", hourly(running),
                    change.map(x -> x.signum() == 0 ? "unchanged" : signed(hourlyAmount(x)) + "/h").orElse("change unknown"),
                    hourly(t.hourlyAfter())));
        }
        return out;
    }

    private static void costRowText(StringBuilder sb, CostDelta.Row r) {
        String before = hourly(r.hourlyBefore()) + (r.partialBefore() ? "+" : "");
        String after = hourly(r.hourlyAfter()) + (r.partialAfter() ? "+" : "");
        String change = r.changed() ? delta(r) : "unchanged";
        sb.append(String.format(Locale.ROOT, "  %-16s %14s %14s   %s%n", r.role(), before, after, change));
        if ("total".equals(r.role()) && (r.partialBefore() || r.partialAfter())) {
            sb.append("  (+: partial, some prices unknown; see summary.json cost.total.missingPrices)\n");
        }
    }

    private static String delta(CostDelta.Row r) {
        Optional<BigDecimal> h = r.hourlyDelta();
        if (h.isEmpty()) {
            return "unknown";
        }
        String month = r.monthlyDelta().map(m -> signed(monthly(m))).orElse("unknown");
        return signed(hourlyAmount(h.get())) + "/h (" + month + "/month)";
    }

    // ---------------------------------------------------------------- markdown

    public static String markdown(PlanDiff d) {
        StringBuilder sb = new StringBuilder();
        sb.append("### kilonode plan diff: `").append(d.stack()).append("`\n\n");
        if (d.isEmpty()) {
            sb.append("**no changes** compared with `").append(d.beforeDir()).append("`.\n");
            return sb.toString();
        }
        sb.append("Compared `").append(d.beforeDir()).append("` → `").append(d.afterDir()).append("`: **")
                .append(d.added().size()).append(" added, ").append(d.removed().size()).append(" removed, ")
                .append(d.changed().size()).append(" changed** resources")
                .append(onlyIgnored(d) == 0 ? "" : " (" + onlyIgnored(d) + " only in inputs `pulumi up` ignores)")
                .append(" (").append(d.resourcesBefore()).append(" → ")
                .append(d.resourcesAfter()).append("), ").append(d.files().size()).append(" rendered file(s) changed");
        CostDelta.Row total = d.cost().total();
        if (total.changed()) {
            sb.append(", estimated cost ").append(total.hourlyDelta().isPresent() ? "**" + delta(total) + "**" : "unknown");
            if (!d.cost().untilRoll().isEmpty()) {
                sb.append(" once rolled (`pulumi up` alone keeps the running instance types: see the cost table)");
            }
        }
        sb.append(".\n\n");
        behaviourMarkdown(sb, d);

        if (!d.countsByType().isEmpty()) {
            sb.append("| resource type | added | removed | changed |\n|---|---:|---:|---:|\n");
            for (PlanDiff.TypeCount t : d.countsByType()) {
                sb.append("| `").append(t.type()).append("` | ").append(t.added()).append(" | ").append(t.removed())
                        .append(" | ").append(t.changed()).append(" |\n");
            }
            sb.append("| **total** | **").append(d.added().size()).append("** | **").append(d.removed().size())
                    .append("** | **").append(d.changed().size()).append("** |\n\n");
        }

        costMarkdown(sb, d.cost());

        if (!d.added().isEmpty()) {
            sb.append("#### Added\n\n");
            d.added().forEach(k -> sb.append("- `").append(k.type()).append("` **").append(k.name()).append("**\n"));
            sb.append('\n');
        }
        if (!d.removed().isEmpty()) {
            sb.append("#### Removed\n\n");
            d.removed().forEach(k -> sb.append("- `").append(k.type()).append("` **").append(k.name()).append("**\n"));
            sb.append('\n');
        }
        if (!d.changed().isEmpty()) {
            sb.append("#### Changed\n\n");
            for (ResourceChange c : d.changed()) {
                int n = c.inputs().size() + c.options().size();
                boolean fold = n > FOLD_INPUTS;
                String title = "`" + c.key().type() + "` **" + c.key().name() + "** (" + n + " change" + (n == 1 ? "" : "s") + ")";
                if (fold) {
                    sb.append("<details><summary>").append(title.replace("**", "")).append("</summary>\n\n");
                } else {
                    sb.append("- ").append(title).append("\n\n");
                }
                sb.append("| input | before | after |\n|---|---|---|\n");
                for (JsonChanges.Change ch : c.inputs()) {
                    if (USER_DATA_INPUTS.contains(ch.path()) && ch.before() != null && ch.after() != null) {
                        sb.append("| ").append(code(ch.path())).append(" | ").append(userDataNote(c)).append(" | |\n");
                    } else {
                        sb.append("| ").append(code(ch.path())).append(ignoredNote(d, c, ch.path())
                                        .map(note -> "<br>" + note.replace("|", "\\|")).orElse("")).append(" | ")
                                .append(code(value(ch.before()))).append(" | ").append(code(value(ch.after()))).append(" |\n");
                    }
                }
                for (JsonChanges.Change ch : c.options()) {
                    sb.append("| ").append(code("(option) " + ch.path().substring(1))).append(" | ")
                            .append(code(value(ch.before()))).append(" | ").append(code(value(ch.after()))).append(" |\n");
                }
                sb.append(fold ? "\n</details>\n\n" : "\n");
            }
        }
        if (!d.summaryChanges().isEmpty()) {
            sb.append("#### Settings and tuning\n\n| path | before | after |\n|---|---|---|\n");
            for (JsonChanges.Change ch : d.summaryChanges()) {
                String why = TuningDrivers.of(ch.path(), d.summaryChanges());
                sb.append("| ").append(code(ch.path())).append(why.isEmpty() ? "" : "<br>" + why.replace("|", "\\|")).append(" | ").append(code(value(ch.before()))).append(" | ")
                        .append(code(value(ch.after()))).append(" |\n");
            }
            sb.append('\n');
        }
        if (!d.files().isEmpty()) {
            sb.append("#### Rendered files (user-data, kubeadm, manifests)\n\n");
            for (FileDiff f : d.files()) {
                String head = "`" + f.path() + "` " + f.status().name().toLowerCase(Locale.ROOT) + " (+" + f.linesAdded()
                        + " −" + f.linesRemoved() + ")";
                String fence = fence(f.unified());
                boolean fold = f.unified().size() > FOLD_LINES;
                if (fold) {
                    sb.append("<details><summary>").append(head).append("</summary>\n\n");
                } else {
                    sb.append("##### ").append(head).append("\n\n");
                }
                sb.append(fence).append("diff\n");
                f.unified().forEach(l -> sb.append(l).append('\n'));
                sb.append(fence).append("\n");
                sb.append(fold ? "\n</details>\n\n" : "\n");
            }
        }
        return sb.toString();
    }

    private static void costMarkdown(StringBuilder sb, CostDelta c) {
        sb.append("#### Estimated cost (").append(c.currency()).append(", on-demand)\n\n");
        if (!c.beforeKnown()) {
            sb.append("The earlier plan has no cost estimate.\n\n");
        }
        sb.append("| role | before | after | change | change per month (730 h) |\n|---|---:|---:|---:|---:|\n");
        for (CostDelta.Row r : c.rows()) {
            costRowMarkdown(sb, r, false);
        }
        costRowMarkdown(sb, c.total(), true);
        List<String> untilRoll = untilRoll(c, true);
        if (!untilRoll.isEmpty()) {
            sb.append("\n\"after\" is the cost once the machines are rolled. Until then:\n\n");
            untilRoll.forEach(l -> sb.append("- ").append(l).append('\n'));
        }
        if (c.total().partialBefore() || c.total().partialAfter()) {
            sb.append("\n\\+ partial: some prices are unknown (summary.json `cost.total.missingPrices`).\n");
        }
        sb.append('\n');
    }

    private static void costRowMarkdown(StringBuilder sb, CostDelta.Row r, boolean bold) {
        String b = bold ? "**" : "";
        String hourChange = !r.changed() ? "—" : r.hourlyDelta().map(x -> signed(hourlyAmount(x)) + "/h").orElse("unknown");
        String monthChange = !r.changed() ? "—" : r.monthlyDelta().map(x -> signed(monthly(x))).orElse("unknown");
        sb.append("| ").append(b).append(r.role()).append(b).append(" | ")
                .append(hourly(r.hourlyBefore())).append(r.partialBefore() ? "+" : "").append(" | ")
                .append(hourly(r.hourlyAfter())).append(r.partialAfter() ? "+" : "").append(" | ")
                .append(b).append(hourChange).append(b).append(" | ")
                .append(b).append(monthChange).append(b).append(" |\n");
    }

    /** A code fence longer than any run of backticks in the content, so no line of it can close the fence. */
    static String fence(List<String> lines) {
        int longest = 0;
        for (String l : lines) {
            int run = 0;
            for (int i = 0; i < l.length(); i++) {
                run = l.charAt(i) == '`' ? run + 1 : 0;
                longest = Math.max(longest, run);
            }
        }
        return "`".repeat(Math.max(3, longest + 1));
    }

    /** A table cell: inline code, with pipes escaped (GitHub honours \| inside code spans in tables). */
    static String code(String s) {
        String v = s.replace("|", "\\|").replace("\r", "").replace("\n", "\\n");
        return v.contains("`") ? "`` " + v + " ``" : "`" + v + "`";
    }

    // ---------------------------------------------------------------- values

    private static String describe(JsonChanges.Change ch, ResourceChange c) {
        if (USER_DATA_INPUTS.contains(ch.path()) && ch.before() != null && ch.after() != null) {
            return userDataNote(c);
        }
        return value(ch.before()) + " -> " + value(ch.after());
    }

    private static String userDataNote(ResourceChange c) {
        String where = c.role() != null ? "userdata/" + c.role() + "*.yaml" : "the userdata/ diffs";
        return "(encoded user-data changed: see " + where + " below)";
    }

    /** Compact JSON; "(absent)" when the path does not exist on that side; long values shortened. */
    static String value(JsonNode n) {
        if (n == null) {
            return "(absent)";
        }
        String s = n.toString();
        if (s.length() <= MAX_VALUE) {
            return s;
        }
        return s.substring(0, MAX_VALUE - 40) + "…(" + s.length() + " chars)";
    }

    static String hourly(Optional<BigDecimal> v) {
        return v.map(x -> hourlyAmount(x) + "/h").orElse("unknown");
    }

    /** Up to 4 decimals, at least 2: $67.00, $0.266, $0.0225. */
    static String hourlyAmount(BigDecimal v) {
        BigDecimal x = v.setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
        if (x.scale() < 2) {
            x = x.setScale(2, RoundingMode.UNNECESSARY);
        }
        String digits = x.abs().toPlainString();
        int dot = digits.indexOf('.');
        String whole = String.format(Locale.ROOT, "%,d", Long.parseLong(digits.substring(0, dot)));
        return (x.signum() < 0 ? "-$" : "$") + whole + digits.substring(dot);
    }

    static String monthly(BigDecimal v) {
        BigDecimal x = v.setScale(2, RoundingMode.HALF_UP);
        return (x.signum() < 0 ? "-" : "") + String.format(Locale.ROOT, "$%,.2f", x.abs());
    }

    private static String signed(String amount) {
        return amount.startsWith("-") ? amount : "+" + amount;
    }

    private static String fileCounts(List<FileDiff> files) {
        long a = files.stream().filter(f -> f.status() == PlanDiff.FileStatus.ADDED).count();
        long r = files.stream().filter(f -> f.status() == PlanDiff.FileStatus.REMOVED).count();
        long c = files.stream().filter(f -> f.status() == PlanDiff.FileStatus.CHANGED).count();
        return String.format(Locale.ROOT, "%d changed, %d added, %d removed", c, a, r);
    }
}
