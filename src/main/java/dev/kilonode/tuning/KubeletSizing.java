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
                "1Gi", evictMem + "Mi", "10%", "15%", maxPods(type));
    }

    /** See {@link InstanceType#maxPods()}: the config check and the kubelet use the same number. */
    static int maxPods(InstanceType type) {
        return type.maxPods();
    }
}
