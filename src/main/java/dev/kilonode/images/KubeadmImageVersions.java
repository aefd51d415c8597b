package dev.kilonode.images;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Comparator;
import java.util.List;

/**
 * CoreDNS and pause per Kubernetes version, as kubeadm pins them ({@code images/kubeadm-images.json}, one row per
 * minor and first patch, each with its source). kubeadm changes them within a minor (1.30.5 and 1.31.1 moved CoreDNS
 * to v1.11.3), so the lookup is by full version: the row of the minor with the highest {@code fromPatch} not above the
 * patch.
 */
public record KubeadmImageVersions(List<Row> rows) {

    public record Row(int minor, int fromPatch, String coredns, String pause, String source) {
    }

    private record File(String comment, List<Row> rows) {
    }

    private static final KubeadmImageVersions TABLE = load();

    private static KubeadmImageVersions load() {
        try (InputStream in = KubeadmImageVersions.class.getResourceAsStream("/images/kubeadm-images.json")) {
            return new KubeadmImageVersions(new ObjectMapper().readValue(in, File.class).rows());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KubeadmImageVersions table() {
        return TABLE;
    }

    /** The row for "1.MINOR.PATCH", or an error naming the version (the spec only admits rendered minors). */
    public Row forVersion(String kubernetesVersion) {
        String[] parts = kubernetesVersion.split("\\.");
        int minor = Integer.parseInt(parts[1]);
        int patch = Integer.parseInt(parts[2]);
        return rows.stream().filter(r -> r.minor() == minor && r.fromPatch() <= patch)
                .max(Comparator.comparingInt(Row::fromPatch))
                .orElseThrow(() -> new IllegalStateException("no CoreDNS/pause row for Kubernetes " + kubernetesVersion
                        + " in images/kubeadm-images.json"));
    }
}
