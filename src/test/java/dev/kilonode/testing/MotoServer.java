package dev.kilonode.testing;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * moto_server (python3.11's moto, a local AWS API) on a free 127.0.0.1 port, for the AWS CLI and SDK in tests.
 * Started per test class, stopped by {@link #close()}.
 */
public final class MotoServer implements AutoCloseable {

    public static final String REGION = "us-east-1";
    private final Process process;
    private final int port;

    private MotoServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static MotoServer start(Path logDir) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path log = Files.createDirectories(logDir).resolve("moto.log");
        Process p;
        try {
            p = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", String.valueOf(port))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("moto_server is not installed (pip install 'moto[server]' for python3.11)", e);
        }
        MotoServer server = new MotoServer(p, port);
        for (int i = 0; i < 100; i++) {
            if (!p.isAlive()) {
                throw new AssertionError("moto_server exited: " + Files.readString(log));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(server.endpoint() + "/moto-api/").toURL().openConnection();
                c.setConnectTimeout(500);
                c.getResponseCode();
                return server;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        server.close();
        throw new AssertionError("moto_server did not answer on " + server.endpoint() + " within 20 s");
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** Environment for the AWS CLI (and SDK) to talk to this server with dummy credentials. */
    public Map<String, String> awsEnv() {
        return Map.of("AWS_ENDPOINT_URL", endpoint(), "AWS_ACCESS_KEY_ID", "testing", "AWS_SECRET_ACCESS_KEY", "testing",
                "AWS_DEFAULT_REGION", REGION, "AWS_REGION", REGION);
    }

    /** Runs the AWS CLI against the server; returns stdout, fails on a non-zero exit. */
    public String aws(String... args) throws Exception {
        var cmd = new java.util.ArrayList<String>();
        cmd.add("aws");
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
        pb.environment().putAll(awsEnv());
        Process p = pb.start();
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("aws " + String.join(" ", args) + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError("aws " + String.join(" ", args) + " failed: " + err.get());
        }
        return out.get();
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
