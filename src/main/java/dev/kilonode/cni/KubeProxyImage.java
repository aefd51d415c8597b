package dev.kilonode.cni;

import com.pulumi.kubernetes.apps.v1.DaemonSetPatch;
import com.pulumi.kubernetes.apps.v1.DaemonSetPatchArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DaemonSetSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecPatchArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaPatchArgs;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.Map;

/**
 * kube-proxy by digest. kubeadm's addon phase writes {@code <imageRepository>/kube-proxy:v<version>} into the
 * kube-system/kube-proxy DaemonSet (kubernetes v1.33 cmd/kubeadm/app/images/images.go GetKubernetesImage; container
 * {@code kube-proxy} in cmd/kubeadm/app/phases/addons/proxy/manifests.go): a tag, in the stack's repository whose tags
 * are IMMUTABLE, so it already names the locked bytes. This server-side apply patch replaces it with the lock's
 * {@code @sha256:} reference (forced: kubeadm owns the field). Until the provider has applied it, and after a
 * {@code kubeadm upgrade} until the next {@code pulumi up}, kube-proxy runs from the immutable tag.
 */
public final class KubeProxyImage {

    public static final String NAME = "kube-proxy";

    private KubeProxyImage() {
    }

    public static DaemonSetPatch pin(String image, ComponentResourceOptions inCluster) {
        var opts = CustomResourceOptions.builder();
        inCluster.getParent().ifPresent(opts::parent);
        inCluster.getProviders().stream().findFirst().ifPresent(opts::provider);
        return new DaemonSetPatch(NAME, args(image), opts.build());
    }

    static DaemonSetPatchArgs args(String image) {
        return DaemonSetPatchArgs.builder()
                .metadata(ObjectMetaPatchArgs.builder().name(NAME).namespace("kube-system")
                        .annotations(Map.of("pulumi.com/patchForce", "true")).build())
                .spec(DaemonSetSpecPatchArgs.builder()
                        .template(PodTemplateSpecPatchArgs.builder()
                                .spec(PodSpecPatchArgs.builder()
                                        .containers(ContainerPatchArgs.builder().name(NAME).image(image).build())
                                        .build())
                                .build())
                        .build())
                .build();
    }
}
