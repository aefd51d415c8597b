package dev.kilonode.master.kubeadm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The kubeadm configuration API version for a Kubernetes minor: v1beta3 up to 1.30, v1beta4 from 1.31 (kubeadm docs,
 * "kubeadm Configuration (v1beta4)": introduced in 1.31; its extraArgs became a list of {name, value} so a flag may
 * repeat).
 */
public enum KubeadmApi {
    V1BETA3("kubeadm.k8s.io/v1beta3"),
    V1BETA4("kubeadm.k8s.io/v1beta4");

    public final String apiVersion;

    KubeadmApi(String apiVersion) {
        this.apiVersion = apiVersion;
    }

    public static KubeadmApi forMinor(int minor) {
        return minor >= 31 ? V1BETA4 : V1BETA3;
    }

    /** Flags in the form this API version takes: a map (v1beta3) or a list of {name, value} (v1beta4). */
    public Object args(Map<String, String> flags) {
        if (flags == null || flags.isEmpty()) {
            return null;
        }
        if (this == V1BETA3) {
            return flags;
        }
        List<Arg> list = new ArrayList<>();
        flags.forEach((k, v) -> list.add(new Arg(k, v)));
        return list;
    }

    public record Arg(String name, String value) {
    }
}
