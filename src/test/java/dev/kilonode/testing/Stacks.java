package dev.kilonode.testing;

import dev.kilonode.KilonodeStack;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;
import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.plan.Placeholders;
import dev.kilonode.plan.StackFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/** Test fixtures: the committed stack files, variations of them, and the program run under the mock engine. */
public final class Stacks {

    private Stacks() {
    }

    /** The settings of Pulumi.<stack>.yaml with the plan's placeholder PKI, as a mutable map. */
    public static Map<String, String> config(String stack) {
        try {
            StackFile file = StackFile.read(Path.of("Pulumi." + stack + ".yaml"));
            Map<String, String> config = new TreeMap<>(file.config());
            Placeholders.fill(config, new LinkedHashSet<>(file.secretKeys()));
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ClusterSpec spec(String stack, Map<String, String> config) {
        return ClusterSpecReader.read(ConfigSource.of(config), stack);
    }

    /**
     * The spec as the program renders it in the "cluster" phase: every image from a fixture lock (registry of
     * account {@value FixtureLocks#ACCOUNT}, fake digests), as components see it.
     */
    public static ClusterSpec mirroredSpec(String stack, Map<String, String> config) {
        ClusterSpec spec = spec(stack, config);
        return spec.withImages(dev.kilonode.images.ImageRefs.mirrored(dev.kilonode.images.ImageCatalog.of(spec),
                dev.kilonode.images.ImageCatalog.prefix(spec), FixtureLocks.forSpec(spec)));
    }

    /**
     * The program run with an image lock complete for this config (a test fixture, {@link FixtureLocks}), so the
     * whole cluster is registered, whatever versions the test sets.
     */
    public static Plan plan(String stack, Map<String, String> config) {
        return plan(dev.kilonode.config.DeclaredSettings.project().projectName(), stack, config);
    }

    /**
     * The program run as project {@code project} (what ctx.projectName() returns under the engine), with an image
     * lock complete for this config (a test fixture, {@link FixtureLocks}), so the whole cluster is registered,
     * whatever versions the test sets.
     */
    public static Plan plan(String project, String stack, Map<String, String> config) {
        ClusterSpec spec = spec(stack, config);
        if (!spec.project().equals(project)) {
            spec = ClusterSpecReader.read(ConfigSource.of(config), project, stack);
        }
        return plan(project, stack, config, FixtureLocks.directoryFor(spec));
    }

    /** The program run with {@code images/<stack>.lock.json} read from {@code lockDir}. */
    public static Plan plan(String stack, Map<String, String> config, Path lockDir) {
        return plan(dev.kilonode.config.DeclaredSettings.project().projectName(), stack, config, lockDir);
    }

    public static Plan plan(String project, String stack, Map<String, String> config, Path lockDir) {
        Set<String> secrets = new LinkedHashSet<>();
        config.keySet().stream().filter(k -> dev.kilonode.config.SecretKeys.ALL.contains(k)).forEach(secrets::add);
        PlanEngine.Result result = PlanEngine.run(project, stack, spec(stack, config).region(), config, secrets,
                ctx -> KilonodeStack.define(ctx, lockDir));
        if (!result.errors().isEmpty()) {
            throw new AssertionError("program failed: " + result.errors());
        }
        return new Plan(result.resources());
    }

    public static Plan plan(String stack) {
        return plan(stack, config(stack));
    }

    /** A planned stack with lookups. */
    public record Plan(List<PlannedResource> resources) {

        public List<PlannedResource> ofType(String type) {
            return resources.stream().filter(r -> r.type().equals(type)).toList();
        }

        public PlannedResource one(String type, Predicate<PlannedResource> which) {
            List<PlannedResource> found = resources.stream().filter(r -> r.type().equals(type)).filter(which).toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one " + type + ", found " + found.size());
            }
            return found.get(0);
        }

        public PlannedResource named(String type, String name) {
            return one(type, r -> r.name().equals(name));
        }
    }

    @SuppressWarnings("unchecked")
    public static <T> T at(Object root, String... path) {
        Object cur = root;
        for (String p : path) {
            if (cur instanceof Map<?, ?> m) {
                cur = m.get(p);
            } else if (cur instanceof List<?> l) {
                cur = l.get(Integer.parseInt(p));
            } else {
                return null;
            }
        }
        return (T) cur;
    }
}
