package dev.kilonode.kubernetes;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS server on 127.0.0.1 (ephemeral port) answering {@code /readyz} like kube-apiserver: 503 for the first
 * {@code notReadyAnswers} requests, then 200 (never 200 when negative).
 */
final class FakeApiServer implements AutoCloseable {

    private final HttpsServer server;
    final AtomicInteger requests = new AtomicInteger();

    FakeApiServer(TestPki pki, int notReadyAnswers) throws Exception {
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

    String url() {
        return "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
