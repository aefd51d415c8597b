package dev.kilonode.images;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.testing.Stacks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kilonode images sync} with Jib against a real registry: Debian's docker-registry (the CNCF distribution
 * registry) on 127.0.0.1. The test first pushes a small stand-in for every catalog image under {@code upstream/}
 * (in place of Docker Hub and registry.k8s.io, which this machine cannot reach), then syncs with
 * {@code --from-registry} into the stack's repositories of the same registry. The sync also copies the kubelet's
 * credential provider: from a JDK HTTP server on 127.0.0.1 into moto's S3 ({@link CredentialProviderSyncTest} tests that step).
 */
class ImagesSyncTest {

    static Process registry;
    static String host;
    @TempDir static Path dir;
    static dev.kilonode.testing.MotoServer moto;
    static dev.kilonode.testing.StaticFiles binaries;
    static final String BUCKET = "kilonode-dev-bin-images-sync-test";
    static final java.util.Map<String, String> savedProps = new java.util.HashMap<>();

    /** moto's S3 with the artifacts bucket, and artifacts.k8s.io's release path with a binary and its .sha256. */
    @BeforeAll
    static void startBinaryUpstream() throws Exception {
        moto = dev.kilonode.testing.MotoServer.start(dir.resolve("moto"));
        for (String k : List.of("aws.accessKeyId", "aws.secretAccessKey")) {
            savedProps.put(k, System.getProperty(k));
            System.setProperty(k, "testing");
        }
        moto.aws("s3api", "create-bucket", "--bucket", BUCKET);
        byte[] binary = "a stand-in for ecr-credential-provider".getBytes(StandardCharsets.UTF_8);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(binary));
        String path = "/binaries/cloud-provider-aws/" + CredentialProvider.VERSION + "/linux/amd64/" + CredentialProvider.FILE;
        java.util.Map<String, byte[]> files = java.util.Map.of(path, binary, path + ".sha256",
                (sha + "  " + CredentialProvider.FILE + "\n").getBytes(StandardCharsets.UTF_8));
        binaries = dev.kilonode.testing.StaticFiles.start(files);
    }

    @AfterAll
    static void stopBinaryUpstream() throws Exception {
        if (binaries != null) {
            binaries.close();
        }
        if (moto != null) {
            moto.close();
        }
        savedProps.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    @BeforeAll
    static void startRegistry() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        host = "127.0.0.1:" + port;
        Path config = dir.resolve("registry.yml");
        Files.writeString(config, "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: " + dir.resolve("data")
                + "\nhttp:\n  addr: " + host + "\n");
        try {
            registry = new ProcessBuilder("docker-registry", "serve", config.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("registry.log").toFile()).start();
        } catch (java.io.IOException e) {
            throw new AssertionError("docker-registry is not installed (apt-get install -y docker-registry)", e);
        }
        for (int i = 0; i < 100; i++) {
            if (status("/v2/") == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("docker-registry did not answer: " + Files.readString(dir.resolve("registry.log")));
    }

    @AfterAll
    static void stop() throws Exception {
        if (registry != null) {
            registry.destroy();
            registry.waitFor(10, TimeUnit.SECONDS);
        }
    }

    static int status(String path) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + host + path).toURL().openConnection();
            c.setRequestMethod("HEAD");
            c.setRequestProperty("Accept", "application/vnd.docker.distribution.manifest.v2+json,"
                    + "application/vnd.oci.image.manifest.v1+json");
            return c.getResponseCode();
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    record Run(int code, String out, String err) {
    }

    static Run sync(Path project) {
        return sync(project, host + "/upstream");
    }

    static Run sync(Path project, String fromRegistry) {
        ImagesCommand.Sync cmd = new ImagesCommand.Sync();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> args = new java.util.ArrayList<>(List.of("--stack", "dev", "--cwd", project.toString(),
                "--registry", host, "--from-registry", fromRegistry, "--allow-insecure-registries",
                "--artifact-bucket", BUCKET, "--aws-endpoint", moto.endpoint(),
                "--binaries-from", binaries.baseUrl()));
        int code = new CommandLine(cmd).execute(args.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static void pushUpstream(PinnedImage image) throws Exception {
        Path content = Files.createDirectories(dir.resolve("content")).resolve(image.repository().replace('/', '_'));
        Files.writeString(content, image.source() + "\n");
        Jib.fromScratch()
                .addLayer(List.of(content), AbsoluteUnixPath.get("/"))
                .setEntrypoint("/bin/true")
                .containerize(Containerizer.to(RegistryImage.named(host + "/upstream/"
                        + ImageCatalog.repositoryPath(image.source()) + ":" + image.tag())).setAllowInsecureRegistries(true));
    }

    @Test
    void copiesEveryPinnedImageAndRecordsItsDigest(@TempDir Path project) throws Exception {
        Files.copy(Path.of("Pulumi.dev.yaml"), project.resolve("Pulumi.dev.yaml"));
        ClusterSpec spec = Stacks.spec("dev", Stacks.config("dev"));
        List<PinnedImage> images = ImageCatalog.of(spec);
        for (PinnedImage image : images) {
            pushUpstream(image);
        }

        Run first = sync(project);
        assertThat(first.code()).as(first.out() + first.err()).isZero();
        ImageLock lock = ImageLock.read(project, "dev").orElseThrow();
        assertThat(lock.registry()).isEqualTo(host);
        assertThat(lock.images()).hasSize(images.size());
        for (PinnedImage image : images) {
            String digest = lock.digestOf(image).orElseThrow();
            assertThat(digest).matches("sha256:[0-9a-f]{64}");
            // The registry serves the copy under the recorded digest, and refuses a made-up one.
            assertThat(status("/v2/" + image.repository() + "/manifests/" + digest)).as(image.repository()).isEqualTo(200);
        }
        assertThat(status("/v2/" + images.get(0).repository() + "/manifests/sha256:" + "0".repeat(64))).isEqualTo(404);
        assertThat(first.out()).contains("(" + images.size() + " copied)");
        assertThat(lock.credentialProvider()).isNotNull();
        assertThat(lock.credentialProvider().bucket()).isEqualTo(BUCKET);

        // Again: everything recorded is kept, nothing copied; the file is byte-identical.
        String before = Files.readString(ImageLock.path(project, "dev"));
        Run second = sync(project);
        assertThat(second.code()).isZero();
        assertThat(second.out()).contains("(0 copied)").doesNotContain("copied  ");
        assertThat(Files.readString(ImageLock.path(project, "dev"))).isEqualTo(before);
    }

    @Test
    void aMissingSourceStopsTheSyncAndRecordsOnlyWhatCopied(@TempDir Path project) throws Exception {
        Files.copy(Path.of("Pulumi.dev.yaml"), project.resolve("Pulumi.dev.yaml"));
        Run run = sync(project, host + "/nowhere");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).startsWith("kilonode images sync: copying " + host + "/nowhere/")
                .contains("0 of ").doesNotContain("\tat ");
        assertThat(ImageLock.read(project, "dev").orElseThrow().images()).isEmpty();
    }
}
