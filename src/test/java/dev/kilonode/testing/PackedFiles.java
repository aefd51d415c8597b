package dev.kilonode.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads a file back out of the bake's AWSTOE document (bake.NodeImageDocument writes each file as
 * {@code base64 -d <<'KILONODE_EOF' | gunzip >PATH}), so tests assert on what the build instance gets, not on text
 * the packing hides.
 */
public final class PackedFiles {

    private PackedFiles() {
    }

    public static String unpack(String document, String path) {
        Matcher m = Pattern.compile("base64 -d <<'KILONODE_EOF' \\| gunzip >" + Pattern.quote(path)
                + "\\n(.*?)\\n\\s*KILONODE_EOF\\n", Pattern.DOTALL).matcher(document);
        if (!m.find()) {
            throw new AssertionError("no packed " + path + " in the document");
        }
        byte[] gz = Base64.getMimeDecoder().decode(m.group(1).replaceAll("\\s+", ""));
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
