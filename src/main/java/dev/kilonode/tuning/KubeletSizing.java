package dev.kilonode.tuning;

import dev.kilonode.config.InstanceType;


/**
 * Kubelet reservations scaled to an instance type by the method of report 003: on a 16-CPU, 32 GiB node it reserved
 * kube 1 CPU / 2 GiB, system 500m / 1 GiB and evicted below 500 MiB free memory or 10 % free node disk. We keep those
 * proportions per vCPU and per GiB, with floors a small node still needs (an m3.medium has 1 vCPU and 3.75 GiB).
 */
final class KubeletSizing {

    private KubeletSizing() {
    }

    static TuningProfile.KubeletReservation reservationFor(InstanceType type) {
        long memMiB = type.memoryMiB();
        long kubeCpu = Math.max(100, Math.round(type.vcpus() * 1000 / 16.0));     // 1 CPU per 16
        long kubeMem = Math.max(256, Math.round(memMiB * 2048 / 32768.0));         // 2 GiB per 32 GiB
        long sysCpu = Math.max(50, Math.round(type.vcpus() * 500 / 16.0));         // 500m per 16
        long sysMem = Math.max(128, Math.round(memMiB * 1024 / 32768.0));          // 1 GiB per 32 GiB
        long evictMem = Math.max(100, Math.round(memMiB * 500 / 32768.0));         // 500 MiB per 32 GiB; kubelet default 100Mi
        return new TuningProfile.KubeletReservation(kubeCpu + "m", kubeMem + "Mi", sysCpu + "m", sysMem + "Mi",
                "1Gi", evictMem + "Mi", "10%", INODES_FREE, "15%", INODES_FREE, maxPods(type), MAX_PARALLEL_IMAGE_PULLS);
    }

    /**
     * The kubelet's own inode thresholds (kubernetes pkg/kubelet/eviction/defaults_linux.go DefaultEvictionHard:
     * memory.available 100Mi, nodefs.available 10%, nodefs.inodesFree 5%, imagefs.available 15%, imagefs.inodesFree
     * 5%). We set evictionHard, and a kubelet before 1.33 then treats every signal we leave out as 0, i.e. off
     * (KubeletConfiguration reference: "If any signal is specified ... other signals that are not specified will be set
     * to 0"; mergeDefaultEvictionSettings, which changes that, is newer than the kubelets we run), so all five are
     * listed. pid.available has no kubelet default and is left out: its capacity is pid_max (4,194,304 under Ubuntu
     * 20.04's systemd), so a percentage of it would not fire before the kernel's own threads-max does.
     */
    static final String INODES_FREE = "5%";

    /**
     * serializeImagePulls is false (a 1,000-node boot pulls the vRouter and kube-proxy images on every node at once,
     * report 000), and without maxParallelImagePulls the kubelet then starts every pull at once, without bound
     * (KubeletConfiguration reference: "maxParallelImagePulls ... Default: nil", i.e. unlimited; kubelet 1.27+).
     * Five covers one node's DaemonSet images in one round (vRouter agent, its init containers, kube-proxy) while
     * keeping an m3.medium's disk and network from being split across dozens of pulls.
     */
    static final int MAX_PARALLEL_IMAGE_PULLS = 5;

    /** See {@link InstanceType#maxPods()}: the config check and the kubelet use the same number. */
    static int maxPods(InstanceType type) {
        return type.maxPods();
    }
}
