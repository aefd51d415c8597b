package dev.kilonode.images;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * The credential provider step of {@code kilonode images sync}: fetch {@link CredentialProvider#VERSION} once from
 * upstream, check it against the {@code .sha256} published next to it, copy it to the stack's artifacts bucket under
 * {@link CredentialProvider#objectKey} and return the lock entry. An entry already in the lock for the same version
 * and bucket is kept when its object is still there with the recorded size and sha256; a missing object is copied
 * again, and a copy whose upstream bytes differ from what the lock recorded for that version is refused (the lock
 * pins the binary; a changed upstream file must not reach nodes by a re-sync).
 */
final class CredentialProviderSync {

    /** One clear message; the sync stops and says it. */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message);
        }
    }

    static final String SHA256_METADATA = "sha256";
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    private final HttpClient http;
    private final S3Client s3;
    private final PrintStream out;

    CredentialProviderSync(HttpClient http, S3Client s3, PrintStream out) {
        this.http = http;
        this.s3 = s3;
        this.out = out;
    }

    /** {@code upstreamBase}: https://artifacts.k8s.io, or a mirror with the same paths. */
    LockedBinary sync(LockedBinary known, String upstreamBase, String bucket) throws Failure {
        String version = CredentialProvider.VERSION;
        String source = CredentialProvider.sourceUrl(upstreamBase, version);
        if (known != null && known.version().equals(version) && known.bucket().equals(bucket)) {
            if (stillThere(known)) {
                out.println("kept    " + CredentialProvider.NAME + " " + version + " -> " + known.s3Uri());
                return known;
            }
        }
        Path file = null;
        try {
            file = Files.createTempFile("kilonode-" + CredentialProvider.NAME, ".download");
            String sha256 = download(source, file);
            String published = publishedSha256(source + ".sha256");
            if (!published.equals(sha256)) {
                throw new Failure(source + " has sha256 " + sha256 + ", but " + source + ".sha256 says " + published
                        + "; nothing copied");
            }
            if (known != null && known.version().equals(version) && !known.sha256().equals(sha256)) {
                throw new Failure(source + " now has sha256 " + sha256 + ", but the lock recorded " + known.sha256()
                        + " for " + version + ": the upstream file changed. Nothing copied; nodes keep the locked binary. "
                        + "To accept the new file, remove credentialProvider from the lock and sync again");
            }
            long size = Files.size(file);
            LockedBinary copy = new LockedBinary(version, source, sha256, size, bucket,
                    CredentialProvider.objectKey(version, sha256));
            // S3 checks the body against x-amz-checksum-sha256 and refuses a corrupted upload.
            s3.putObject(b -> b.bucket(bucket).key(copy.key()).contentLength(size)
                    .checksumSHA256(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(sha256)))
                    .metadata(Map.of(SHA256_METADATA, sha256)), RequestBody.fromFile(file));
            out.println("copied  " + CredentialProvider.NAME + " " + version + " (" + size + " bytes, sha256 " + sha256
                    + ") -> " + copy.s3Uri());
            return copy;
        } catch (SdkException e) {
            throw new Failure("copying " + CredentialProvider.NAME + " to s3://" + bucket + " failed: " + firstLine(e.getMessage()));
        } catch (IOException e) {
            throw new Failure("fetching " + source + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure("interrupted while fetching " + source);
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a temporary file; the OS cleans up
                }
            }
        }
    }

    /**
     * The locked object is there with the recorded size and sha256: true. Not there (404): false, copy again.
     * Anything else (denied, unreachable, different bytes) stops the sync: it cannot tell, or it would overwrite.
     */
    private boolean stillThere(LockedBinary known) throws Failure {
        HeadObjectResponse head;
        try {
            head = s3.headObject(b -> b.bucket(known.bucket()).key(known.key()));
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw new Failure("cannot tell whether " + known.s3Uri() + " exists (HTTP " + e.statusCode() + ", "
                    + firstLine(e.getMessage()) + "); nothing copied");
        } catch (SdkException e) {
            throw new Failure("cannot tell whether " + known.s3Uri() + " exists: " + e.getMessage());
        }
        if (head.contentLength() != known.size() || !known.sha256().equals(head.metadata().get(SHA256_METADATA))) {
            throw new Failure(known.s3Uri() + " is not what the lock recorded (" + head.contentLength() + " bytes, sha256 "
                    + head.metadata().get(SHA256_METADATA) + "; lock: " + known.size() + " bytes, " + known.sha256() + ")");
        }
        return true;
    }

    /** GET url into file; the sha256 of what arrived. */
    private String download(String url, Path file) throws IOException, InterruptedException, Failure {
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest sha = sha256();
        try (InputStream in = r.body(); OutputStream o = Files.newOutputStream(file)) {
            if (r.statusCode() != 200) {
                throw new Failure("GET " + url + " answered HTTP " + r.statusCode());
            }
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
                o.write(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** The first word of the published {@code .sha256} file (sha256sum's format, or the bare digest). */
    private String publishedSha256(String url) throws IOException, InterruptedException, Failure {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (r.statusCode() != 200) {
            throw new Failure("GET " + url + " answered HTTP " + r.statusCode() + "; cannot check the binary");
        }
        String first = r.body().strip().split("\\s+", 2)[0].toLowerCase(java.util.Locale.ROOT);
        if (!LockedBinary.SHA256_HEX.matcher(first).matches()) {
            throw new Failure(url + " does not hold a sha256 (\"" + first.substring(0, Math.min(first.length(), 80))
                    + "\"); cannot check the binary");
        }
        return first;
    }

    private static String firstLine(String s) {
        String m = String.valueOf(s);
        return m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
