package dev.kilonode.plan;

import com.pulumi.Context;
import com.pulumi.resources.Resource;
import com.pulumi.resources.ResourceTransformation;
import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.TestResult;
import com.pulumi.test.internal.PulumiTestInternal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.logging.Level;

/**
 * Runs the real stack program under the Pulumi Java SDK's mock engine: no CLI, no cloud, no network. Records every
 * registered resource with its inputs (from the mock monitor) and its parent and {@code protect} option (from a
 * resource transformation, the only place the SDK shows them).
 */
public final class PlanEngine {

    /**
     * {@code propertyDependencies}: in a preview, per resource ("type::name"), the resources each input depends on
     * ("type::name"), as the SDK declares them in the RegisterResourceRequest; the engine hands them to stack policies
     * ({@code PolicyResource.propertyDependencies}). Empty outside a preview.
     */
    public record Result(List<PlannedResource> resources, List<String> errors, int exitCode,
                         Map<String, Map<String, List<String>>> propertyDependencies) {

        public Result(List<PlannedResource> resources, List<String> errors, int exitCode) {
            this(resources, errors, exitCode, Map.of());
        }
    }

    private PlanEngine() {
    }

    public static Result run(String stack, String region, Map<String, String> config, Set<String> secretKeys,
                             Consumer<Context> program) {
        return run(dev.kilonode.config.DeclaredSettings.project().projectName(), stack, region, config, secretKeys, program);
    }

    /** Runs {@code program} as project {@code project}'s stack {@code stack} (ctx.projectName() under the engine). */
    public static Result run(String project, String stack, String region, Map<String, String> config,
                             Set<String> secretKeys, Consumer<Context> program) {
        return run(project, stack, region, config, secretKeys, program, false);
    }

    /**
     * With {@code preview}, runs the program as `pulumi preview` of a new stack does: creates get no id and no
     * computed outputs (the SDK's preview mode turns them into unknowns), and each resource's inputs are recorded
     * from the RegisterResource request itself (see {@link PreviewInputs}), so an input that depends on an unknown
     * carries the engine's unknown sentinel where the SDK put it instead of being dropped, which is what the
     * mock monitor's deserializer does with unknowns.
     */
    public static Result run(String project, String stack, String region, Map<String, String> config,
                             Set<String> secretKeys, Consumer<Context> program, boolean preview) {
        Map<String, Map<String, Object>> inputs = new ConcurrentHashMap<>();
        Map<String, pulumirpc.Resource.RegisterResourceRequest> requests = new ConcurrentHashMap<>();
        Map<String, String> ids = new ConcurrentHashMap<>();
        Map<String, String> parents = new ConcurrentHashMap<>();
        Map<String, Boolean> protect = new ConcurrentHashMap<>();
        Map<String, RecordedOptions> resourceOptions = new ConcurrentHashMap<>();
        MockCloud cloud = new MockCloud(region);
        Mocks recording = new Mocks() {
            @Override
            public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
                inputs.put(key(args.type, args.name), normalize(args.inputs));
                if (preview) {
                    // A create under preview: the provider only echoes the inputs; ids and computed outputs are unknown.
                    return CompletableFuture.completedFuture(ResourceResult.of(Optional.empty(), args.inputs));
                }
                return cloud.newResourceAsync(args).thenApply(result -> {
                    result.id.ifPresent(id -> ids.put(key(args.type, args.name), id));
                    return result;
                });
            }

            @Override
            public CompletableFuture<Map<String, Object>> callAsync(CallArgs args) {
                return cloud.callAsync(args);
            }
        };
        String root = project + "-" + stack; // the engine names the root stack resource <project>-<stack>
        Map<String, Map<String, CompletableFuture<Boolean>>> secretProbes = new ConcurrentHashMap<>();
        ResourceTransformation recordOptions = args -> {
            Resource r = args.resource();
            String k = key(r.pulumiResourceType(), r.pulumiResourceName());
            secretProbes.put(k, secretProbes(args.args()));
            Optional<Resource> parent = args.options().getParent();
            parents.put(k, parent.map(Resource::pulumiResourceName).orElse(root));
            boolean inherited = parent.map(p -> protect.getOrDefault(key(p.pulumiResourceType(), p.pulumiResourceName()), false))
                    .orElse(false);
            protect.put(k, args.options().getProtect().orElse(inherited));
            resourceOptions.put(k, RecordedOptions.of(args.options()));
            return Optional.empty();
        };
        TestOptions options = TestOptions.builder()
                .projectName(project)
                .stackName(stack)
                .preview(preview)
                .resourceTransformations(List.of(recordOptions))
                .build();
        TestResult result;
        try {
            result = PulumiTestInternal.builder()
                    .options(options)
                    .mocks(recording)
                    .monitorDecorator(preview ? monitor -> PreviewInputs.recording(recording, requests) : monitor -> monitor)
                    .standardLogger(PulumiTestInternal.logger(Level.SEVERE))
                    .config(config, secretKeys)
                    .build()
                    .runTest(program);
        } finally {
            PulumiTest.cleanup();
        }
        List<PlannedResource> resources = new ArrayList<>();
        for (Resource r : result.resources()) {
            String k = key(r.pulumiResourceType(), r.pulumiResourceName());
            if (preview && requests.containsKey(k)) {
                inputs.put(k, PreviewInputs.of(requests.get(k).getObject()));
            }
            inputs.computeIfPresent(k, (key, in) -> maskSecrets(in, secretProbes.getOrDefault(key, Map.of())));
            String parent = r.pulumiResourceType().equals("pulumi:pulumi:Stack") ? null : parents.getOrDefault(k, root);
            resources.add(new PlannedResource(r.pulumiResourceType(), r.pulumiResourceName(), parent,
                    inputs.getOrDefault(k, Map.of()), protect.getOrDefault(k, false), ids.get(k),
                    resourceOptions.containsKey(k) ? resourceOptions.get(k).resolve(parents, resourceOptions, k) : Map.of()));
        }
        resources.sort(Comparator.comparing(PlannedResource::type).thenComparing(PlannedResource::name));
        List<String> errors = new ArrayList<>(result.errors());
        result.exceptions().forEach(e -> errors.add(String.valueOf(e.getMessage())));
        Map<String, Map<String, List<String>>> dependencies = new java.util.TreeMap<>();
        requests.forEach((k, request) -> dependencies.put(k, PreviewInputs.propertyDependencies(request)));
        return new Result(List.copyOf(resources), List.copyOf(errors), result.exitCode(), dependencies);
    }

    /**
     * The SDK unwraps secrets before mocks see them, so the plan asks the program's own Outputs which inputs are
     * secret ({@code @Import}-annotated fields of the resource's args) and shows those as {@value #SECRET}.
     */
    private static Map<String, CompletableFuture<Boolean>> secretProbes(Object resourceArgs) {
        Map<String, CompletableFuture<Boolean>> probes = new java.util.HashMap<>();
        for (Class<?> c = resourceArgs == null ? null : resourceArgs.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                com.pulumi.core.annotations.Import imp = f.getAnnotation(com.pulumi.core.annotations.Import.class);
                if (imp == null) {
                    continue;
                }
                try {
                    f.setAccessible(true);
                    if (f.get(resourceArgs) instanceof com.pulumi.core.Output<?> out) {
                        probes.put(imp.name(), com.pulumi.core.internal.Internal.of(out).isSecret());
                    }
                } catch (ReflectiveOperationException | RuntimeException e) {
                    // An input we cannot inspect keeps its value; config secrets are masked before the run anyway.
                }
            }
        }
        return probes;
    }

    /**
     * The options a resource was registered with, as the SDK hands them to resource transformations. The provider
     * is the explicit one, else the one a parent component passes down for the resource's package (what the SDK
     * does when it registers the resource).
     */
    record RecordedOptions(Map<String, Object> own, String explicitProvider, Map<String, String> providersByPackage) {

        static RecordedOptions of(com.pulumi.resources.ResourceOptions o) {
            Map<String, Object> own = new java.util.TreeMap<>();
            String provider = null;
            Map<String, String> byPackage = new java.util.TreeMap<>();
            if (o instanceof com.pulumi.resources.CustomResourceOptions c) {
                if (c.getDeleteBeforeReplace()) {
                    own.put("deleteBeforeReplace", true);
                }
                if (!c.getAdditionalSecretOutputs().isEmpty()) {
                    own.put("additionalSecretOutputs", List.copyOf(c.getAdditionalSecretOutputs()));
                }
                provider = c.getProvider().map(Resource::pulumiResourceName).orElse(null);
            }
            if (o instanceof com.pulumi.resources.ComponentResourceOptions c) {
                c.getProviders().forEach(p -> byPackage.put(p.pulumiResourceType().replace("pulumi:providers:", ""),
                        p.pulumiResourceName()));
                c.getProvider().ifPresent(p -> byPackage.put(p.pulumiResourceType().replace("pulumi:providers:", ""),
                        p.pulumiResourceName()));
            }
            if (!o.getIgnoreChanges().isEmpty()) {
                own.put("ignoreChanges", o.getIgnoreChanges().stream().sorted().toList());
            }
            if (!o.getReplaceOnChanges().isEmpty()) {
                own.put("replaceOnChanges", o.getReplaceOnChanges().stream().sorted().toList());
            }
            o.getRetainOnDelete().filter(Boolean::booleanValue).ifPresent(v -> own.put("retainOnDelete", true));
            List<Resource> deps = dependsOn(o);
            if (!deps.isEmpty()) {
                own.put("dependsOn", deps.stream().map(d -> d.pulumiResourceType() + "::" + d.pulumiResourceName())
                        .sorted().toList());
            }
            return new RecordedOptions(own, provider, byPackage);
        }

        private static List<Resource> dependsOn(com.pulumi.resources.ResourceOptions o) {
            try {
                List<Resource> deps = com.pulumi.core.internal.Internal.of(o.getDependsOn()).getValueNullable()
                        .get(10, java.util.concurrent.TimeUnit.SECONDS);
                return deps == null ? List.of() : deps;
            } catch (Exception e) {
                throw new IllegalStateException("cannot read dependsOn: " + e, e);
            }
        }

        /** Own options plus the provider, resolved through the parents. */
        Map<String, Object> resolve(Map<String, String> parents, Map<String, RecordedOptions> all, String key) {
            Map<String, Object> out = new java.util.TreeMap<>(own);
            String type = key.substring(0, key.indexOf("::"));
            if (!type.startsWith("pulumi:") && !type.contains(":index:") && type.split(":").length == 3
                    && !type.startsWith("kilonode:")) {
                String pkg = type.substring(0, type.indexOf(':'));
                String provider = explicitProvider;
                String parentName = parents.get(key);
                while (provider == null && parentName != null) {
                    String pn = parentName;
                    Map.Entry<String, RecordedOptions> parent = all.entrySet().stream()
                            .filter(e -> e.getKey().endsWith("::" + pn) && e.getKey().startsWith("kilonode:"))
                            .findFirst().orElse(null);
                    if (parent == null) {
                        break;
                    }
                    provider = parent.getValue().providersByPackage().get(pkg);
                    parentName = parents.get(parent.getKey());
                }
                out.put("provider", provider == null ? "default_" + pkg : provider);
            }
            return out;
        }
    }

    public static final String SECRET = "[secret]";

    private static Map<String, Object> maskSecrets(Map<String, Object> in, Map<String, CompletableFuture<Boolean>> probes) {
        Map<String, Object> out = new java.util.TreeMap<>(in);
        probes.forEach((name, secret) -> {
            if (out.containsKey(name) && Boolean.TRUE.equals(secret.getNow(false))) {
                out.put(name, SECRET);
            }
        });
        return out;
    }

    /**
     * The engine's wire format (protobuf Struct) carries every number as a double; integral ones are shown as the
     * integers the program set (1000, not 1000.0).
     */
    @SuppressWarnings("unchecked")
    static <T> T normalize(T value) {
        if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < (1L << 53)) {
            long l = d.longValue();
            return (T) (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE ? (Object) (int) l : (Object) l);
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new java.util.TreeMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), normalize(v)));
            return (T) out;
        }
        if (value instanceof List<?> l) {
            return (T) l.stream().map(PlanEngine::normalize).toList();
        }
        return value;
    }

    private static String key(String type, String name) {
        return type + "::" + name;
    }
}
