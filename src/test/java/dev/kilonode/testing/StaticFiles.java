package dev.kilonode.testing;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A plain HTTP file server on 127.0.0.1 standing in for a download site (artifacts.k8s.io for the credential
 * provider): GET of a path in {@link #files} returns its bytes, anything else 404. Tests change {@link #files}
 * between runs and read {@link #requests}; {@link #close} stops it.
 */
public final class StaticFiles implements AutoCloseable {

    public final Map<String, byte[]> files = new ConcurrentHashMap<>();
    public final List<String> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    private StaticFiles() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            requests.add(path);
            byte[] body = files.get(path);
            exchange.sendResponseHeaders(body == null ? 404 : 200, body == null ? -1 : body.length);
            if (body != null) {
                exchange.getResponseBody().write(body);
            }
            exchange.close();
        });
        server.start();
    }

    public static StaticFiles start(Map<String, byte[]> files) throws IOException {
        StaticFiles s = new StaticFiles();
        s.files.putAll(files);
        return s;
    }

    /** {@code http://127.0.0.1:<port>}, without a trailing slash. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
