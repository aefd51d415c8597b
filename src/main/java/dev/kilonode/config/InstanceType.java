package dev.kilonode.config;

/**
 * What the cluster needs to know about an EC2 instance type: its size (for kubelet reservations and the
 * tuning profile) and its instance-store SSDs (for etcd on local disk).
 *
 * @param instanceStoreDisks number of instance-store volumes (0 for EBS-only types)
 * @param instanceStoreGb    size of each instance-store volume in GB
 * @param nvmeInstanceStore  whether instance store appears as NVMe devices (newer types) rather than xvd* (m3)
 */
public record InstanceType(String name, int vcpus, double memoryGiB, int instanceStoreDisks, int instanceStoreGb,
                           boolean nvmeInstanceStore) {

    public String family() {
        return name.substring(0, name.indexOf('.'));
    }

    public boolean hasInstanceStore() {
        return instanceStoreDisks > 0;
    }

    public long memoryMiB() {
        return Math.round(memoryGiB * 1024);
    }

    /**
     * Pods the kubelet admits on this type. Report 001 ran at most 40 pods on 4-core workers (10 per core) with
     * Guaranteed 0.1-core pods; we allow 20 per vCPU and 8 per GiB for the usual burstable mix, never fewer than 16
     * (system DaemonSets: vRouter, kube-proxy...) and never more than Kubernetes' tested 110 per node (Kubernetes
     * "Considerations for large clusters").
     */
    public int maxPods() {
        long byCpu = vcpus * 20L;
        long byMem = Math.round(memoryGiB * 8);
        return (int) Math.min(110, Math.max(16, Math.min(byCpu, byMem)));
    }
}
