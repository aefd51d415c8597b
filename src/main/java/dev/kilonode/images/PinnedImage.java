package dev.kilonode.images;

/**
 * One image the cluster runs: where it comes from ({@code source}, a tag reference), and the ECR repository of the
 * stack that mirrors it ({@code repository}, relative to the account's registry).
 */
public record PinnedImage(String component, String source, String repository) {

    /** The tag of the source reference (after the last ':' of the last path segment). */
    public String tag() {
        int slash = source.lastIndexOf('/');
        int colon = source.indexOf(':', slash + 1);
        return colon < 0 ? "latest" : source.substring(colon + 1);
    }

    /** {@code registry/repository@digest}: what a node pulls once the image is synced. */
    public String mirrored(String registry, String digest) {
        return registry + "/" + repository + "@" + digest;
    }
}
