package dev.kilonode.bake;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.images.ImageLock;
import dev.kilonode.images.PinnedImage;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the baked node image holds: the pinned Kubernetes version, the held kernel, and every image a master or worker
 * runs, from the stack's ECR by the digest {@code kilonode images sync} recorded ({@link ImageLock}). Controller-only
 * images (the TF controllers boot the stock AMI and run the deployer) are left out.
 *
 * @param pulls    each image as pulled (digest) and as kubeadm names it (tag; kubeadm cannot use digests)
 * @param missing  node images the lock has no digest for: the image cannot be baked until they are synced
 */
public record BakeContents(String kubernetesVersion, String kernelPackage, String kernelSeries, String registry,
                           List<Pull> pulls, String vrouterKernelInit, List<String> missing) {

    public record Pull(String digestRef, String tagRef) {
    }

    public boolean complete() {
        return missing.isEmpty() && registry != null && vrouterKernelInit != null;
    }

    public static BakeContents of(ClusterSpec spec, Optional<ImageLock> lock) {
        var release = spec.tungstenFabric().release();
        Set<String> nodeNetworkImages = Set.copyOf(release.nodeImages().all());
        String registry = lock.map(ImageLock::registry).orElse(null);
        List<Pull> pulls = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        String kernelInit = null;
        for (PinnedImage image : ImageCatalog.of(spec)) {
            if (image.component().equals("network") && !nodeNetworkImages.contains(imageName(image.source()))) {
                continue;
            }
            Optional<String> digest = lock.flatMap(l -> l.digestOf(image));
            if (digest.isEmpty()) {
                missing.add(image.source());
                continue;
            }
            String digestRef = image.mirrored(registry, digest.get());
            pulls.add(new Pull(digestRef, registry + "/" + image.repository() + ":" + image.tag()));
            if (imageName(image.source()).equals(release.nodeImages().vrouterKernelInit())) {
                kernelInit = digestRef;
            }
        }
        var kernel = release.kernel();
        return new BakeContents(spec.kubernetesVersion(), kernel.packageName(), kernel.series(), registry,
                List.copyOf(pulls), kernelInit, List.copyOf(missing));
    }

    /** "opensdn/opensdn-vrouter-agent:R25.1-latest" -> "opensdn-vrouter-agent". */
    static String imageName(String source) {
        String noTag = source.substring(0, source.indexOf(':', source.lastIndexOf('/') + 1) < 0 ? source.length()
                : source.indexOf(':', source.lastIndexOf('/') + 1));
        return noTag.substring(noTag.lastIndexOf('/') + 1);
    }
}
