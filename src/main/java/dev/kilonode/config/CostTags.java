package dev.kilonode.config;

import java.util.LinkedHashMap;
import java.util.Map;

/** The tags every taggable resource carries, so cost reports split by environment, owner and cost center. */
public record CostTags(String environment, String owner, String costCenter) {

    public Map<String, String> asMap() {
        Map<String, String> tags = new LinkedHashMap<>();
        tags.put("Environment", environment);
        tags.put("Owner", owner);
        tags.put("CostCenter", costCenter);
        return tags;
    }
}
