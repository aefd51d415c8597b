package dev.kilonode.release;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The network compatibility table: supported OpenSDN releases and upstream Kubernetes support as of {@link #asOf()}.
 * Read from {@value #RESOURCE}; the code holds no release facts of its own.
 */
public record NetworkReleases(String asOf, KubernetesUpstream kubernetesUpstream, ContainerdSupport containerd,
                              String defaultRelease, List<NetworkRelease> releases) {

    public static final String RESOURCE = "/release/network-releases.json";

    /** End-of-life date of each Kubernetes minor ("1.N"), from kubernetes.io/releases. */
    public record KubernetesUpstream(String comment, String source, Map<String, String> endOfLife) {

        /** Minors still maintained on {@code day}: end of life not yet reached. */
        public List<Integer> supportedOn(LocalDate day) {
            return new TreeMap<>(endOfLife).entrySet().stream()
                    .filter(e -> !LocalDate.parse(e.getValue()).isBefore(day))
                    .map(e -> NetworkRelease.minorNumber(e.getKey()))
                    .sorted().toList();
        }

        public Optional<LocalDate> endOfLife(int minor) {
            return Optional.ofNullable(endOfLife.get("1." + minor)).map(LocalDate::parse);
        }
    }

    private static final NetworkReleases TABLE = load();

    public static NetworkReleases table() {
        return TABLE;
    }

    public Optional<NetworkRelease> find(String id) {
        return releases.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    public NetworkRelease defaultRow() {
        return find(defaultRelease).orElseThrow(() ->
                new IllegalStateException(RESOURCE + ": defaultRelease " + defaultRelease + " is not a row"));
    }

    public List<String> ids() {
        return releases.stream().map(NetworkRelease::id).toList();
    }

    /** Kubernetes minors upstream maintains on the table's date. */
    public List<Integer> upstreamSupported() {
        return kubernetesUpstream.supportedOn(asOfDate());
    }

    public LocalDate asOfDate() {
        return LocalDate.parse(asOf);
    }

    private static NetworkReleases load() {
        ObjectMapper json = new ObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try (InputStream in = NetworkReleases.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " missing from the classpath");
            }
            return json.readValue(in, NetworkReleases.class);
        } catch (IOException e) {
            throw new UncheckedIOException(RESOURCE + ": " + e.getMessage(), e);
        }
    }
}
