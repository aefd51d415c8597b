package dev.kilonode.release;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The containerd part of the compatibility table ({@code release/network-releases.json}, key {@code containerd}):
 * which containerd Ubuntu 24.04's archive gives a node, and containerd's own "Kubernetes Support" table
 * (RELEASES.md), per Kubernetes minor the lowest recommended patch of each containerd minor.
 */
public record ContainerdSupport(String comment, List<ArchiveVersion> ubuntuArchive, String installs,
                                Map<String, Row> kubernetesSupport) {

    /** One pocket's containerd: the Ubuntu package version and the containerd release it packages. */
    public record ArchiveVersion(String pocket, @JsonProperty("package") String packageVersion, String upstream,
                                 String source) {
    }

    /** containerd's recommendation for one Kubernetes minor: "X.Y.Z" = X.Y.Z or a later patch of X.Y. */
    public record Row(List<String> containerd, String source) {
    }

    /** The entry apt installs on a node: the newest candidate of the pockets a stock 24.04 AMI enables. */
    public ArchiveVersion installed() {
        return ubuntuArchive.stream().filter(a -> a.pocket().equals(installs)).findFirst().orElseThrow(() ->
                new IllegalStateException(NetworkReleases.RESOURCE + ": containerd.installs " + installs + " is not a pocket"));
    }

    public Optional<Row> recommendedFor(int kubernetesMinor) {
        return Optional.ofNullable(kubernetesSupport.get("1." + kubernetesMinor));
    }

    /** Whether containerd recommends {@code version} (X.Y.Z) for the Kubernetes minor: same X.Y listed, patch at least. */
    public boolean recommended(int kubernetesMinor, String version) {
        int[] v = parse(version);
        return recommendedFor(kubernetesMinor).stream().flatMap(r -> r.containerd().stream()).map(ContainerdSupport::parse)
                .anyMatch(min -> min[0] == v[0] && min[1] == v[1] && v[2] >= min[2]);
    }

    /**
     * What the plan says when the containerd nodes install is not what containerd recommends for the cluster's
     * Kubernetes minor (both speak CRI v1, so nodes still join; it is outside containerd's tested pairs).
     */
    public Optional<String> warning(String kubernetesVersion, int kubernetesMinor) {
        ArchiveVersion node = installed();
        if (recommended(kubernetesMinor, node.upstream())) {
            return Optional.empty();
        }
        String others = ubuntuArchive.stream().filter(a -> a != node)
                .map(a -> a.pocket() + "'s " + a.upstream() + (recommended(kubernetesMinor, a.upstream()) ? " would be" : " is not either"))
                .collect(Collectors.joining(", "));
        String said = recommendedFor(kubernetesMinor)
                .map(r -> "not among the versions containerd recommends for Kubernetes 1." + kubernetesMinor + ": "
                        + r.containerd().stream().map(v -> v + "+").collect(Collectors.joining(", ")) + " (" + r.source() + ")")
                .orElse("and containerd's RELEASES.md has no row for Kubernetes 1." + kubernetesMinor);
        return Optional.of("kilonode:kubernetesVersion " + kubernetesVersion + ": nodes install containerd " + node.upstream()
                + " (Ubuntu " + node.pocket() + " " + node.packageVersion() + "), " + said + "; "
                + (others.isEmpty() ? "" : others + ". ")
                + "Both serve CRI v1, so nodes join, but outside containerd's tested pairs (README, Node boot: containerd 1.7 and 2.x)");
    }

    static int[] parse(String version) {
        String[] parts = version.split("\\.");
        if (parts.length != 3) {
            throw new IllegalArgumentException("a containerd version is written X.Y.Z, got " + version);
        }
        return Arrays.stream(parts).mapToInt(Integer::parseInt).toArray();
    }
}
