package dev.kilonode.testing;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.CredentialProvider;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.images.ImageLock;
import dev.kilonode.images.LockedBinary;
import dev.kilonode.images.PinnedImage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * TEST FIXTURES ONLY: image locks as {@code kilonode images sync} would write them, for a fake account
 * ({@value #ACCOUNT}) and digests that are obviously not real ({@code sha256:} + 8 zeros + 56 hex of a hash of the
 * image's source and repository: as incompressible as real ones, so user-data size checks stay honest). They let the plan-based tests see the whole cluster (bring-up phase "cluster");
 * no real stack may use them. The committed copies for the example stacks live in {@link #COMMITTED}
 * (src/test/resources/fixture-image-locks/images/), which surefire and the plan executions in pom.xml name through
 * {@code KILONODE_IMAGE_LOCK_DIR}; {@code FixtureLocksTest} keeps them equal to {@link #forSpec}.
 */
public final class FixtureLocks {

    public static final String ACCOUNT = "123456789012";
    public static final Path COMMITTED = Path.of("src/test/resources/fixture-image-locks");

    private FixtureLocks() {
    }

    public static String registry(String region) {
        return ACCOUNT + ".dkr.ecr." + region + ".amazonaws.com";
    }

    public static String digest(PinnedImage image) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((image.source() + " " + image.repository())
                    .getBytes(StandardCharsets.UTF_8));
            return "sha256:" + "0".repeat(8) + HexFormat.of().formatHex(h).substring(0, 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ImageLock forSpec(ClusterSpec spec) {
        List<ImageLock.Entry> entries = ImageCatalog.of(spec).stream()
                .map(i -> new ImageLock.Entry(i.source(), i.repository(), digest(i))).toList();
        return new ImageLock(registry(spec.region()), entries, credentialProvider(spec));
    }

    /**
     * A fake credential provider entry: sha256 of 8 zeros + 56 hex (of the stack's name), a bucket named
     * {@code <namePrefix>-bin-fixture} (a real one ends in the provider's 26-character unique suffix) and a made-up
     * size. Nothing is uploaded anywhere.
     */
    public static LockedBinary credentialProvider(ClusterSpec spec) {
        String sha256;
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((CredentialProvider.NAME + " " + spec.stack())
                    .getBytes(StandardCharsets.UTF_8));
            sha256 = "0".repeat(8) + HexFormat.of().formatHex(h).substring(0, 56);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        return new LockedBinary(CredentialProvider.VERSION,
                CredentialProvider.sourceUrl(CredentialProvider.UPSTREAM, CredentialProvider.VERSION), sha256, FAKE_SIZE,
                spec.namePrefix() + "-bin-fixture", CredentialProvider.objectKey(CredentialProvider.VERSION, sha256));
    }

    /** Made up: not the real binary's size. */
    public static final long FAKE_SIZE = 1_000_001;

    /** A fresh directory holding {@code images/<stack>.lock.json} complete for {@code spec}. */
    public static Path directoryFor(ClusterSpec spec) {
        try {
            Path dir = Files.createTempDirectory("kilonode-fixture-locks");
            forSpec(spec).write(dir, spec.stack());
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Rewrites the committed fixtures: {@code mvn test-compile exec:java -Dexec.classpathScope=test ...}. */
    public static void main(String[] args) throws IOException {
        for (String stack : List.of("dev", "scale")) {
            forSpec(Stacks.spec(stack, Stacks.config(stack))).write(COMMITTED, stack);
        }
    }
}
