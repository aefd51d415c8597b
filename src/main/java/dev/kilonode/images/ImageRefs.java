package dev.kilonode.images;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What every rendered image reference resolves to: per {@link ImageCatalog} source, the reference a node pulls.
 *
 * <p>With a complete {@link ImageLock} ({@link #mirrored}) that is {@code <registry>/<repository>@sha256:...} in the
 * stack's ECR registry. {@link #upstream} maps each source to itself: only for rendering a component on its own (unit
 * tests); the stack never registers the cluster with it ({@code BringUp}: no complete lock, no cluster).
 * Asking for an image the catalog does not list fails, so nothing can render an image the mirror does not hold.
 */
public record ImageRefs(String registry, String prefix, Map<String, String> bySource, Map<String, String> tagRefBySource,
                        LockedBinary credentialProvider) {

    /** {@code <12 digits>.dkr.ecr.<region>.amazonaws.com} (ECR private registry host; ".cn" partition too). */
    public static final Pattern ECR_REGISTRY = Pattern.compile("(\\d{12})\\.dkr\\.ecr\\.([a-z0-9-]+)\\.amazonaws\\.com(\\.cn)?");
    public static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

    public ImageRefs {
        bySource = Map.copyOf(bySource);
        tagRefBySource = Map.copyOf(tagRefBySource);
    }

    public static ImageRefs upstream(List<PinnedImage> catalog, String prefix) {
        Map<String, String> same = new LinkedHashMap<>();
        catalog.forEach(i -> same.put(i.source(), i.source()));
        return new ImageRefs(null, prefix, same, same, null);
    }

    /** Every catalog image at its locked digest; the lock must cover the catalog ({@link BringUp#decide} checks). */
    public static ImageRefs mirrored(List<PinnedImage> catalog, String prefix, ImageLock lock) {
        Map<String, String> refs = new LinkedHashMap<>();
        Map<String, String> tags = new LinkedHashMap<>();
        for (PinnedImage image : catalog) {
            String digest = lock.digestOf(image).orElseThrow(() -> new IllegalStateException(
                    "image lock has no digest for " + image.source()));
            refs.put(image.source(), image.mirrored(lock.registry(), digest));
            tags.put(image.source(), lock.registry() + "/" + image.repository() + ":" + image.tag());
        }
        return new ImageRefs(lock.registry(), prefix, refs, tags, lock.credentialProvider());
    }

    /**
     * The kubelet's credential provider in the stack's artifacts bucket, when the lock records it; empty for a lock
     * from before the entry existed (nodes then download it from artifacts.k8s.io: {@link CredentialProvider}).
     */
    public Optional<LockedBinary> credentialProviderObject() {
        return Optional.ofNullable(credentialProvider);
    }

    public boolean isMirrored() {
        return registry != null;
    }

    /** The reference a node pulls for this catalog source: {@code registry/repository@sha256:...} when mirrored. */
    public String of(String source) {
        String ref = bySource.get(source);
        if (ref == null) {
            throw new IllegalStateException("image " + source + " is not in ImageCatalog: the stack's mirror would not hold it");
        }
        return ref;
    }

    /**
     * The same image by tag in the stack's repository ({@code registry/repository:tag}): only for consumers that build
     * references themselves from a registry and a tag (kubeadm's addon phases, the ansible deployer). ECR tags in the
     * stack's repositories are IMMUTABLE (ImageSupply), so this tag always names the bytes the lock's digest names.
     */
    public String tagged(String source) {
        of(source);
        return tagRefBySource.get(source);
    }

    /**
     * {@code registry/repository:tag@sha256:...}: the tag for readers that parse a version from it (kubeadm's CoreDNS
     * migration, {@code kubeadm upgrade}) and the digest for the runtime. containerd drops the tag of a reference
     * that has both (distribution/reference normalize.go ParseDockerRef), so it pulls exactly {@link #of}. Upstream
     * (not mirrored) it is the source itself.
     */
    public String taggedWithDigest(String source) {
        String ref = of(source);
        if (!isMirrored()) {
            return ref;
        }
        return tagged(source) + ref.substring(ref.lastIndexOf('@'));
    }

    /** {@code <registry>/<prefix>}: kubeadm's imageRepository and the deployer's CONTAINER_REGISTRY. */
    public Optional<String> repositoryBase() {
        return isMirrored() ? Optional.of(registry + "/" + prefix) : Optional.empty();
    }

    /** The AWS account of the registry, when mirrored. */
    public Optional<String> accountId() {
        return accountOf(registry);
    }

    public static Optional<String> accountOf(String registry) {
        if (registry == null) {
            return Optional.empty();
        }
        Matcher m = ECR_REGISTRY.matcher(registry);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
