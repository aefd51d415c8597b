package dev.kilonode.images;

import dev.kilonode.testing.StaticFiles;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.testing.MotoServer;
import dev.kilonode.testing.Stacks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The credential provider step of {@code kilonode images sync}: a JDK HTTP server on 127.0.0.1 stands in for
 * artifacts.k8s.io (the binary and its {@code .sha256} at the release path) and moto_server for the stack's artifacts
 * bucket. Every image is already in the lock (kept), so only the binary moves. It is fetched once, checked against
 * the published sha256, copied to the bucket under its versioned, content-addressed key and recorded with its sha256
 * and size; a wrong published checksum, a changed upstream file for a locked version, a missing checksum file and an
 * unreachable S3 each stop the sync without recording a binary nodes would get.
 */
class CredentialProviderSyncTest {

    static final String REGISTRY = "127.0.0.1:5999";
    static final String BUCKET = "kilonode-dev-bin-sync-test";
    static final String PATH = "/binaries/cloud-provider-aws/" + CredentialProvider.VERSION + "/linux/amd64/"
            + CredentialProvider.FILE;

    @TempDir static Path shared;
    static MotoServer moto;
    static StaticFiles upstream;
    static S3Client s3;
    static final Map<String, String> savedProps = new java.util.HashMap<>();

    @TempDir Path project;
    ClusterSpec spec;

    @BeforeAll
    static void start() throws Exception {
        moto = MotoServer.start(shared);
        // The SDK's default credential chain reads these system properties first (moto takes any).
        for (String k : List.of("aws.accessKeyId", "aws.secretAccessKey")) {
            savedProps.put(k, System.getProperty(k));
            System.setProperty(k, "testing");
        }
        s3 = S3Client.builder().region(Region.of(MotoServer.REGION)).endpointOverride(URI.create(moto.endpoint()))
                .forcePathStyle(true).httpClient(UrlConnectionHttpClient.create()).build();
        s3.createBucket(b -> b.bucket(BUCKET));
        upstream = StaticFiles.start(Map.of());
    }

    @AfterAll
    static void stop() throws Exception {
        if (upstream != null) {
            upstream.close();
        }
        if (s3 != null) {
            s3.close();
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

    @BeforeEach
    void lockWithEveryImage() throws Exception {
        Files.copy(Path.of("Pulumi.dev.yaml"), project.resolve("Pulumi.dev.yaml"));
        spec = Stacks.spec("dev", Stacks.config("dev"));
        // Every image already synced: the sync keeps them and never calls a registry.
        new ImageLock(REGISTRY, ImageCatalog.of(spec).stream().map(i -> new ImageLock.Entry(i.source(), i.repository(),
                "sha256:" + "1".repeat(64))).toList()).write(project, "dev");
        upstream.files.clear();
        upstream.requests.clear();
    }

    @AfterEach
    void emptyBucket() {
        s3.listObjectsV2(b -> b.bucket(BUCKET)).contents().forEach(o -> s3.deleteObject(b -> b.bucket(BUCKET).key(o.key())));
    }

    static String base() {
        return upstream.baseUrl();
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** Publishes a binary and a .sha256 in sha256sum's format (as artifacts.k8s.io does) naming {@code claimed}. */
    static void publish(byte[] binary, String claimed) {
        upstream.files.put(PATH, binary);
        upstream.files.put(PATH + ".sha256", (claimed + "  " + CredentialProvider.FILE + "\n").getBytes(StandardCharsets.UTF_8));
    }

    record Run(int code, String out, String err) {
    }

    Run sync(String... extra) {
        ImagesCommand.Sync cmd = new ImagesCommand.Sync();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(out, true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        List<String> args = new ArrayList<>(List.of("--stack", "dev", "--cwd", project.toString(), "--registry", REGISTRY,
                "--binaries-from", base(), "--aws-endpoint", moto.endpoint()));
        args.addAll(List.of(extra));
        int code = new CommandLine(cmd).execute(args.toArray(String[]::new));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Run syncToBucket() {
        return sync("--artifact-bucket", BUCKET);
    }

    LockedBinary locked() throws Exception {
        return ImageLock.read(project, "dev").orElseThrow().credentialProvider();
    }

    static byte[] object(String key) {
        ResponseBytes<GetObjectResponse> b = s3.getObjectAsBytes(r -> r.bucket(BUCKET).key(key));
        return b.asByteArray();
    }

    static boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(BUCKET).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void fetchesOnceChecksCopiesAndRecords() throws Exception {
        byte[] binary = ("fake ecr-credential-provider " + System.nanoTime()).repeat(5000).getBytes(StandardCharsets.UTF_8);
        String sha = sha256(binary);
        publish(binary, sha);

        Run first = syncToBucket();
        assertThat(first.code()).as(first.out() + first.err()).isZero();
        LockedBinary b = locked();
        assertThat(b).isEqualTo(new LockedBinary(CredentialProvider.VERSION, base() + PATH, sha, binary.length, BUCKET,
                CredentialProvider.objectKey(CredentialProvider.VERSION, sha)));
        assertThat(object(b.key())).isEqualTo(binary);
        assertThat(upstream.requests).containsExactly(PATH, PATH + ".sha256");
        assertThat(first.out()).contains("copied  " + CredentialProvider.NAME).contains(b.s3Uri())
                .contains("and " + CredentialProvider.NAME + " " + CredentialProvider.VERSION + " recorded");
        // The lock still holds every image, and the program accepts the entry.
        assertThat(ImageLock.read(project, "dev").orElseThrow().images()).hasSize(ImageCatalog.of(spec).size());

        // Again: the object is there with the recorded size and sha256, so nothing is fetched or copied.
        String before = Files.readString(ImageLock.path(project, "dev"));
        upstream.requests.clear();
        Run second = syncToBucket();
        assertThat(second.code()).as(second.out() + second.err()).isZero();
        assertThat(second.out()).contains("kept    " + CredentialProvider.NAME);
        assertThat(upstream.requests).isEmpty();
        assertThat(Files.readString(ImageLock.path(project, "dev"))).isEqualTo(before);

        // The object went missing (a new bucket's lifecycle, a manual delete): copied again, same entry.
        s3.deleteObject(r -> r.bucket(BUCKET).key(b.key()));
        Run third = syncToBucket();
        assertThat(third.code()).as(third.out() + third.err()).isZero();
        assertThat(object(b.key())).isEqualTo(binary);
        assertThat(Files.readString(ImageLock.path(project, "dev"))).isEqualTo(before);
    }

    @Test
    void aWrongPublishedChecksumStopsTheSyncAndRecordsNoBinary() throws Exception {
        byte[] binary = ("truncated or tampered " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        String other = sha256("what upstream built".getBytes(StandardCharsets.UTF_8));
        publish(binary, other);
        Run run = syncToBucket();
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).startsWith("kilonode images sync: " + base() + PATH + " has sha256 " + sha256(binary)
                + ", but " + base() + PATH + ".sha256 says " + other).contains("not recorded").doesNotContain("\tat ");
        assertThat(locked()).isNull();
        assertThat(s3.listObjectsV2(b -> b.bucket(BUCKET)).contents()).isEmpty();
        // The images stay recorded.
        assertThat(ImageLock.read(project, "dev").orElseThrow().images()).hasSize(ImageCatalog.of(spec).size());
    }

    @Test
    void aChangedUpstreamFileForTheLockedVersionIsRefused() throws Exception {
        byte[] original = ("release build " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        publish(original, sha256(original));
        assertThat(syncToBucket().code()).isZero();
        LockedBinary first = locked();
        String lockText = Files.readString(ImageLock.path(project, "dev"));

        // Upstream now serves other bytes under the same version, with a matching .sha256; the object is gone.
        byte[] rebuilt = ("rebuilt " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        publish(rebuilt, sha256(rebuilt));
        s3.deleteObject(r -> r.bucket(BUCKET).key(first.key()));
        Run run = syncToBucket();
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("now has sha256 " + sha256(rebuilt) + ", but the lock recorded " + first.sha256())
                .contains("left as recorded");
        assertThat(Files.readString(ImageLock.path(project, "dev"))).isEqualTo(lockText);
        assertThat(exists(CredentialProvider.objectKey(CredentialProvider.VERSION, sha256(rebuilt)))).isFalse();
    }

    @Test
    void aLockedObjectWithOtherBytesIsNotKept() throws Exception {
        byte[] binary = ("locked " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        publish(binary, sha256(binary));
        assertThat(syncToBucket().code()).isZero();
        LockedBinary b = locked();
        s3.putObject(r -> r.bucket(BUCKET).key(b.key()), software.amazon.awssdk.core.sync.RequestBody.fromString("x"));
        Run run = syncToBucket();
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains(b.s3Uri() + " is not what the lock recorded");
    }

    @Test
    void noChecksumFileNoCopy() throws Exception {
        upstream.files.put(PATH, "binary without a checksum".getBytes(StandardCharsets.UTF_8));
        Run run = syncToBucket();
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("GET " + base() + PATH + ".sha256 answered HTTP 404; cannot check the binary");
        assertThat(locked()).isNull();
    }

    @Test
    void anUnreachableBucketIsAFailureNotAMissingObject() throws Exception {
        byte[] binary = ("locked " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        publish(binary, sha256(binary));
        assertThat(syncToBucket().code()).isZero();
        String lockText = Files.readString(ImageLock.path(project, "dev"));
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        ImagesCommand.Sync cmd = new ImagesCommand.Sync();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        cmd.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        cmd.err = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = new CommandLine(cmd).execute("--stack", "dev", "--cwd", project.toString(), "--registry", REGISTRY,
                "--binaries-from", base(), "--aws-endpoint", "http://127.0.0.1:" + closed, "--artifact-bucket", BUCKET);
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot tell whether " + locked().s3Uri() + " exists");
        assertThat(Files.readString(ImageLock.path(project, "dev"))).isEqualTo(lockText);
    }

    @Test
    void withoutTheBucketOutputTheSyncSaysWhatToDo() throws Exception {
        Path outputs = project.resolve("outputs.json");
        Files.writeString(outputs, "{\"imageRegistry\": \"" + REGISTRY + "\"}");
        Run run = sync("--outputs", outputs.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("no artifactBucket output yet (run `pulumi up`").contains("--artifact-bucket");
        assertThat(upstream.requests).isEmpty();

        byte[] binary = ("from outputs " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
        publish(binary, sha256(binary));
        Files.writeString(outputs, "{\"imageRegistry\": \"" + REGISTRY + "\", \"artifactBucket\": \"" + BUCKET + "\"}");
        Run withBucket = sync("--outputs", outputs.toString());
        assertThat(withBucket.code()).as(withBucket.err()).isZero();
        assertThat(locked().bucket()).isEqualTo(BUCKET);
    }
}
