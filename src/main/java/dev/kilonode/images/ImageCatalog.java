package dev.kilonode.images;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.dns.ClusterDns;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every image a node of the stack runs, with its mirror repository in the stack's ECR registry: the network
 * release's images (from the compatibility table's row, {@code NetworkRelease#imageReferences}), the Kubernetes
 * control-plane images kubeadm pulls for the version, CoreDNS, pause, and the DNS autoscaler.
 *
 * <p>Mirror layout: every repository under {@code <project>-<stack>/} ({@link #prefix}). The Kubernetes images sit directly under it
 * (kube-apiserver, ..., {@code coredns}) because kubeadm, given a custom {@code imageRepository}, looks for
 * {@code <imageRepository>/<name>} and puts CoreDNS at {@code <imageRepository>/coredns} (kubeadm
 * cmd/kubeadm/app/images GetDNSImage). The network images keep their names under the same prefix, so the release's
 * CONTRAIL_REGISTRY becomes {@code <registry>/<project>-<stack>}.
 */
public final class ImageCatalog {

    /**
     * CoreDNS and pause per Kubernetes minor, as kubeadm pins them (cmd/kubeadm/app/constants/constants.go on each
     * release branch: CoreDNSVersion, PauseVersion); `kubeadm config images list --kubernetes-version v1.33.x` shows
     * the same list. etcd comes from {@code EventsEtcdManifest}'s table.
     */
    static final Map<Integer, String> COREDNS = Map.of(29, "v1.11.1", 30, "v1.11.1", 31, "v1.11.3", 32, "v1.11.3",
            33, "v1.12.0");
    static final Map<Integer, String> PAUSE = Map.of(29, "3.9", 30, "3.9", 31, "3.10", 32, "3.10", 33, "3.10");
    static final String KUBERNETES_REGISTRY = "registry.k8s.io";

    private ImageCatalog() {
    }

    /** The stack's repository prefix in ECR: {@code <project>-<stack>} ({@link ClusterSpec#namePrefix()}). */
    public static String prefix(ClusterSpec spec) {
        return spec.namePrefix();
    }

    public static List<PinnedImage> of(ClusterSpec spec) {
        String prefix = prefix(spec);
        int minor = spec.kubernetesMinorNumber();
        List<PinnedImage> images = new ArrayList<>();
        String v = "v" + spec.kubernetesVersion();
        for (String name : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy")) {
            images.add(new PinnedImage("kubernetes", KUBERNETES_REGISTRY + "/" + name + ":" + v, prefix + "/" + name));
        }
        images.add(new PinnedImage("kubernetes", KUBERNETES_REGISTRY + "/etcd:" + require(
                dev.kilonode.master.kubeadm.EventsEtcdManifest.etcdImageTag(minor), "etcd", minor), prefix + "/etcd"));
        images.add(new PinnedImage("kubernetes", KUBERNETES_REGISTRY + "/coredns/coredns:"
                + require(COREDNS.get(minor), "coredns", minor), prefix + "/coredns"));
        images.add(new PinnedImage("kubernetes", KUBERNETES_REGISTRY + "/pause:" + require(PAUSE.get(minor), "pause", minor),
                prefix + "/pause"));
        String autoscaler = ClusterDns.AUTOSCALER_IMAGE;
        images.add(new PinnedImage("dns", autoscaler, prefix + "/" + repositoryPath(autoscaler)));
        for (String ref : spec.tungstenFabric().release().imageReferences(spec.tungstenFabric().registry(),
                spec.tungstenFabric().tag())) {
            String path = repositoryPath(ref);
            images.add(new PinnedImage("network", ref, prefix + "/" + path.substring(path.lastIndexOf('/') + 1)));
        }
        return List.copyOf(images);
    }

    private static String require(String value, String what, int minor) {
        if (value == null) {
            throw new IllegalStateException("no " + what + " version for Kubernetes 1." + minor + " in ImageCatalog");
        }
        return value;
    }

    /** "registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9" -> "cpa/cluster-proportional-autoscaler". */
    static String repositoryPath(String ref) {
        String noTag = ref;
        int slash = ref.lastIndexOf('/');
        int colon = ref.indexOf(':', slash + 1);
        if (colon >= 0) {
            noTag = ref.substring(0, colon);
        }
        int first = noTag.indexOf('/');
        // A first segment with a dot or colon (or "localhost") is a registry host; otherwise Docker Hub.
        if (first > 0) {
            String head = noTag.substring(0, first);
            if (head.contains(".") || head.contains(":") || head.equals("localhost")) {
                return noTag.substring(first + 1);
            }
        }
        return noTag;
    }
}
