package dev.kilonode.kubernetes;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * An HTTPS server on 127.0.0.1 (ephemeral port) answering {@code /readyz} like kube-apiserver: 503 for the first
 * {@code notReadyAnswers} requests, then 200 (never 200 when negative). {@link #json} adds GET routes that answer
 * with what a supplier returns (null: 404 with a Status object, like the API server for a missing object).
 */
public final class FakeApiServer implements AutoCloseable {

    private final HttpsServer server;
    final AtomicInteger requests = new AtomicInteger();

    public FakeApiServer(TestPki pki, int notReadyAnswers) throws Exception {
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(pki.serverContext()));
        server.createContext("/readyz", exchange -> {
            int n = requests.incrementAndGet();
            boolean ready = notReadyAnswers >= 0 && n > notReadyAnswers;
            byte[] body = (ready ? "ok" : "[-]etcd failed: reason withheld\nreadyz check failed")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(ready ? 200 : 503, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    /** Answers GET {@code path} (exact, query ignored) with the supplier's JSON; null gives 404 NotFound. */
    public FakeApiServer json(String path, Supplier<String> body) {
        server.createContext(path, exchange -> {
            if (!exchange.getRequestURI().getPath().equals(path)) {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            String json = body.get();
            int code = 200;
            if (json == null) {
                code = 404;
                json = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}";
            }
            byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(code, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        return this;
    }

    public String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
