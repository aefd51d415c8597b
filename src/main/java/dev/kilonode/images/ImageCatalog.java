package dev.kilonode.images;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.dns.ClusterDns;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Every image a node of the stack runs, with its mirror repository in the stack's ECR registry: the network
 * release's images (from the compatibility table's row, {@code NetworkRelease#imageReferences}), the Kubernetes
 * control-plane images kubeadm pulls for the version, CoreDNS and pause as kubeadm pins them for the version
 * ({@link KubeadmImageVersions}), etcd's release image for the masters' etcdctl/etcdutl, and the DNS autoscaler.
 *
 * <p>Mirror layout: every repository under {@code <project>-<stack>/} ({@link #prefix}). The Kubernetes images sit directly under it
 * (kube-apiserver, ..., {@code coredns}) because kubeadm, given a custom {@code imageRepository}, looks for
 * {@code <imageRepository>/<name>} and puts CoreDNS at {@code <imageRepository>/coredns} (kubeadm
 * cmd/kubeadm/app/images GetDNSImage). The network images keep their names under the same prefix, so the release's
 * CONTRAIL_REGISTRY becomes {@code <registry>/<project>-<stack>}.
 */
public final class ImageCatalog {

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
        for (String name : KUBEADM_COMPONENTS) {
            images.add(new PinnedImage("kubernetes", kubernetes(spec, name), prefix + "/" + name));
        }
        images.add(new PinnedImage("kubernetes", etcd(minor), prefix + "/etcd"));
        images.add(new PinnedImage("kubernetes", coredns(spec), prefix + "/coredns"));
        images.add(new PinnedImage("kubernetes", pause(spec), prefix + "/pause"));
        // etcdctl/etcdutl on the masters (restore, membership): etcd's own release image, EventsEtcdManifest.
        String tools = dev.kilonode.master.kubeadm.EventsEtcdManifest.etcdToolsImage(minor);
        images.add(new PinnedImage("etcd-tools", tools, prefix + "/" + repositoryPath(tools)));
        String autoscaler = ClusterDns.AUTOSCALER_IMAGE;
        images.add(new PinnedImage("dns", autoscaler, prefix + "/" + repositoryPath(autoscaler)));
        for (String ref : spec.tungstenFabric().release().imageReferences(spec.tungstenFabric().registry(),
                spec.tungstenFabric().tag())) {
            String path = repositoryPath(ref);
            images.add(new PinnedImage("network", ref, prefix + "/" + path.substring(path.lastIndexOf('/') + 1)));
        }
        return List.copyOf(images);
    }

    /** The images kubeadm names {@code <imageRepository>/<name>:v<version>} (cmd/kubeadm/app/images GetKubernetesImage). */
    public static final List<String> KUBEADM_COMPONENTS = List.of("kube-apiserver", "kube-controller-manager",
            "kube-scheduler", "kube-proxy");

    /** {@code registry.k8s.io/<name>:v<version>} for kube-apiserver, kube-controller-manager, kube-scheduler, kube-proxy. */
    public static String kubernetes(ClusterSpec spec, String name) {
        return KUBERNETES_REGISTRY + "/" + name + ":v" + spec.kubernetesVersion();
    }

    public static String etcd(int minor) {
        return KUBERNETES_REGISTRY + "/etcd:" + require(dev.kilonode.master.kubeadm.EventsEtcdManifest.etcdImageTag(minor),
                "etcd", minor);
    }

    /** CoreDNS as kubeadm pins it for the version (KubeadmImageVersions, images/kubeadm-images.json). */
    public static String coredns(ClusterSpec spec) {
        return KUBERNETES_REGISTRY + "/coredns/coredns:" + KubeadmImageVersions.table().forVersion(spec.kubernetesVersion()).coredns();
    }

    /** pause as kubeadm pins it for the version (KubeadmImageVersions). */
    public static String pause(ClusterSpec spec) {
        return KUBERNETES_REGISTRY + "/pause:" + KubeadmImageVersions.table().forVersion(spec.kubernetesVersion()).pause();
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
