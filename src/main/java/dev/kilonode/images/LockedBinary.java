package dev.kilonode.images;

import java.util.regex.Pattern;

/**
 * A binary {@code kilonode images sync} fetched once from its upstream {@code source}, checked against the upstream's
 * published sha256, and copied to {@code s3://bucket/key} in the stack's artifacts bucket ({@link ImageSupply}).
 * Nodes download that object through the S3 gateway endpoint and check it against {@code sha256} as rendered into
 * their configuration; {@code size} is what each node downloads (bytes).
 */
public record LockedBinary(String version, String source, String sha256, long size, String bucket, String key) {

    public static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** S3 general purpose bucket names (AWS S3 user guide, "Bucket naming rules"): 3-63 of a-z 0-9 . - */
    public static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    public String s3Uri() {
        return "s3://" + bucket + "/" + key;
    }

    /** The one object ARN the node roles may read ({@code s3:GetObject}). */
    public String objectArn() {
        return "arn:aws:s3:::" + bucket + "/" + key;
    }
}
