package dev.kilonode.bake;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.images.ImageLock;
import dev.kilonode.images.PinnedImage;
import dev.kilonode.plan.MockCloud;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;

/** Stands in for what `kilonode images sync` writes: a lock with a digest per image (sha256 of a salt and the source). */
final class BakeFixtures {

    static final String REGISTRY = MockCloud.ACCOUNT + ".dkr.ecr.us-east-1.amazonaws.com";

    private BakeFixtures() {
    }

    static ImageLock lock(ClusterSpec spec, String salt, Predicate<PinnedImage> include) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        List<ImageLock.Entry> entries = ImageCatalog.of(spec).stream().filter(include).map(i -> new ImageLock.Entry(
                i.source(), i.repository(), "sha256:" + HexFormat.of().formatHex(
                        sha.digest((salt + i.source()).getBytes(StandardCharsets.UTF_8))))).toList();
        return new ImageLock(REGISTRY, entries);
    }

    static ImageLock writeLock(Path projectDir, ClusterSpec spec, String salt) throws Exception {
        ImageLock lock = lock(spec, salt, i -> true);
        lock.write(projectDir, spec.stack());
        return lock;
    }

    interface ThrowingSupplier<T> {
        T get() throws Exception;
    }

}
