package dev.kilonode.secrets;

import dev.kilonode.App;
import dev.kilonode.config.SecretKeys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `secrets init` and `rotate-token` against a stand-in `pulumi` that records its arguments and standard input. */
class SecretsCommandTest {

    @TempDir
    Path dir;
    Path fake;
    Path log;

    @BeforeEach
    void fakePulumi() throws IOException {
        log = dir.resolve("calls");
        Files.createDirectories(log);
        fake = dir.resolve("pulumi");
        // `config get` fails (no value yet) unless the marker file says the CA exists.
        Files.writeString(fake, """
                #!/usr/bin/env bash
                n=$(ls "%1$s" | wc -l)
                printf '%%s\\n' "$@" > "%1$s/$n.args"
                if [[ $2 == get ]]; then [[ -f "%1$s/../ca-exists" ]]; exit $?; fi
                cat > "%1$s/$n.stdin"
                """.formatted(log));
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(dir.resolve("Pulumi.dev.yaml"), "config:\n  kilonode:owner: someone\n");
    }

    private int run(String... args) {
        return App.commandLine().execute(args);
    }

    @Test
    void initStoresKeysAsSecretsAndCertificatesAsPlainTextThroughStdin() throws IOException {
        assertThat(run("secrets", "init", "--stack", "dev", "--pulumi", fake.toString(), "--cwd", dir.toString())).isZero();
        List<Path> args;
        try (var s = Files.list(log)) {
            args = s.filter(p -> p.toString().endsWith(".args")).sorted().toList();
        }
        int sets = 0;
        for (Path a : args) {
            List<String> argv = Files.readAllLines(a);
            if (!argv.get(1).equals("set")) {
                continue;
            }
            sets++;
            String key = argv.get(4);
            String value = Files.readString(Path.of(a.toString().replace(".args", ".stdin")));
            assertThat(argv).as("value never on the command line").noneMatch(x -> x.contains("BEGIN"));
            if (SecretKeys.ALL.contains(key)) {
                assertThat(argv).contains("--secret");
            } else {
                assertThat(argv).contains("--plaintext");
                assertThat(value).doesNotContain("PRIVATE KEY");
            }
            if (key.equals(SecretKeys.BOOTSTRAP_TOKEN)) {
                assertThat(value).matches("[a-z0-9]{6}\\.[a-z0-9]{16}");
            }
            if (key.equals(SecretKeys.CA_CERT)) {
                assertThat(value).startsWith("-----BEGIN CERTIFICATE-----");
            }
        }
        assertThat(sets).isEqualTo(SecretKeys.ALL.size() + SecretKeys.PUBLIC.size());
    }

    @Test
    void initRefusesToReplaceAnExistingCa() throws IOException {
        Files.writeString(dir.resolve("ca-exists"), "");
        assertThat(run("secrets", "init", "--stack", "dev", "--pulumi", fake.toString(), "--cwd", dir.toString())).isEqualTo(2);
    }

    @Test
    void rotateTokenSetsOnlyTheToken() throws IOException {
        assertThat(run("secrets", "rotate-token", "--stack", "dev", "--pulumi", fake.toString(), "--cwd", dir.toString())).isZero();
        assertThat(Files.readAllLines(log.resolve("0.args"))).contains("kilonode:bootstrapToken", "--secret");
        assertThat(Files.readString(log.resolve("0.stdin"))).matches("[a-z0-9]{6}\\.[a-z0-9]{16}");
    }

    @Test
    void generatedPkiChainsAndPinsLikeKubeadm() throws Exception {
        ClusterPki pki = ClusterPki.generate(new SecureRandom(), Instant.parse("2026-11-23T00:00:00Z"));
        var ca = CaCertHash.parseCertificate(pki.ca().certificate());
        var admin = CaCertHash.parseCertificate(pki.adminClient().certificate());
        admin.verify(ca.getPublicKey());
        assertThat(admin.getSubjectX500Principal().getName()).contains("O=kubeadm:cluster-admins");
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(CaCertHash.of(pki.ca().certificate())).matches("sha256:[0-9a-f]{64}");
        assertThat(pki.ca().key()).contains("PRIVATE KEY");
    }
}
