package dev.kilonode.config;

import dev.kilonode.release.NetworkRelease;

/**
 * The network stack: the chosen release row of the compatibility table and the settings validated against it
 * (images, deployer, node OS; the Kubernetes version is checked against it too).
 */
public record TungstenFabricSpec(NetworkRelease release, String registry, String tag, String jvmExtraOpts,
                                 String deployerRepo, String deployerRef, String ubuntuRelease) {

    public boolean usesLatestTag() {
        return release.movingTag(tag);
    }

    /** Every image reference the cluster runs, from the configured registry and tag (what a mirror copies). */
    public java.util.List<String> imageReferences() {
        return release.imageReferences(registry, tag);
    }
}
