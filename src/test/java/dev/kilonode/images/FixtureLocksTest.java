package dev.kilonode.images;

import dev.kilonode.testing.FixtureLocks;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The committed test-fixture locks (src/test/resources/fixture-image-locks, read by the separate-JVM plans through
 * KILONODE_IMAGE_LOCK_DIR) cover the example stacks as configured now; none sits where a real stack's lock would.
 */
class FixtureLocksTest {

    @ParameterizedTest
    @ValueSource(strings = {"dev", "scale"})
    void committedFixturesAreCompleteAndOnlyUnderTestResources(String stack) throws Exception {
        var spec = Stacks.spec(stack, Stacks.config(stack));
        ImageLock committed = ImageLock.read(FixtureLocks.COMMITTED, stack).orElseThrow();
        assertThat(BringUp.decide(spec, FixtureLocks.COMMITTED).phase())
                .as("regenerate with dev.kilonode.testing.FixtureLocks").isEqualTo(BringUp.CLUSTER);
        assertThat(committed.registry()).startsWith(FixtureLocks.ACCOUNT + ".");
        assertThat(committed.images()).allSatisfy(e -> assertThat(e.digest()).startsWith("sha256:00000000"));
        // The credential provider entry is as fake: marked sha256 and bucket, made-up size.
        assertThat(committed.credentialProvider()).isEqualTo(FixtureLocks.credentialProvider(spec));
        assertThat(committed.credentialProvider().sha256()).startsWith("00000000");
        assertThat(committed.credentialProvider().bucket()).endsWith("-bin-fixture");
        assertThat(BringUp.decide(spec, FixtureLocks.COMMITTED).warnings(stack)).isEmpty();
        assertThat(Files.exists(ImageLock.path(Path.of(""), stack))).as("no fixture lock at the project root").isFalse();
    }
}
