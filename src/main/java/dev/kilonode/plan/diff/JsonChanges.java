package dev.kilonode.plan.diff;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.TreeSet;

/**
 * The leaves that differ between two JSON values, as JSON-pointer paths (RFC 6901) with the old and new value.
 * Objects are compared key by key; arrays of the same length element by element; arrays whose length changed,
 * and values whose kind changed, are reported whole. Sorted by path.
 */
public final class JsonChanges {

    /** {@code before}/{@code after} are null when the path is absent on that side. */
    public record Change(String path, JsonNode before, JsonNode after) {
    }

    private JsonChanges() {
    }

    public static List<Change> between(JsonNode before, JsonNode after) {
        List<Change> out = new ArrayList<>();
        walk("", missingToNull(before), missingToNull(after), out);
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    private static void walk(String path, JsonNode a, JsonNode b, List<Change> out) {
        if (a == null && b == null) {
            return;
        }
        if (a == null || b == null) {
            out.add(new Change(path, a, b));
            return;
        }
        if (a.isObject() && b.isObject()) {
            TreeSet<String> keys = new TreeSet<>();
            a.fieldNames().forEachRemaining(keys::add);
            b.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                walk(path + "/" + escape(k), a.get(k), b.get(k), out);
            }
            return;
        }
        if (a.isArray() && b.isArray() && a.size() == b.size()) {
            Iterator<JsonNode> x = a.elements();
            Iterator<JsonNode> y = b.elements();
            for (int i = 0; x.hasNext(); i++) {
                walk(path + "/" + i, x.next(), y.next(), out);
            }
            return;
        }
        if (!equal(a, b)) {
            out.add(new Change(path, a, b));
        }
    }

    /** Numbers compare by value (3 and 3.0 are the same count). */
    private static boolean equal(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static JsonNode missingToNull(JsonNode n) {
        return n == null || n.isMissingNode() ? null : n;
    }

    /** RFC 6901: "~" is written "~0" and "/" is written "~1". */
    public static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }
}
