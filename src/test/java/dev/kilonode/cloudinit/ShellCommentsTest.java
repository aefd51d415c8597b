package dev.kilonode.cloudinit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ShellCommentsTest {

    @Test
    void everyComponentScriptStaysValidBashWithTheSameCode() throws Exception {
        List<Path> scripts;
        try (Stream<Path> s = Files.walk(Path.of("components"))) {
            scripts = s.filter(p -> p.toString().endsWith(".sh")).sorted().toList();
        }
        assertThat(scripts).isNotEmpty();
        for (Path p : scripts) {
            String source = Files.readString(p);
            String stripped = ShellComments.strip(source);
            assertThat(stripped.length()).as(p.toString()).isLessThanOrEqualTo(source.length());
            Path out = Files.createTempFile("stripped", ".sh");
            try {
                Files.writeString(out, stripped);
                Process bash = new ProcessBuilder("bash", "-n", out.toString()).redirectErrorStream(true).start();
                String msg = new String(bash.getInputStream().readAllBytes());
                assertThat(bash.waitFor()).as(p + ": " + msg).isZero();
            } finally {
                Files.delete(out);
            }
            // Only comment lines went: every other line is still there, in order.
            List<String> code = source.lines().filter(l -> !l.stripLeading().startsWith("#")).toList();
            assertThat(stripped.lines().filter(l -> !l.stripLeading().startsWith("#")).toList()).as(p.toString())
                    .isEqualTo(code);
            assertThat(stripped).startsWith(source.lines().findFirst().orElseThrow());
        }
    }

    @Test
    void hereDocumentsAndDirectivesAreKept() {
        String script = """
                #!/usr/bin/env bash
                # a comment
                # shellcheck disable=SC2034
                x=1 # trailing stays
                cat <<'EOF'
                # data, not a comment
                EOF
                  # indented comment
                y=$(wc -c <<<"#x")
                """;
        assertThat(ShellComments.strip(script)).isEqualTo("""
                #!/usr/bin/env bash
                # shellcheck disable=SC2034
                x=1 # trailing stays
                cat <<'EOF'
                # data, not a comment
                EOF
                y=$(wc -c <<<"#x")
                """);
    }
}
