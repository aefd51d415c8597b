package dev.kilonode.config;

import java.util.Map;
import java.util.Optional;

/**
 * Where raw stack settings come from: Pulumi's stack configuration under {@code pulumi up}, a map in tests.
 * Keys are full Pulumi keys ({@code kilonode:workerCount}); structured values (lists, objects) are JSON text,
 * exactly as the Pulumi CLI hands them to a program.
 */
@FunctionalInterface
public interface ConfigSource {

    Optional<String> get(String fullKey);

    static ConfigSource of(Map<String, String> values) {
        return key -> Optional.ofNullable(values.get(key));
    }

    /** Reads the {@code kilonode} namespace of a Pulumi {@link com.pulumi.Config}, and other namespaces by full key. */
    static ConfigSource of(com.pulumi.context.ConfigContext config) {
        return key -> {
            int colon = key.indexOf(':');
            return config.config(key.substring(0, colon)).get(key.substring(colon + 1));
        };
    }
}
