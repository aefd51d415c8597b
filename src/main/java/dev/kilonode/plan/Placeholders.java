package dev.kilonode.plan;

import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.SecretKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A stack whose secrets have not been created yet ({@code kilonode secrets init}) can still be planned offline:
 * the public certificates are a placeholder CA shipped with kilonode (its key was thrown away) and the secrets are
 * {@value ClusterSpecReader#PLACEHOLDER_SECRET}. The plan says so in its warnings; {@code pulumi up} refuses such a stack.
 */
public final class Placeholders {

    private Placeholders() {
    }

    /** Fills what is missing; returns the keys it filled. */
    public static List<String> fill(Map<String, String> config, Set<String> secretKeys) {
        List<String> filled = new ArrayList<>();
        for (String key : SecretKeys.PUBLIC) {
            if (!config.containsKey(key)) {
                config.put(key, key.equals(SecretKeys.SERVICE_ACCOUNT_PUB) ? resource("placeholder-sa.pub") : resource("placeholder-ca.crt"));
                filled.add(key);
            }
        }
        for (String key : SecretKeys.ALL) {
            if (!config.containsKey(key)) {
                config.put(key, ClusterSpecReader.PLACEHOLDER_SECRET);
                secretKeys.add(key);
                filled.add(key);
            }
        }
        return filled;
    }

    private static String resource(String name) {
        try (InputStream in = Placeholders.class.getResourceAsStream("/plan/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing /plan/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
