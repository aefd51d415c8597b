package dev.kilonode.tuning;

import dev.kilonode.config.InstanceType;

/**
 * The memory capacity the kubelet will report for an instance type. The kubelet's capacity is cAdvisor's
 * MachineInfo.MemoryCapacity, read from /proc/meminfo MemTotal, which is below EC2's nominal GiB: the kernel keeps its
 * own image, the page tables for all of memory and the crash kernel out of it. Report 000 shows it on the very master
 * type we must fit: an m3.xlarge (15 GiB = 15,728,640 KiB nominal) reported "KiB Mem : 15233672 total", 3.1 % less.
 * That share grows with AMI and kernel (crashkernel reservations, 5-level page tables), so we budget with Karpenter's
 * default VM memory overhead of 7.5 % (karpenter.sh settings, vmMemoryOverheadPercent: 0.075), which it uses for the
 * same job: predicting allocatable from an instance type's nominal memory before the node exists.
 */
final class MasterCapacity {

    /** Karpenter's default vmMemoryOverheadPercent; more than twice what report 000 measured on m3.xlarge. */
    static final double VM_MEMORY_OVERHEAD = 0.075;

    private MasterCapacity() {
    }

    static long memoryCapacityMiB(InstanceType type) {
        return (long) Math.floor(type.memoryMiB() * (1 - VM_MEMORY_OVERHEAD));
    }
}
