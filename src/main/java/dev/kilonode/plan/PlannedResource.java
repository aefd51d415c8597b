package dev.kilonode.plan;

import java.util.Map;

/**
 * One resource as the engine would receive it: what {@code resources.json} lists. {@code id} is the mock cloud's
 * deterministic id, so references between resources (a rule's security group, a bucket's id) can be followed.
 * {@code options} are the resource options that change what `pulumi up` does with a change (deleteBeforeReplace,
 * ignoreChanges, replaceOnChanges, dependsOn, provider, additionalSecretOutputs, retainOnDelete); only set ones.
 */
public record PlannedResource(String type, String name, String parent, Map<String, Object> inputs, boolean protect,
                              String id, Map<String, Object> options) {

    public PlannedResource {
        options = options == null ? Map.of() : options;
    }

    /** The inputs Pulumi ignores on update ({@code ignoreChanges}). */
    @SuppressWarnings("unchecked")
    public java.util.List<String> ignoreChanges() {
        Object v = options.get("ignoreChanges");
        return v instanceof java.util.List<?> l ? (java.util.List<String>) l : java.util.List.of();
    }

    public boolean deleteBeforeReplace() {
        return Boolean.TRUE.equals(options.get("deleteBeforeReplace"));
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> tags() {
        Object tags = inputs.get("tags");
        return tags instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
