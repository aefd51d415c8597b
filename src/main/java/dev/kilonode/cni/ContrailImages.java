package dev.kilonode.cni;

import dev.kilonode.config.TungstenFabricSpec;

/**
 * The Tungsten Fabric images the CNI uses, from the stack's {@code tfRegistry}/{@code tfTag} (the report's
 * CONTRAIL_REGISTRY / CONTRAIL_CONTAINER_TAG). Names as built by tf-container-builder.
 */
public record ContrailImages(String registry, String tag) {

    public static ContrailImages of(TungstenFabricSpec tf) {
        return new ContrailImages(tf.registry(), tf.tag());
    }

    public String image(String name) {
        return registry + "/" + name + ":" + tag;
    }

    public String nodeInit() {
        return image("contrail-node-init");
    }

    public String status() {
        return image("contrail-status");
    }

    /**
     * The kernel-module init image. Our nodes run Ubuntu 20.04, for which tf-container-builder ships no prebuilt
     * vrouter.ko: {@code contrail-vrouter-kernel-build-init} compiles it with DKMS against the host's headers
     * (/usr/src, /lib/modules). {@code contrail-vrouter-kernel-init} is the prebuilt CentOS/RHEL variant.
     */
    public String vrouterKernelInit() {
        return image("contrail-vrouter-kernel-build-init");
    }

    public String cniInit() {
        return image("contrail-kubernetes-cni-init");
    }

    public String vrouterAgent() {
        return image("contrail-vrouter-agent");
    }

    public String nodemgr() {
        return image("contrail-nodemgr");
    }

    public String provisioner() {
        return image("contrail-provisioner");
    }

    public String kubeManager() {
        return image("contrail-kubernetes-kube-manager");
    }

    /** A moving tag ({@code latest}, {@code R2011-latest}): nodes that pull at different times run different builds. */
    public boolean moving() {
        return "latest".equals(tag) || tag.endsWith("-latest");
    }
}
