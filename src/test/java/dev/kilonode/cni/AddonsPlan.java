package dev.kilonode.cni;

import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResourceOptions;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;
import dev.kilonode.config.SecretKeys;
import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.plan.StackFile;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Runs {@link ClusterAddons#deploy} alone under the plan engine (the SDK's mocks) with a committed stack's settings,
 * as KilonodeStack will call it, and gives the registered resources to the tests.
 */
final class AddonsPlan {

    /** Where Pulumi reaches the API (the public load balancer) and where pods do (the internal one): distinct on purpose. */
    static final String API_URL = "https://kilonode-api-public-9876543210.elb.us-east-1.amazonaws.com:6443";
    static final String INTERNAL_API_URL = "https://kilonode-api-0123456789.elb.us-east-1.amazonaws.com:6443";
    /** A stand-in admin key that must never show up in any plan output. */
    static final String FAKE_ADMIN_KEY = "-----BEGIN EC PRIVATE KEY-----\nTHIS-IS-THE-TEST-ADMIN-KEY-0451\n-----END EC PRIVATE KEY-----\n";

    final ClusterSpec spec;
    final TuningProfile tuning;
    final PlanEngine.Result result;

    private AddonsPlan(ClusterSpec spec, TuningProfile tuning, PlanEngine.Result result) {
        this.spec = spec;
        this.tuning = tuning;
        this.result = result;
    }

    static Map<String, String> config(String stack, Map<String, String> overrides) {
        try {
            StackFile file = StackFile.read(Path.of("Pulumi." + stack + ".yaml"));
            Map<String, String> config = new TreeMap<>(file.config());
            for (String key : SecretKeys.PUBLIC) {
                config.putIfAbsent(key, resource(key.equals(SecretKeys.SERVICE_ACCOUNT_PUB)
                        ? "/plan/placeholder-sa.pub" : "/plan/placeholder-ca.crt"));
            }
            for (String key : SecretKeys.ALL) {
                config.putIfAbsent(key, ClusterSpecReader.PLACEHOLDER_SECRET);
            }
            config.putAll(overrides);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static AddonsPlan run(String stack) {
        return run(stack, Map.of());
    }

    static AddonsPlan run(String stack, Map<String, String> overrides) {
        Map<String, String> config = config(stack, overrides);
        Set<String> secretKeys = new LinkedHashSet<>(SecretKeys.ALL);
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(config), stack);
        TuningProfile tuning = TuningProfile.forCluster(ClusterSize.of(spec));
        Consumer<com.pulumi.Context> program = ctx -> ClusterAddons.deploy(spec, tuning, Output.of(API_URL),
                Output.of(INTERNAL_API_URL), Output.ofSecret(FAKE_ADMIN_KEY), List.of(), ComponentResourceOptions.Empty);
        PlanEngine.Result result = PlanEngine.run(stack, spec.region(), config, secretKeys, program);
        if (result.exitCode() != 0 || !result.errors().isEmpty()) {
            throw new AssertionError("program failed: " + result.errors());
        }
        return new AddonsPlan(spec, tuning, result);
    }

    List<PlannedResource> resources() {
        return result.resources();
    }

    List<PlannedResource> kubernetesObjects() {
        return result.resources().stream().filter(r -> r.type().startsWith("kubernetes:")).toList();
    }

    PlannedResource object(String kind, String name) {
        List<PlannedResource> found = kubernetesObjects().stream()
                .filter(r -> kind.equals(r.inputs().get("kind")) && name.equals(metadata(r).get("name"))).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + kind + "/" + name + ", found " + found.size() + " among "
                    + kubernetesObjects().stream().map(r -> r.inputs().get("kind") + "/" + metadata(r).get("name"))
                    .collect(Collectors.joining(", ")));
        }
        return found.get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> metadata(PlannedResource r) {
        return (Map<String, Object>) r.inputs().getOrDefault("metadata", Map.of());
    }

    /** Follows a path of map keys and list indexes through a resource's inputs. */
    @SuppressWarnings("unchecked")
    static <T> T at(Object root, Object... path) {
        Object node = root;
        for (Object step : path) {
            if (node instanceof Map<?, ?> m) {
                node = m.get(step);
            } else if (node instanceof List<?> l && step instanceof Integer i) {
                node = l.get(i);
            } else {
                throw new AssertionError("cannot follow " + step + " in " + node);
            }
        }
        return (T) node;
    }

    private static String resource(String name) {
        try (InputStream in = AddonsPlan.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
