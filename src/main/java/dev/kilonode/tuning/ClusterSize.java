package dev.kilonode.tuning;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.InstanceType;
import dev.kilonode.config.WorkerGroupSpec;

import java.util.List;

/** What the tuning profile depends on, and nothing else. */
public record ClusterSize(int workers, int podsPerWorker, int masterCount, InstanceType masterType,
                          List<InstanceType> workerTypes, boolean eventsEtcd) {

    /** Sized for the planned worker count: parking the workers at zero must not shrink the control plane. */
    public static ClusterSize of(ClusterSpec spec) {
        return new ClusterSize(spec.plannedWorkerCount(), spec.podsPerWorker(), spec.masters().count(),
                spec.masters().instanceType(),
                spec.workerGroups().stream().map(WorkerGroupSpec::instanceType).distinct().toList(),
                spec.eventsEtcdEnabled());
    }

    public long expectedPods() {
        return (long) workers * podsPerWorker;
    }
}
