package dev.kilonode.images;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * {@code images/<stack>.lock.json}: what {@code kilonode images sync} copied — the registry, and per image its source,
 * mirror repository and the digest of the copy; and the kubelet's {@code ecr-credential-provider} binary it copied
 * into the stack's artifacts bucket ({@code credentialProvider}; absent in locks written before it existed).
 * Committed with the stack; the plan shows it.
 */
public record ImageLock(String registry, List<Entry> images,
                        @JsonInclude(JsonInclude.Include.NON_NULL) LockedBinary credentialProvider) {

    /** A lock of images only (no credential provider entry). */
    public ImageLock(String registry, List<Entry> images) {
        this(registry, images, null);
    }

    public record Entry(String source, String repository, String digest) {
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    public static Path path(Path projectDir, String stack) {
        return projectDir.resolve("images").resolve(stack + ".lock.json");
    }

    public static Optional<ImageLock> read(Path projectDir, String stack) throws IOException {
        Path p = path(projectDir, stack);
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        return Optional.of(JSON.readValue(p.toFile(), ImageLock.class));
    }

    public void write(Path projectDir, String stack) throws IOException {
        Path p = path(projectDir, stack);
        Files.createDirectories(p.getParent());
        ImageLock sorted = new ImageLock(registry, images.stream().sorted(Comparator.comparing(Entry::repository)).toList(),
                credentialProvider);
        Files.writeString(p, JSON.writeValueAsString(sorted) + "\n");
    }

    /** The same lock with this credential provider entry. */
    public ImageLock withCredentialProvider(LockedBinary binary) {
        return new ImageLock(registry, images, binary);
    }

    /** The digest recorded for this exact source and repository, if synced. */
    public Optional<String> digestOf(PinnedImage image) {
        return images.stream().filter(e -> e.source().equals(image.source()) && e.repository().equals(image.repository()))
                .map(Entry::digest).findFirst();
    }
}
