package dev.kilonode.config;

import java.util.Map;

/** One Auto Scaling group of workers. The default group is named {@code worker}. */
public record WorkerGroupSpec(String name, int count, InstanceType instanceType, Map<String, String> labels,
                              int rootVolumeGb) {

    public static final String DEFAULT_NAME = "worker";

    /** The role name used in tags and plan files: {@code worker} for the default group, else {@code worker-<name>}. */
    public String role() {
        return DEFAULT_NAME.equals(name) ? "worker" : "worker-" + name;
    }
}
