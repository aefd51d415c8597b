package dev.kilonode.cni;

import dev.kilonode.config.TungstenFabricSpec;
import dev.kilonode.release.NetworkRelease;

/**
 * The network release's node images, from the stack's {@code tfRegistry}/{@code tfTag} (the manifests'
 * CONTRAIL_REGISTRY / CONTRAIL_CONTAINER_TAG) and the names in the release's row of the compatibility table, as the
 * stack's mirror holds them ({@code registry/kilonode-<stack>/<name>@sha256:...}).
 */
public record ContrailImages(String registry, String tag, NetworkRelease.NodeImages names,
                             dev.kilonode.images.ImageRefs refs) {

    public static ContrailImages of(dev.kilonode.config.ClusterSpec spec) {
        TungstenFabricSpec tf = spec.tungstenFabric();
        return new ContrailImages(tf.registry(), tf.tag(), tf.release().nodeImages(), spec.images());
    }

    /** What a node pulls for the release's image {@code name}: the stack's mirror of {@code tfRegistry/name:tfTag}. */
    public String image(String name) {
        return refs.of(registry + "/" + name + ":" + tag);
    }

    public String nodeInit() {
        return image(names.nodeInit());
    }

    public String status() {
        return image(names.status());
    }

    /**
     * The kernel-module init image. On Ubuntu the release ships no prebuilt vrouter.ko: the build-init image compiles
     * it with DKMS against the host's headers (/usr/src, /lib/modules); tf-container-builder parse-env.sh picks it for
     * LINUX_DISTR ubuntu.
     */
    public String vrouterKernelInit() {
        return image(names.vrouterKernelInit());
    }

    public String cniInit() {
        return image(names.cniInit());
    }

    public String vrouterAgent() {
        return image(names.vrouterAgent());
    }

    public String nodemgr() {
        return image(names.nodemgr());
    }

    public String provisioner() {
        return image(names.provisioner());
    }

    public String kubeManager() {
        return image(names.kubeManager());
    }
}
