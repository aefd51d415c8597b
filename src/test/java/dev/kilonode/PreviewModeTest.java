package dev.kilonode;

import com.pulumi.test.Mocks;
import com.pulumi.test.PulumiTest;
import com.pulumi.test.TestOptions;
import com.pulumi.test.internal.PulumiTestInternal;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.security.Permission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 12: the program under `pulumi preview` of an empty stack, where no computed output is known yet (ids, ARNs,
 * DNS names): it must register the same resources as the offline plan, fail nothing, and touch no network (the
 * readiness gate and anything else that would dial the API server must stay quiet in a preview).
 */
class PreviewModeTest {

    /** The preview engine: creates have no id and no computed outputs yet - only the inputs come back. */
    static final class PreviewCloud implements Mocks {
        @Override
        public CompletableFuture<ResourceResult> newResourceAsync(ResourceArgs args) {
            return CompletableFuture.completedFuture(ResourceResult.of(Optional.empty(), args.inputs));
        }

        @Override
        public CompletableFuture<Map<String, Object>> callAsync(CallArgs args) {
            return CompletableFuture.completedFuture(Map.of());
        }
    }

    /** Records every socket connect or DNS lookup attempt (Java 17 still lets a test install one). */
    @SuppressWarnings("removal")
    static final class NetworkWatch extends SecurityManager {
        final List<String> attempts = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void checkConnect(String host, int port) {
            attempts.add(host + ":" + port);
        }

        @Override
        public void checkConnect(String host, int port, Object context) {
            attempts.add(host + ":" + port);
        }

        @Override
        public void checkPermission(Permission perm) {
        }

        @Override
        public void checkPermission(Permission perm, Object context) {
        }
    }

    @Test
    @SuppressWarnings("removal")
    void previewWithUnknownOutputsRegistersWhatThePlanRegistersAndNeverDials() {
        Map<String, String> config = Stacks.config("dev");
        Set<String> planned = new TreeSet<>();
        for (PlannedResource r : Stacks.plan("dev", config).resources()) {
            planned.add(r.type() + "::" + r.name());
        }

        NetworkWatch watch = new NetworkWatch();
        SecurityManager before = System.getSecurityManager();
        Set<String> previewed = new TreeSet<>();
        List<String> errors = new ArrayList<>();
        try {
            System.setSecurityManager(watch);
            var result = PulumiTestInternal.builder()
                    .options(TestOptions.builder().projectName("kilonode").stackName("dev").preview(true).build())
                    .mocks(new PreviewCloud())
                    .standardLogger(PulumiTestInternal.logger(Level.SEVERE))
                    .config(config, new LinkedHashSet<>(config.keySet().stream()
                            .filter(dev.kilonode.config.SecretKeys.ALL::contains).toList()))
                    .build().runTest(KilonodeStack::define);
            result.resources().forEach(r -> previewed.add(r.pulumiResourceType() + "::" + r.pulumiResourceName()));
            errors.addAll(result.errors());
            result.exceptions().forEach(e -> errors.add(String.valueOf(e)));
        } finally {
            System.setSecurityManager(before);
            PulumiTest.cleanup();
        }
        assertThat(errors).isEmpty();
        assertThat(previewed).isEqualTo(planned);
        assertThat(watch.attempts).as("network attempts during the preview").isEmpty();
    }

    /** The watch is not blind: a connect attempt under it is recorded. */
    @Test
    @SuppressWarnings("removal")
    void theNetworkWatchSeesAConnect() {
        NetworkWatch watch = new NetworkWatch();
        SecurityManager before = System.getSecurityManager();
        try {
            System.setSecurityManager(watch);
            try (var socket = new java.net.Socket()) {
                socket.connect(new java.net.InetSocketAddress("127.0.0.1", 1), 200);
            } catch (java.io.IOException expected) {
                // nothing listens on port 1
            }
        } finally {
            System.setSecurityManager(before);
        }
        assertThat(watch.attempts).contains("127.0.0.1:1");
    }
}
