package dev.kilonode.secrets;

import dev.kilonode.config.SecretKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kilonode secrets init --stack dev}: the one command a new stack needs before {@code pulumi up}. It generates
 * the cluster PKI and bootstrap token ({@link ClusterPki}) and stores them in the stack's config through the Pulumi
 * CLI: private keys and the token with {@code --secret} (encrypted by the stack's secrets provider), certificates in
 * plain text. Values travel on the CLI's standard input, never on a command line or in a log.
 * {@code kilonode secrets rotate-token --stack dev} replaces only the bootstrap token.
 */
@Command(name = "secrets", mixinStandardHelpOptions = true, description = {"Create or rotate a stack's cluster secrets.",
        "Needs the Pulumi CLI (`pulumi` on PATH, or --pulumi <path>) and the stack's Pulumi.<stack>.yaml in --cwd."},
        subcommands = {SecretsCommand.Init.class, SecretsCommand.RotateToken.class})
public final class SecretsCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    abstract static class Base {
        @Option(names = "--stack", required = true, description = "the stack to write to")
        String stack;

        @Option(names = "--pulumi", defaultValue = "pulumi", description = "the Pulumi CLI (default: pulumi on PATH)")
        String pulumi;

        @Option(names = {"--project-dir", "--cwd"}, defaultValue = ".",
            description = "the project directory (default: .; --cwd is its older name)")
        Path cwd;

        PrintStream out = System.out;
        PrintStream err = System.err;

        /**
         * What must hold before the first {@code pulumi} call, each failure one line (exit 2): the CLI exists and the
         * stack has its file (kilonode's required settings live there; {@code pulumi config set} would otherwise
         * write secrets for a stack nobody configured).
         */
        boolean ready() {
            if (resolve(pulumi) == null) {
                err.println("kilonode secrets: the Pulumi CLI `" + pulumi + "` is not " + (pulumi.contains("/")
                        ? "an executable file" : "on PATH") + "; install it (https://www.pulumi.com/docs/install/) or pass --pulumi <path>");
                return false;
            }
            if (!stack.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")) {
                err.println("kilonode secrets: --stack " + stack + " is not a stack name (letters, digits, _ . -)");
                return false;
            }
            Path file = cwd.resolve("Pulumi." + stack + ".yaml");
            if (!Files.isRegularFile(file)) {
                err.println("kilonode secrets: no stack file " + file + "; create the stack first (`pulumi stack init "
                        + stack + "`, then set kilonode:amiId, owner and costCenter) or pass --cwd <project dir>");
                return false;
            }
            return true;
        }

        /** The executable the name stands for: a path as given, else the first match on PATH; null if none. */
        static Path resolve(String command) {
            if (command.contains("/")) {
                Path p = Path.of(command);
                return Files.isRegularFile(p) && Files.isExecutable(p) ? p : null;
            }
            String path = System.getenv("PATH");
            if (path == null) {
                return null;
            }
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path p = Path.of(dir.isEmpty() ? "." : dir, command);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
            return null;
        }

        int set(String key, String value, boolean secret) throws IOException, InterruptedException {
            List<String> cmd = new ArrayList<>(List.of(pulumi, "config", "set", "--stack", stack, key));
            cmd.add(secret ? "--secret" : "--plaintext");
            Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream stdin = p.getOutputStream()) {
                stdin.write(value.getBytes(StandardCharsets.UTF_8));
            }
            int code = p.waitFor();
            if (code != 0) {
                err.println("kilonode secrets: `pulumi config set --stack " + stack + " " + key + "` failed with exit code " + code);
            }
            return code;
        }

        boolean exists(String key) throws IOException, InterruptedException {
            Process p = new ProcessBuilder(pulumi, "config", "get", "--stack", stack, key).directory(cwd.toFile())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor() == 0;
        }

        int writeAll(Map<String, String> plain, Map<String, String> secret) throws IOException, InterruptedException {
            for (var e : plain.entrySet()) {
                if (set(e.getKey(), e.getValue(), false) != 0) {
                    return 1;
                }
            }
            for (var e : secret.entrySet()) {
                if (set(e.getKey(), e.getValue(), true) != 0) {
                    return 1;
                }
            }
            return 0;
        }
    }

    @Command(name = "init", mixinStandardHelpOptions = true, description = "Generate the cluster PKI and bootstrap token for a new stack.")
    static final class Init extends Base implements java.util.concurrent.Callable<Integer> {

        @Option(names = "--force", description = "replace an existing PKI (every node must then be replaced)")
        boolean force;

        @Override
        public Integer call() throws Exception {
            if (!ready()) {
                return 2;
            }
            if (!force && exists(SecretKeys.CA_CERT)) {
                err.println("kilonode secrets: stack " + stack + " already has " + SecretKeys.CA_CERT
                        + "; a new CA would lock every node out. Use `secrets rotate-token`, or --force on a stack you will rebuild.");
                return 2;
            }
            ClusterPki pki = ClusterPki.generate(new SecureRandom(), Instant.now());
            Map<String, String> plain = new LinkedHashMap<>();
            plain.put(SecretKeys.CA_CERT, pki.ca().certificate());
            plain.put(SecretKeys.FRONT_PROXY_CA_CERT, pki.frontProxyCa().certificate());
            plain.put(SecretKeys.ETCD_CA_CERT, pki.etcdCa().certificate());
            plain.put(SecretKeys.SERVICE_ACCOUNT_PUB, pki.serviceAccountPublicKey());
            plain.put(SecretKeys.ADMIN_CLIENT_CERT, pki.adminClient().certificate());
            Map<String, String> secret = new LinkedHashMap<>();
            secret.put(SecretKeys.CA_KEY, pki.ca().key());
            secret.put(SecretKeys.FRONT_PROXY_CA_KEY, pki.frontProxyCa().key());
            secret.put(SecretKeys.ETCD_CA_KEY, pki.etcdCa().key());
            secret.put(SecretKeys.SERVICE_ACCOUNT_KEY, pki.serviceAccountKey());
            secret.put(SecretKeys.ADMIN_CLIENT_KEY, pki.adminClient().key());
            secret.put(SecretKeys.BOOTSTRAP_TOKEN, pki.bootstrapToken());
            int code = writeAll(plain, secret);
            if (code == 0) {
                out.println("kilonode secrets: stack " + stack + " has a new cluster PKI (CA pin "
                        + CaCertHash.of(pki.ca().certificate()) + ") and bootstrap token; keys are encrypted in Pulumi.<stack>.yaml.");
            }
            return code;
        }
    }

    @Command(name = "rotate-token", mixinStandardHelpOptions = true,
            description = "Replace the bootstrap token; `pulumi up` then updates SSM and the masters swap it in the cluster.")
    static final class RotateToken extends Base implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            if (!ready()) {
                return 2;
            }
            int code = set(SecretKeys.BOOTSTRAP_TOKEN, ClusterPki.newToken(new SecureRandom()), true);
            if (code == 0) {
                out.println("kilonode secrets: new bootstrap token set for stack " + stack + "; run `pulumi up` to roll it out.");
            }
            return code;
        }
    }
}
