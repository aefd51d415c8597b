package dev.kilonode.config;

import com.pulumi.deployment.internal.DeploymentImpl;
import com.pulumi.deployment.internal.DeploymentInternal;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where raw stack settings come from: Pulumi's stack configuration under {@code pulumi up}, a map in tests.
 * Keys are full Pulumi keys ({@code kilonode:workerCount}); structured values (lists, objects) are JSON text,
 * exactly as the Pulumi CLI hands them to a program.
 */
public interface ConfigSource {

    Optional<String> get(String fullKey);

    /** Every key present, so that a key nobody reads (a typo) can be reported rather than ignored. */
    Set<String> keys();

    static ConfigSource of(Map<String, String> values) {
        return new ConfigSource() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(values.get(key));
            }

            @Override
            public Set<String> keys() {
                return new TreeSet<>(values.keySet());
            }
        };
    }

    /** Reads the {@code kilonode} namespace of a Pulumi {@link com.pulumi.Config}, and other namespaces by full key. */
    static ConfigSource of(com.pulumi.context.ConfigContext config) {
        return new ConfigSource() {
            @Override
            public Optional<String> get(String key) {
                int colon = key.indexOf(':');
                return config.config(key.substring(0, colon)).get(key.substring(colon + 1));
            }

            @Override
            public Set<String> keys() {
                return EngineConfig.keys();
            }
        };
    }

    /**
     * The keys the engine passed to the program. The SDK keeps them in {@code DeploymentImpl.Config} (filled from the
     * {@code PULUMI_CONFIG} environment variable under {@code pulumi up}, by the test harness in tests) and offers
     * lookup by key only, so we read its map; if a future SDK renames that method we parse {@code PULUMI_CONFIG}
     * with the SDK's own public parser.
     */
    final class EngineConfig {
        private EngineConfig() {
        }

        static Set<String> keys() {
            try {
                DeploymentImpl.Config config = DeploymentInternal.getInstance().getConfig();
                Method all = DeploymentImpl.Config.class.getDeclaredMethod("getAllConfig");
                all.setAccessible(true);
                return new TreeSet<>(((Map<?, ?>) all.invoke(config)).keySet().stream().map(String::valueOf).toList());
            } catch (ReflectiveOperationException | RuntimeException e) {
                return fromEnvironment(System.getenv("PULUMI_CONFIG"));
            }
        }

        /** PULUMI_CONFIG is a JSON object of full keys; old CLIs wrote {@code ns:config:key}, which the SDK reads as ns:key. */
        static Set<String> fromEnvironment(String json) {
            Set<String> keys = new TreeSet<>();
            if (json == null || json.isBlank()) {
                return keys;
            }
            try {
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).fieldNames().forEachRemaining(k -> {
                    String[] parts = k.split(":");
                    keys.add(parts.length == 3 && parts[1].equals("config") ? parts[0] + ":" + parts[2] : k);
                });
            } catch (java.io.IOException ex) {
                throw new IllegalStateException("PULUMI_CONFIG is not JSON", ex);
            }
            return keys;
        }
    }
}
