package dev.kilonode.images;

import dev.kilonode.status.StackOutputOptions;
import dev.kilonode.status.StackOutputs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.plan.StackInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ecr.EcrClient;
import software.amazon.awssdk.services.s3.S3Client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kilonode images}: the stack's private image supply. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "The stack's mirrored images in ECR.",
        subcommands = {ImagesCommand.Sync.class})
public final class ImagesCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    /**
     * Copies every {@link ImageCatalog} image into the stack's ECR repositories with Jib (registry to registry, no
     * Docker daemon) and records the copies' digests in {@code images/<stack>.lock.json}. Images already recorded
     * for the same source are skipped. Jib re-writes the manifest (linux/amd64, its own format), so the recorded
     * digest is the mirror's, not the upstream one; it is what nodes pull. Then the kubelet's credential provider
     * binary: fetched once, checked, copied to the stack's artifacts bucket and recorded ({@link CredentialProviderSync}).
     */
    @Command(name = "sync", mixinStandardHelpOptions = true, description = "Copy the pinned images into the stack's ECR "
            + "repositories and the kubelet's ecr-credential-provider into its artifacts bucket, and record their "
            + "digests in images/<stack>.lock.json.")
    static final class Sync implements Callable<Integer> {

        @Mixin
        StackOutputOptions stackOutputs = new StackOutputOptions();

        @Option(names = "--registry", description = "the target registry host (default: the stack's imageRegistry output)")
        String registry;


        @Option(names = "--from-registry", description = "pull every source through this registry instead "
                + "(an upstream mirror you run; the repository paths stay)")
        String fromRegistry;

        @Option(names = "--allow-insecure-registries", description = "allow plain HTTP (local test registries only)")
        boolean insecure;

        @Option(names = "--artifact-bucket", description = "the stack's artifacts bucket (default: the stack's "
                + "artifactBucket output)")
        String artifactBucket;

        @Option(names = "--binaries-from", defaultValue = CredentialProvider.UPSTREAM, description = "fetch the "
                + "credential provider from this base URL instead (a mirror of artifacts.k8s.io you run; paths stay; "
                + "default: ${DEFAULT-VALUE})")
        String binariesFrom;

        @Option(names = "--aws-endpoint", description = "S3 API endpoint URL (default: the region's)")
        URI awsEndpoint;

        PrintStream out = System.out;
        PrintStream err = System.err;

        @Override
        public Integer call() throws Exception {
            String stack = stackOutputs.stack;
            Path cwd = stackOutputs.projectDir;
            ClusterSpec spec;
            Path file = cwd.resolve("Pulumi." + stack + ".yaml");
            try {
                spec = StackInput.load(file, stack).spec();
            } catch (IOException e) {
                err.println("kilonode images sync: cannot read " + file + ": " + e.getMessage());
                return 2;
            } catch (ConfigValidationException e) {
                err.println("kilonode images sync: " + file + ": " + e.getMessage());
                return 2;
            }
            JsonNode stackOutputs = null;
            if (registry == null || artifactBucket == null) {
                stackOutputs = readOutputs();
                if (stackOutputs == null) {
                    return 2;
                }
            }
            String target = registry != null ? registry : output(stackOutputs, "imageRegistry", "--registry");
            String bucket = artifactBucket != null ? artifactBucket
                    : output(stackOutputs, "artifactBucket", "--artifact-bucket");
            if (target == null || bucket == null) {
                return 2;
            }
            List<PinnedImage> images = ImageCatalog.of(spec);
            ImageLock before = ImageLock.read(cwd, stack).filter(l -> l.registry().equals(target))
                    .orElse(new ImageLock(target, List.of()));
            String[] credential = credentialFor(target, spec.region());
            List<ImageLock.Entry> entries = new ArrayList<>();
            int copied = 0;
            for (PinnedImage image : images) {
                var known = before.digestOf(image);
                if (known.isPresent()) {
                    entries.add(new ImageLock.Entry(image.source(), image.repository(), known.get()));
                    out.println("kept    " + image.source() + " -> " + image.mirrored(target, known.get()));
                    continue;
                }
                String from = fromRegistry == null ? image.source()
                        : fromRegistry + "/" + ImageCatalog.repositoryPath(image.source()) + ":" + image.tag();
                try {
                    String digest = copy(from, target + "/" + image.repository() + ":" + image.tag(), credential);
                    entries.add(new ImageLock.Entry(image.source(), image.repository(), digest));
                    out.println("copied  " + image.source() + " -> " + image.mirrored(target, digest));
                    copied++;
                } catch (Exception e) {
                    // Record what did copy, then stop: a half-synced stack must not look synced.
                    new ImageLock(target, entries, before.credentialProvider()).write(cwd, stack);
                    err.println("kilonode images sync: copying " + from + " failed: " + oneLine(e)
                            + "; " + entries.size() + " of " + images.size() + " recorded in " + ImageLock.path(cwd, stack));
                    return 1;
                }
            }
            LockedBinary provider;
            try {
                provider = syncCredentialProvider(before.credentialProvider(), bucket, spec.region());
            } catch (CredentialProviderSync.Failure e) {
                // The images are recorded; the previous provider entry (if any) stays as it was.
                new ImageLock(target, entries, before.credentialProvider()).write(cwd, stack);
                err.println("kilonode images sync: " + e.getMessage() + "; " + entries.size() + " images recorded in "
                        + ImageLock.path(cwd, stack) + ", " + CredentialProvider.NAME + " "
                        + (before.credentialProvider() == null ? "not recorded" : "left as recorded"));
                return 1;
            }
            new ImageLock(target, entries, provider).write(cwd, stack);
            out.println("kilonode images sync: " + images.size() + " images (" + copied + " copied) and "
                    + CredentialProvider.NAME + " " + provider.version() + " recorded in " + ImageLock.path(cwd, stack));
            return 0;
        }

        private LockedBinary syncCredentialProvider(LockedBinary known, String bucket, String region)
                throws CredentialProviderSync.Failure {
            var builder = S3Client.builder().region(Region.of(region)).httpClient(UrlConnectionHttpClient.create());
            if (awsEndpoint != null) {
                // A local S3 (tests): path-style, its host is not a bucket's virtual host.
                builder.endpointOverride(awsEndpoint).forcePathStyle(true);
            }
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                    .connectTimeout(java.time.Duration.ofSeconds(30)).build();
            try (S3Client s3 = builder.build()) {
                return new CredentialProviderSync(http, s3, out).sync(known, binariesFrom, bucket);
            }
        }

        private String copy(String from, String to, String[] credential) throws Exception {
            RegistryImage target = RegistryImage.named(to);
            if (credential != null) {
                target.addCredential(credential[0], credential[1]);
            }
            JibContainer result = Jib.from(RegistryImage.named(from))
                    .containerize(Containerizer.to(target).setAllowInsecureRegistries(insecure)
                            .setToolName("kilonode"));
            return result.getDigest().toString();
        }

        /** ECR: a registry login from the AWS SDK (12-hour token); other registries: anonymous. */
        private String[] credentialFor(String host, String region) {
            if (!host.matches("\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?")) {
                return null;
            }
            try (EcrClient ecr = EcrClient.builder().region(Region.of(region))
                    .httpClient(UrlConnectionHttpClient.create()).build()) {
                String token = ecr.getAuthorizationToken().authorizationData().get(0).authorizationToken();
                String decoded = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return new String[]{decoded.substring(0, colon), decoded.substring(colon + 1)};
            }
        }

        /** The stack outputs ({@link StackOutputOptions#outputsJson}); null after saying why. */
        private JsonNode readOutputs() {
            try {
                return new ObjectMapper().readTree(stackOutputs.outputsJson().text());
            } catch (StackOutputs.Unreadable e) {
                err.println("kilonode images sync: " + e.getMessage() + " (or pass --registry and --artifact-bucket)");
                return null;
            } catch (IOException e) {
                err.println("kilonode images sync: cannot read the stack outputs: " + e.getMessage());
                return null;
            }
        }

        /** One string output of the stack (imageRegistry, artifactBucket); null after saying what to do. */
        private String output(JsonNode stackOutputs, String name, String option) {
            String value = stackOutputs.path(name).asText("");
            if (value.isEmpty()) {
                err.println("kilonode images sync: the stack has no " + name + " output yet (run `pulumi up`: it "
                        + "creates the ECR repositories and the artifacts bucket), or pass " + option);
                return null;
            }
            return value;
        }

        private static String oneLine(Throwable e) {
            Throwable t = e;
            while (t.getCause() != null && t.getMessage() == null) {
                t = t.getCause();
            }
            String m = String.valueOf(t.getMessage());
            return m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m;
        }
    }
}
