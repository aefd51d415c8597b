package dev.kilonode.cloudinit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * EC2 user-data encoding: gzip (cloud-init decompresses it itself) then base64. EC2 caps user-data at 16 KB
 * before base64; gzip keeps the scripts well under it. Java's gzip header has a zero timestamp, so the same
 * text always encodes to the same bytes and previews show no spurious diff.
 */
public final class UserData {

    public static final int EC2_LIMIT_BYTES = 16 * 1024;

    private UserData() {
    }

    public static byte[] gzip(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // Best compression: every byte counts against EC2's limit, and the output stays deterministic.
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(java.util.zip.Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(text.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] bytes = out.toByteArray();
        if (bytes.length > EC2_LIMIT_BYTES) {
            throw new IllegalStateException("user-data is " + bytes.length + " bytes gzipped; EC2 allows " + EC2_LIMIT_BYTES);
        }
        return bytes;
    }

    public static String encode(String text) {
        return Base64.getEncoder().encodeToString(gzip(text));
    }

    /** base64 -> (gunzip when gzip) -> text. */
    public static String decode(String base64) {
        byte[] raw = Base64.getDecoder().decode(base64);
        if (raw.length > 1 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new String(raw, StandardCharsets.UTF_8);
    }
}
