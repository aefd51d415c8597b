package dev.kilonode.cloudinit;

import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code /etc/kilonode/kilonode.env}: the settings a node's scripts read. Values are validated to a shell-safe
 * alphabet instead of being quoted, so the file can be sourced by bash and read by systemd EnvironmentFile alike.
 * Never holds a secret.
 */
public final class EnvFile {

    public static final String PATH = "/etc/kilonode/kilonode.env";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:,=@+-]*");

    private EnvFile() {
    }

    public static String render(Map<String, String> values) {
        StringBuilder out = new StringBuilder("# Written by kilonode (cloud-init). No secrets here: they are read from SSM.\n");
        new TreeMap<>(values).forEach((k, v) -> {
            if (!k.matches("[A-Z][A-Z0-9_]*") || !SAFE.matcher(v).matches()) {
                throw new IllegalArgumentException("unsafe env entry " + k + "=" + v);
            }
            out.append(k).append('=').append(v).append('\n');
        });
        return out.toString();
    }
}
