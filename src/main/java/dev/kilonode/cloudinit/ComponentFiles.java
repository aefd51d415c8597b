package dev.kilonode.cloudinit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads what a component puts on its machines from {@code components/<Component>/} on the classpath. */
public final class ComponentFiles {

    private ComponentFiles() {
    }

    public static String read(String component, String file) {
        String path = "/components/" + component + "/" + file;
        try (InputStream in = ComponentFiles.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing classpath resource " + path + " (components/ folder)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
