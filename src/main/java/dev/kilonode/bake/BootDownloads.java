package dev.kilonode.bake;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a node downloads at boot, per input, from {@code bake/boot-downloads.json}: one row per package, index, file or
 * image with the size its public page displays (or a neighbouring version's, or none when it was not found), who
 * downloads it, over which network path, whether it is skipped on a baked node and whether the stock AMI may already
 * hold it. {@link #figure} adds the rows up for a node role and image; a row without a size never counts as zero: it
 * turns the sum into a lower bound and is named in {@link Sum#notFound()}.
 *
 * <p>Nothing here was measured. The README's "Per-node downloads at boot" table is this class's output
 * ({@code BootDownloadsFigureTest} keeps the two equal).
 */
public record BootDownloads(String asOf, List<Row> rows) {

    public enum Role { worker, master }

    /** Which boot path: the stock AMI installs at boot; the baked image (marker matching) skips what it holds. */
    public enum NodeImage { stock, baked }

    /** nat: the NAT gateway to the internet; endpoints: the stack's ECR and artifacts bucket through the VPC endpoints. */
    public enum Path { nat, endpoints }

    /** always: never on a stock 24.04 AMI; ifAbsentFromAmi: downloaded only when the AMI lacks this version. */
    public enum When { always, ifAbsentFromAmi }

    public enum Obtained { page, neighbour, notFound }

    public enum Baked { skipped, downloaded }

    /**
     * One input. {@code size} is the text the source page displays ("27,485.8 kB", "300.9 MB"), null when not found.
     */
    public record Row(String id, String what, String kind, String version, String size, String source,
                      Obtained obtained, String note, List<Role> roles, Path path, When when, Baked baked) {

        public Row {
            if (id == null || id.isBlank() || what == null || what.isBlank()) {
                throw new IllegalArgumentException("boot-downloads row without id or what: " + id);
            }
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("boot-downloads row " + id + ": no source (say 'not found: ...')");
            }
            if ((obtained == Obtained.notFound) != (size == null)) {
                throw new IllegalArgumentException("boot-downloads row " + id + ": obtained " + obtained
                        + " but size " + size + " (a size needs a page or neighbour; notFound has none)");
            }
            if (obtained != Obtained.notFound && !source.startsWith("https://")) {
                throw new IllegalArgumentException("boot-downloads row " + id + ": a size needs the page's address, got " + source);
            }
            if (obtained == Obtained.neighbour && (note == null || note.isBlank())) {
                throw new IllegalArgumentException("boot-downloads row " + id + ": a neighbouring version needs the difference in 'note'");
            }
            if (roles == null || roles.isEmpty() || path == null || when == null || baked == null) {
                throw new IllegalArgumentException("boot-downloads row " + id + ": roles, path, when and baked are required");
            }
            roles = List.copyOf(roles);
            if (size != null) {
                parseBytes(size);
            }
        }

        /** The displayed size in bytes (decimal units), or empty when the size was not found. */
        public OptionalLong bytes() {
            return size == null ? OptionalLong.empty() : OptionalLong.of(parseBytes(size));
        }

        boolean downloadedBy(Role role, NodeImage image) {
            return roles.contains(role) && (image == NodeImage.stock || baked == Baked.downloaded);
        }
    }

    /**
     * The rows one node downloads on one path under one condition: the bytes of those with a size, and those without
     * one (each makes {@link #knownBytes} a lower bound).
     */
    public record Sum(long knownBytes, List<Row> counted, List<Row> notFound) {

        public boolean lowerBound() {
            return !notFound.isEmpty();
        }

        public boolean empty() {
            return counted.isEmpty() && notFound.isEmpty();
        }

        public Sum times(long nodes) {
            return new Sum(knownBytes * nodes, counted, notFound);
        }

        /** "at least 64.6 MB, plus 5 inputs not found", "64.6 MB", "0 B" (nothing to download). */
        public String describe() {
            if (empty()) {
                return "0 B";
            }
            if (!lowerBound()) {
                return humanBytes(knownBytes);
            }
            return "at least " + humanBytes(knownBytes) + ", plus " + notFound.size()
                    + (notFound.size() == 1 ? " input" : " inputs") + " not found";
        }
    }

    /** One node's boot downloads: what it always fetches, per path, and what it fetches only if the AMI lacks it. */
    public record Figure(Role role, NodeImage image, Sum natAlways, Sum natIfAbsentFromAmi, Sum endpoints) {

        public Figure times(long nodes) {
            return new Figure(role, image, natAlways.times(nodes), natIfAbsentFromAmi.times(nodes), endpoints.times(nodes));
        }
    }

    // Before TABLE: loading the table parses every size.
    private static final Pattern SIZE = Pattern.compile("([0-9][0-9,]*(?:\\.[0-9]+)?) (B|kB|KB|MB|GB)");

    private record File(String comment, String asOf, String units, Map<String, String> fields, List<Row> rows) {
    }

    private static final BootDownloads TABLE = load("/bake/boot-downloads.json");

    public static BootDownloads table() {
        return TABLE;
    }

    static BootDownloads load(String resource) {
        try (InputStream in = BootDownloads.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no resource " + resource);
            }
            return parse(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static BootDownloads parse(InputStream json) throws IOException {
        File f = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(json, File.class);
        return new BootDownloads(f.asOf(), List.copyOf(f.rows()));
    }

    public BootDownloads {
        rows = List.copyOf(rows);
        List<String> ids = new ArrayList<>();
        for (Row r : rows) {
            if (ids.contains(r.id())) {
                throw new IllegalArgumentException("boot-downloads: duplicate row " + r.id());
            }
            ids.add(r.id());
        }
    }

    public Figure figure(Role role, NodeImage image) {
        return new Figure(role, image, sum(role, image, Path.nat, When.always),
                sum(role, image, Path.nat, When.ifAbsentFromAmi), sum(role, image, Path.endpoints, null));
    }

    /** {@code when} null: both conditions. */
    public Sum sum(Role role, NodeImage image, Path path, When when) {
        long bytes = 0;
        List<Row> counted = new ArrayList<>();
        List<Row> missing = new ArrayList<>();
        for (Row r : rows) {
            if (!r.downloadedBy(role, image) || r.path() != path || (when != null && r.when() != when)) {
                continue;
            }
            OptionalLong b = r.bytes();
            if (b.isPresent()) {
                bytes += b.getAsLong();
                counted.add(r);
            } else {
                missing.add(r);
            }
        }
        return new Sum(bytes, List.copyOf(counted), List.copyOf(missing));
    }

    /**
     * The largest single image a node of this role pulls with a known size: every layer of it must cross the path at
     * least once, so it bounds the images' transfer from below even where layers are shared.
     */
    public OptionalLong largestImage(Role role, NodeImage image) {
        return rows.stream().filter(r -> r.downloadedBy(role, image) && "image".equals(r.kind()))
                .map(Row::bytes).filter(OptionalLong::isPresent).mapToLong(OptionalLong::getAsLong).max();
    }

    /** "27,485.8 kB" -> 27485800; units read as decimal (the README states the convention). */
    static long parseBytes(String shown) {
        Matcher m = SIZE.matcher(shown.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("boot-downloads: size '" + shown + "' is not '<number> B|kB|KB|MB|GB'");
        }
        BigDecimal value = new BigDecimal(m.group(1).replace(",", ""));
        long factor = switch (m.group(2)) {
            case "B" -> 1L;
            case "kB", "KB" -> 1_000L;
            case "MB" -> 1_000_000L;
            default -> 1_000_000_000L;
        };
        return value.multiply(BigDecimal.valueOf(factor)).setScale(0, java.math.RoundingMode.HALF_UP).longValueExact();
    }

    /** Decimal, one decimal place: "64.6 MB", "325.2 GB", "12 B". */
    public static String humanBytes(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB"};
        double v = bytes;
        int u = 0;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Seconds to move {@code bytes} at {@code bitsPerSecond}, nothing else counted (no latency, no contention). */
    public static double transferSeconds(long bytes, long bitsPerSecond) {
        return bytes * 8.0 / bitsPerSecond;
    }
}
