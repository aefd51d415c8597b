package dev.kilonode.kubernetes;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Waits until a Kubernetes API server answers {@code GET /readyz} with 200, over TLS that trusts only the cluster's
 * own CA. {@code /readyz} is readable without credentials (the default {@code system:public-info-viewer} role), so
 * the wait needs no key. Bounded: after {@link Settings#timeout()} it fails with an error naming the URL and the last
 * answer. Asynchronous (no thread sleeps): each poll is scheduled on a delayed executor.
 */
public final class ApiServerReadiness {

    /** @param timeout total wait; @param pollInterval pause between polls; @param requestTimeout one request's limit */
    public record Settings(Duration timeout, Duration pollInterval, Duration requestTimeout) {

        /** Long enough for kubeadm init on a fresh master behind a new load balancer (health checks included). */
        public static final Settings DEFAULT = new Settings(Duration.ofMinutes(20), Duration.ofSeconds(10),
                Duration.ofSeconds(10));

        public Settings {
            if (timeout.isNegative() || pollInterval.isNegative() || pollInterval.isZero() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("readiness wait needs a non-negative timeout and positive intervals");
            }
        }
    }

    /** Thrown (inside the returned future) when the API server is not ready in time. */
    public static final class NotReadyException extends RuntimeException {
        public NotReadyException(String message) {
            super(message);
        }
    }

    private ApiServerReadiness() {
    }

    /** The readiness URL of an API server URL: {@code https://host:6443} -> {@code https://host:6443/readyz}. */
    public static URI readyzUri(String apiServerUrl) {
        String base = apiServerUrl.endsWith("/") ? apiServerUrl.substring(0, apiServerUrl.length() - 1) : apiServerUrl;
        URI uri = URI.create(base + "/readyz");
        if (!"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("API server URL must be https://host:port, got " + apiServerUrl);
        }
        return uri;
    }

    public static CompletableFuture<Void> await(String apiServerUrl, String caPem, Settings settings) {
        return await(apiServerUrl, caPem, settings, System::nanoTime);
    }

    static CompletableFuture<Void> await(String apiServerUrl, String caPem, Settings settings, LongSupplier nanoClock) {
        URI uri;
        HttpClient client;
        try {
            uri = readyzUri(apiServerUrl);
            client = HttpClient.newBuilder()
                    .sslContext(trustingOnly(caPem))
                    .connectTimeout(settings.requestTimeout())
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long deadline = nanoClock.getAsLong() + settings.timeout().toNanos();
        CompletableFuture<Void> done = new CompletableFuture<>();
        poll(client, uri, settings, deadline, nanoClock, done, 1);
        return done;
    }

    private static void poll(HttpClient client, URI uri, Settings settings, long deadline, LongSupplier clock,
                             CompletableFuture<Void> done, int attempt) {
        HttpRequest request = HttpRequest.newBuilder(uri).GET().timeout(settings.requestTimeout()).build();
        client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            if (error == null && response.statusCode() == 200) {
                done.complete(null);
                return;
            }
            String last = error != null ? describe(error) : "HTTP " + response.statusCode() + summary(response.body());
            long remaining = deadline - clock.getAsLong();
            if (remaining < settings.pollInterval().toNanos()) {
                done.completeExceptionally(new NotReadyException("Kubernetes API server " + uri + " did not answer 200 within "
                        + human(settings.timeout()) + " (" + attempt + " attempts; last: " + last + "). Check the masters' "
                        + "kubeadm init log (/var/log/cloud-init-output.log) and the API load balancer's target health."));
                return;
            }
            CompletableFuture.delayedExecutor(settings.pollInterval().toMillis(), TimeUnit.MILLISECONDS)
                    .execute(() -> poll(client, uri, settings, deadline, clock, done, attempt + 1));
        });
    }

    /** An SSL context whose only trust anchors are the certificates in {@code caPem}: not the JDK's public CAs. */
    static SSLContext trustingOnly(String caPem) {
        try {
            Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(caPem.getBytes(StandardCharsets.US_ASCII)));
            if (certs.isEmpty()) {
                throw new IllegalArgumentException("no certificate in the cluster CA PEM");
            }
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certs) {
                trust.setCertificateEntry("cluster-ca-" + i++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("cluster CA certificate is not usable: " + e.getMessage(), e);
        }
    }

    private static String describe(Throwable error) {
        Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                ? error.getCause() : error;
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    private static String summary(String body) {
        if (body == null || body.isBlank()) {
            return "";
        }
        String oneLine = body.strip().replaceAll("\\s+", " ");
        return " " + (oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine);
    }

    private static String human(Duration d) {
        return d.toMinutes() > 0 && d.toSecondsPart() == 0 ? d.toMinutes() + " min" : d.toMillis() + " ms";
    }
}
