package dev.kilonode.images;

import dev.kilonode.config.ClusterSpec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;

/**
 * Which part of the stack a run registers. The stack creates the ECR repositories and {@code kilonode images sync}
 * fills them, so a stack's first bring-up has two phases:
 * <ol>
 *   <li>{@value #IMAGES}: {@code images/<stack>.lock.json} is missing, or does not cover every {@link ImageCatalog}
 *       image of the configured versions (same source and repository, a sha256 digest), or names a registry outside
 *       the stack's region. Only the network and the image supply (repositories, endpoints) are registered.</li>
 *   <li>{@value #CLUSTER}: the lock is complete; everything is registered and every image reference renders from it.</li>
 * </ol>
 * A stack whose versions change later (a new Kubernetes patch, another network tag), or whose lock file went missing,
 * would drop back to {@value #IMAGES}: nothing is ever rendered with an image the mirror does not hold. That phase
 * registers fewer resources, so on a stack that already runs a cluster {@code pulumi up} would delete the cluster's
 * resources. {@link #refuseToLeaveCluster} stops such a run instead: the program fails, and the Pulumi engine deletes
 * resources a program no longer registers only after the program has finished without error.
 */
public record BringUp(String phase, Optional<ImageLock> lock, List<String> problems, ImageRefs images) {

    public static final String IMAGES = "images";
    public static final String CLUSTER = "cluster";
    /** Test-only: where tests keep fixture locks (set by surefire and the plan executions in pom.xml). */
    public static final String LOCK_DIR_ENV = "KILONODE_IMAGE_LOCK_DIR";

    /** A lock that cannot be read or names a registry that is not ECR: one message, nothing registered. */
    public static final class LockException extends RuntimeException {
        public LockException(String message) {
            super(message);
        }
    }

    public boolean complete() {
        return CLUSTER.equals(phase);
    }

    /**
     * The directory whose {@code images/<stack>.lock.json} is read: the project directory ({@code pulumi up} runs the
     * program there), unless the test-only {@value #LOCK_DIR_ENV} names another.
     */
    public static Path lockDirectory(Path projectDir) {
        String override = System.getenv(LOCK_DIR_ENV);
        return override == null || override.isBlank() ? projectDir : Path.of(override);
    }

    public static BringUp decide(ClusterSpec spec, Path lockDir) {
        Optional<ImageLock> lock;
        Path path = ImageLock.path(lockDir, spec.stack());
        try {
            lock = ImageLock.read(lockDir, spec.stack());
        } catch (IOException e) {
            throw new LockException(path + " cannot be read: " + firstLine(e.getMessage())
                    + "; fix or delete it and run `kilonode images sync --stack " + spec.stack() + "`");
        }
        List<PinnedImage> catalog = ImageCatalog.of(spec);
        String prefix = ImageCatalog.prefix(spec);
        List<String> problems = new ArrayList<>();
        if (lock.isEmpty()) {
            problems.add(path + " does not exist");
        } else {
            ImageLock l = lock.get();
            Matcher m = l.registry() == null ? null : ImageRefs.ECR_REGISTRY.matcher(l.registry());
            if (m == null || !m.matches()) {
                throw new LockException(path + ": registry \"" + l.registry() + "\" is not an ECR registry host "
                        + "(<12-digit account>.dkr.ecr.<region>.amazonaws.com); run `kilonode images sync --stack "
                        + spec.stack() + "` against the stack's imageRegistry output");
            }
            if (!m.group(2).equals(spec.region())) {
                problems.add(path + " is for region " + m.group(2) + ", the stack is in " + spec.region());
            }
            if (l.credentialProvider() != null) {
                checkCredentialProvider(path, l.credentialProvider(), spec.stack());
            }
            for (PinnedImage image : catalog) {
                Optional<String> digest = l.digestOf(image);
                if (digest.isEmpty()) {
                    problems.add("no digest for " + image.source() + " (repository " + image.repository() + ")");
                } else if (!ImageRefs.DIGEST.matcher(digest.get()).matches()) {
                    problems.add("digest \"" + digest.get() + "\" of " + image.source() + " is not sha256:<64 hex>");
                }
            }
        }
        if (!problems.isEmpty()) {
            return new BringUp(IMAGES, lock, List.copyOf(problems), ImageRefs.upstream(catalog, prefix));
        }
        return new BringUp(CLUSTER, lock, List.of(), ImageRefs.mirrored(catalog, prefix, lock.get()));
    }

    /**
     * A credential provider entry nodes would be configured with: well-formed, or the program stops (a hand-edited
     * lock must not render a download nodes cannot check).
     */
    private static void checkCredentialProvider(Path path, LockedBinary b, String stack) {
        String problem = null;
        if (b.version() == null || !b.version().matches("v\\d+\\.\\d+\\.\\d+")) {
            problem = "version \"" + b.version() + "\" is not v<major>.<minor>.<patch>";
        } else if (b.sha256() == null || !LockedBinary.SHA256_HEX.matcher(b.sha256()).matches()) {
            problem = "sha256 \"" + b.sha256() + "\" is not 64 lower-case hex digits";
        } else if (b.size() <= 0) {
            problem = "size " + b.size() + " is not a positive byte count";
        } else if (b.bucket() == null || !LockedBinary.BUCKET.matcher(b.bucket()).matches()) {
            problem = "bucket \"" + b.bucket() + "\" is not an S3 bucket name";
        } else if (!CredentialProvider.objectKey(b.version(), b.sha256()).equals(b.key())) {
            problem = "key \"" + b.key() + "\" is not " + CredentialProvider.objectKey(b.version(), b.sha256());
        }
        if (problem != null) {
            throw new LockException(path + ": credentialProvider: " + problem + "; delete the entry and run "
                    + "`kilonode images sync --stack " + stack + "`");
        }
    }

    /**
     * What the program and the plan warn about a complete lock: no credential provider entry (a lock written before
     * the sync recorded it: nodes keep the old, weaker download), or an entry for another version than this kilonode
     * pins (nodes get the locked one until a sync records the new one).
     */
    public List<String> warnings(String stack) {
        if (!complete()) {
            return List.of();
        }
        LockedBinary b = lock.get().credentialProvider();
        String sync = "`java -jar target/kilonode.jar images sync --stack " + stack + "`";
        if (b == null) {
            return List.of("images/" + stack + ".lock.json has no credentialProvider entry (written before `images sync` "
                    + "recorded it): every node downloads " + CredentialProvider.NAME + " " + CredentialProvider.VERSION
                    + " from artifacts.k8s.io through the NAT gateway, checked only against the .sha256 downloaded beside it. "
                    + "Run " + sync + " (this `pulumi up` creates the artifacts bucket it copies to) and commit the lock: "
                    + "nodes then fetch the locked binary from the stack's S3 bucket through the S3 gateway endpoint");
        }
        if (!b.version().equals(CredentialProvider.VERSION)) {
            return List.of("images/" + stack + ".lock.json records " + CredentialProvider.NAME + " " + b.version()
                    + "; this kilonode pins " + CredentialProvider.VERSION + ". Nodes get the locked " + b.version()
                    + " until " + sync + " records the new one");
        }
        return List.of();
    }

    /**
     * The images phase on a stack whose last successful run exported {@code bringUpPhase = cluster}: refuse, naming why
     * and what to do, rather than let {@code pulumi up} delete a running cluster. {@code previousPhase} is that output
     * (empty for a new stack, or one from before the output existed); returns the phase to export when the run may go on.
     */
    public String refuseToLeaveCluster(String stack, String previousPhase) {
        if (!complete() && CLUSTER.equals(previousPhase)) {
            throw new LockException("stack " + stack + " runs a cluster, but the image lock does not cover this "
                    + "configuration (" + reasons() + "), so this run would register only the image supply and `pulumi up` "
                    + "would delete the cluster. Nothing was changed. Run `java -jar target/kilonode.jar images sync --stack "
                    + stack + "` (the repositories exist), commit images/" + stack + ".lock.json, then run again; or "
                    + "restore the previous lock.");
        }
        return phase;
    }

    private String reasons() {
        int shown = Math.min(problems.size(), 5);
        return String.join("; ", problems.subList(0, shown))
                + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : "");
    }

    /** The warning of the images phase: why, and the exact commands that finish the bring-up. */
    public String nextSteps(String stack) {
        String why = reasons();
        return "bring-up phase \"images\": only the network and the image supply (ECR repositories, VPC endpoints) are "
                + "registered, because the image lock does not cover this configuration (" + why + "). Next: "
                + "`pulumi up` (creates the repositories), then `java -jar target/kilonode.jar images sync --stack " + stack
                + "`, then commit images/" + stack + ".lock.json, then `pulumi up` again for the cluster.";
    }

    private static String firstLine(String s) {
        String m = String.valueOf(s);
        return m.contains("\n") ? m.substring(0, m.indexOf('\n')) : m;
    }
}
