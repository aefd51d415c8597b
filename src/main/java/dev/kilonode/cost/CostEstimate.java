package dev.kilonode.cost;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.RoleSpec;
import dev.kilonode.config.WorkerGroupSpec;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Estimated on-demand cost of a cluster, from its {@link ClusterSpec} and a {@link Pricing} table: per role
 * (tf-controller, master, each worker group by its role name, network = NAT gateways + load balancers,
 * storage = gp3 root volumes) and in total, per hour and per month of {@value #HOURS_PER_MONTH} hours.
 * Excludes traffic (NAT/NLB data processing, data transfer), LCUs, snapshots and the S3 backups.
 * A role whose price is not in the table is "unknown" (never 0) and the total then says it is partial.
 */
public record CostEstimate(String region, String currency, String pricesRetrieved, List<Line> lines) {

    public static final int HOURS_PER_MONTH = 730;
    public static final String NETWORK = "network";
    public static final String STORAGE = "storage";
    public static final String UNKNOWN = "unknown";

    /**
     * One role's cost. {@code hourly} is empty when a price it needs is unknown; {@code missing} then names the
     * price(s) not found, e.g. {@code instances.eu-west-1.m3.medium}.
     */
    public record Line(String role, Map<String, Object> detail, Optional<BigDecimal> hourly, List<String> missing) {

        public Optional<BigDecimal> monthly() {
            return hourly.map(h -> h.multiply(BigDecimal.valueOf(HOURS_PER_MONTH)));
        }
    }

    public static CostEstimate of(ClusterSpec spec, Pricing pricing) {
        String region = spec.region();
        List<Line> lines = new ArrayList<>();
        lines.add(machines("tf-controller", spec.controllers().count(), spec.controllers(), region, pricing));
        lines.add(machines("master", spec.masters().count(), spec.masters(), region, pricing));
        for (WorkerGroupSpec g : spec.workerGroups()) {
            int n = spec.desiredCount(g);
            String type = g.instanceType().name();
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("count", n);
            d.put("instanceType", type);
            d.put("parked", spec.parked());
            lines.add(priced(g.role(), d, n, pricing.instanceHourly(region, type), "instances." + region + "." + type));
        }
        lines.add(network(spec, region, pricing));
        lines.add(storage(spec, region, pricing));
        return new CostEstimate(region, pricing.currency(), pricing.retrieved(), List.copyOf(lines));
    }

    /** NAT gateways: one per zone in production, else one (see network.Network). NLBs: internal + public if any CIDR. */
    public static int natGateways(ClusterSpec spec) {
        return spec.production() ? spec.availabilityZones().size() : 1;
    }

    public static int loadBalancers(ClusterSpec spec) {
        boolean publicLb = !spec.network().apiAllowedCidrs().isEmpty() || !spec.network().webUiAllowedCidrs().isEmpty();
        return 1 + (publicLb ? 1 : 0);
    }

    /** Root volume GB that exist: controllers, masters, and the workers actually running (none while parked). */
    public static long rootVolumeGb(ClusterSpec spec) {
        long gb = (long) spec.controllers().count() * spec.controllers().rootVolumeGb()
                + (long) spec.masters().count() * spec.masters().rootVolumeGb();
        for (WorkerGroupSpec g : spec.workerGroups()) {
            gb += (long) spec.desiredCount(g) * g.rootVolumeGb();
        }
        return gb;
    }

    private static Line machines(String role, int count, RoleSpec r, String region, Pricing pricing) {
        String type = r.instanceType().name();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("count", count);
        d.put("instanceType", type);
        return priced(role, d, count, pricing.instanceHourly(region, type), "instances." + region + "." + type);
    }

    private static Line priced(String role, Map<String, Object> detail, long count, Optional<BigDecimal> each,
                               String key) {
        each.ifPresent(p -> detail.put("hourlyEach", p));
        if (count == 0) {
            // Nothing runs (parked, or a group of 0): it costs nothing whether or not we know the price.
            return new Line(role, detail, Optional.of(BigDecimal.ZERO), List.of());
        }
        return each.isPresent()
                ? new Line(role, detail, Optional.of(each.get().multiply(BigDecimal.valueOf(count))), List.of())
                : new Line(role, detail, Optional.empty(), List.of(key));
    }

    private static Line network(ClusterSpec spec, String region, Pricing pricing) {
        int nats = natGateways(spec);
        int lbs = loadBalancers(spec);
        Optional<BigDecimal> nat = pricing.other(region, Pricing.NAT_GATEWAY);
        Optional<BigDecimal> nlb = pricing.other(region, Pricing.NLB);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("natGateways", nats);
        nat.ifPresent(p -> d.put("natGatewayHourly", p));
        d.put("loadBalancers", lbs);
        nlb.ifPresent(p -> d.put("loadBalancerHourly", p));
        List<String> missing = new ArrayList<>();
        if (nat.isEmpty()) {
            missing.add("other." + region + "." + Pricing.NAT_GATEWAY);
        }
        if (nlb.isEmpty()) {
            missing.add("other." + region + "." + Pricing.NLB);
        }
        if (!missing.isEmpty()) {
            return new Line(NETWORK, d, Optional.empty(), List.copyOf(missing));
        }
        BigDecimal hourly = nat.get().multiply(BigDecimal.valueOf(nats)).add(nlb.get().multiply(BigDecimal.valueOf(lbs)));
        return new Line(NETWORK, d, Optional.of(hourly), List.of());
    }

    private static Line storage(ClusterSpec spec, String region, Pricing pricing) {
        long gb = rootVolumeGb(spec);
        Optional<BigDecimal> perGbMonth = pricing.other(region, Pricing.GP3_GB_MONTH);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("volumeType", "gp3");
        d.put("rootVolumeGb", gb);
        perGbMonth.ifPresent(p -> d.put("gbMonth", p));
        if (gb == 0) {
            return new Line(STORAGE, d, Optional.of(BigDecimal.ZERO), List.of());
        }
        if (perGbMonth.isEmpty()) {
            return new Line(STORAGE, d, Optional.empty(), List.of("other." + region + "." + Pricing.GP3_GB_MONTH));
        }
        // Billed per GB-month; per hour is that over the same 730-hour month.
        BigDecimal hourly = perGbMonth.get().multiply(BigDecimal.valueOf(gb))
                .divide(BigDecimal.valueOf(HOURS_PER_MONTH), 6, RoundingMode.HALF_UP);
        return new Line(STORAGE, d, Optional.of(hourly), List.of());
    }

    public Optional<Line> line(String role) {
        return lines.stream().filter(l -> l.role().equals(role)).findFirst();
    }

    /** Sum of what is known. */
    public BigDecimal knownHourly() {
        return lines.stream().flatMap(l -> l.hourly().stream()).reduce(BigDecimal.ZERO, BigDecimal::add);
    }

    public boolean partial() {
        return lines.stream().anyMatch(l -> l.hourly().isEmpty());
    }

    public List<String> missingPrices() {
        return lines.stream().flatMap(l -> l.missing().stream()).distinct().sorted().toList();
    }

    /** The {@code summary.json} "cost" object. Money is rounded to 4 decimals per hour and 2 per month. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("currency", currency);
        m.put("pricing", "on-demand");
        m.put("region", region);
        m.put("pricesRetrieved", pricesRetrieved);
        m.put("hoursPerMonth", HOURS_PER_MONTH);
        m.put("excludes", "data processing and transfer, load balancer capacity units, snapshots, S3");
        Map<String, Object> roles = new LinkedHashMap<>();
        for (Line l : lines) {
            Map<String, Object> r = new LinkedHashMap<>(l.detail());
            r.replaceAll((k, v) -> v instanceof BigDecimal b ? b.doubleValue() : v);
            r.put("hourly", l.hourly().<Object>map(CostEstimate::hourlyNumber).orElse(UNKNOWN));
            r.put("monthly", l.monthly().<Object>map(CostEstimate::monthlyNumber).orElse(UNKNOWN));
            if (!l.missing().isEmpty()) {
                r.put("missingPrices", l.missing());
            }
            roles.put(l.role(), r);
        }
        m.put("roles", roles);
        Map<String, Object> total = new LinkedHashMap<>();
        BigDecimal known = knownHourly();
        total.put("hourly", hourlyNumber(known));
        total.put("monthly", monthlyNumber(known.multiply(BigDecimal.valueOf(HOURS_PER_MONTH))));
        total.put("partial", partial());
        if (partial()) {
            total.put("unknownRoles", lines.stream().filter(l -> l.hourly().isEmpty()).map(Line::role).toList());
            total.put("missingPrices", missingPrices());
        }
        m.put("total", total);
        return m;
    }

    static double hourlyNumber(BigDecimal b) {
        return b.setScale(4, RoundingMode.HALF_UP).doubleValue();
    }

    static double monthlyNumber(BigDecimal b) {
        return b.setScale(2, RoundingMode.HALF_UP).doubleValue();
    }

    /**
     * One line for the human summary, e.g.
     * {@code cost: $67.00/h worker (1000 x m3.medium), $0.27/h tf-controller, ... total $70.92/h ≈ $51,770/month}.
     * The largest roles come first so a big stack's cost is obvious.
     */
    public String summaryLine() {
        StringBuilder sb = new StringBuilder("cost (on-demand, ").append(region).append(", prices of ")
                .append(pricesRetrieved).append("): ");
        List<Line> sorted = new ArrayList<>(lines);
        sorted.sort((a, b) -> {
            BigDecimal x = a.hourly().orElse(BigDecimal.valueOf(Long.MAX_VALUE));
            BigDecimal y = b.hourly().orElse(BigDecimal.valueOf(Long.MAX_VALUE));
            int c = y.compareTo(x);
            return c != 0 ? c : a.role().compareTo(b.role());
        });
        List<String> parts = new ArrayList<>();
        for (Line l : sorted) {
            String what = l.role();
            Object count = l.detail().get("count");
            Object type = l.detail().get("instanceType");
            if (count != null && type != null) {
                what += " (" + count + " x " + type + ")";
            }
            parts.add(l.hourly().map(h -> money(h) + "/h " ).orElse("unknown ") + what);
        }
        sb.append(String.join(", ", parts));
        BigDecimal total = knownHourly();
        if (partial() && total.signum() == 0) {
            // Nothing priced (typically a region missing from the price table): a total of $0.00 would be a lie.
            return sb.append("; total unknown: no on-demand prices for ").append(region).append(" (missing: ")
                    .append(String.join(", ", missingPrices())).append(")").toString();
        }
        sb.append("; total ").append(partial() ? "at least " : "").append(money(total)).append("/h ≈ ")
                .append(wholeMoney(total.multiply(BigDecimal.valueOf(HOURS_PER_MONTH)))).append("/month");
        if (partial()) {
            sb.append(" (partial: no price for ").append(String.join(", ", missingPrices())).append(")");
        }
        return sb.toString();
    }

    public static String money(BigDecimal b) {
        return String.format(Locale.ROOT, "$%,.2f", b.setScale(2, RoundingMode.HALF_UP));
    }

    public static String wholeMoney(BigDecimal b) {
        return String.format(Locale.ROOT, "$%,d", b.setScale(0, RoundingMode.HALF_UP).longValueExact());
    }
}
