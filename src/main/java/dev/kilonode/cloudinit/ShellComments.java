package dev.kilonode.cloudinit;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drops whole-line comments from a shell script before it goes into user-data: EC2 takes 16 KB of user-data after
 * gzip, and a master carries a dozen scripts whose comments are for the people reading components/, not for bash.
 * Kept: the shebang, shellcheck directives, every line with code (so trailing comments stay), and everything inside
 * a here-document, whose lines are data.
 */
public final class ShellComments {

    /** {@code <<WORD}, {@code <<-WORD}, {@code <<'WORD'}, {@code <<"WORD"}; not the here-string {@code <<<}. */
    private static final Pattern HEREDOC = Pattern.compile("(?<!<)<<(-?)\\s*['\"]?([A-Za-z_][A-Za-z0-9_]*)['\"]?");

    private ShellComments() {
    }

    public static String strip(String script) {
        StringBuilder out = new StringBuilder(script.length());
        String delimiter = null;
        boolean tabs = false;
        String[] lines = script.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            boolean last = i == lines.length - 1;
            if (delimiter != null) {
                if ((tabs ? line.replaceFirst("^\t+", "") : line).equals(delimiter)) {
                    delimiter = null;
                }
                append(out, line, last);
                continue;
            }
            String trimmed = line.stripLeading();
            boolean comment = trimmed.startsWith("#") && !(i == 0 && trimmed.startsWith("#!"))
                    && !trimmed.startsWith("# shellcheck");
            if (comment) {
                continue;
            }
            Matcher m = HEREDOC.matcher(line);
            if (!trimmed.startsWith("#") && m.find()) {
                tabs = !m.group(1).isEmpty();
                delimiter = m.group(2);
            }
            append(out, line, last);
        }
        return out.toString();
    }

    private static void append(StringBuilder out, String line, boolean last) {
        out.append(line);
        if (!last) {
            out.append('\n');
        }
    }
}
