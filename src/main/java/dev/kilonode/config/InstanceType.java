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
}
