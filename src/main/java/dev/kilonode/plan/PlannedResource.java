package dev.kilonode.plan;

import java.util.Map;

/**
 * One resource as the engine would receive it: what {@code resources.json} lists. {@code id} is the mock cloud's
 * deterministic id, so references between resources (a rule's security group, a bucket's id) can be followed.
 */
public record PlannedResource(String type, String name, String parent, Map<String, Object> inputs, boolean protect,
                              String id) {

    @SuppressWarnings("unchecked")
    public Map<String, Object> tags() {
        Object tags = inputs.get("tags");
        return tags instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }
}
