package dev.kilonode.kubernetes;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiServerReadinessTest {

    static final ApiServerReadiness.Settings FAST = new ApiServerReadiness.Settings(Duration.ofSeconds(2),
            Duration.ofMillis(100), Duration.ofSeconds(1));
    static TestPki pki;

    @BeforeAll
    static void pki() throws Exception {
        pki = new TestPki("kubernetes");
    }

    @Test
    void waitsThrough503UntilReady() throws Exception {
        try (FakeApiServer api = new FakeApiServer(pki, 3)) {
            ApiServerReadiness.await(api.url(), pki.caPem(), FAST).get(10, TimeUnit.SECONDS);
            assertThat(api.requests.get()).isEqualTo(4);
        }
    }

    @Test
    void failsWithTheUrlWhenNeverReady() throws Exception {
        try (FakeApiServer api = new FakeApiServer(pki, -1)) {
            long started = System.nanoTime();
            var wait = ApiServerReadiness.await(api.url(), pki.caPem(), FAST);
            assertThatThrownBy(() -> wait.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(ApiServerReadiness.NotReadyException.class)
                    .hasMessageContaining(api.url() + "/readyz")
                    .hasMessageContaining("HTTP 503")
                    .hasMessageContaining("readyz check failed");
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(elapsedMs).isBetween(1_500L, 6_000L);
            assertThat(api.requests.get()).isGreaterThan(3);
        }
    }

    @Test
    void trustsOnlyTheClusterCa() throws Exception {
        TestPki other = new TestPki("someone-else");
        try (FakeApiServer api = new FakeApiServer(other, 0)) {
            var wait = ApiServerReadiness.await(api.url(), pki.caPem(), FAST);
            assertThatThrownBy(() -> wait.get(10, TimeUnit.SECONDS))
                    .cause().isInstanceOf(ApiServerReadiness.NotReadyException.class)
                    .hasMessageContaining("SSLHandshakeException");
        }
    }

    @Test
    void nothingListeningIsATimeoutToo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        var wait = ApiServerReadiness.await("https://127.0.0.1:" + port, pki.caPem(), FAST);
        assertThatThrownBy(() -> wait.get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(ApiServerReadiness.NotReadyException.class)
                .hasMessageContaining("https://127.0.0.1:" + port + "/readyz")
                .hasMessageContaining("ConnectException");
    }

    @Test
    void rejectsNonHttpsUrls() {
        assertThatThrownBy(() -> ApiServerReadiness.readyzUri("http://127.0.0.1:6443"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(ApiServerReadiness.readyzUri("https://api.example:6443/").toString())
                .isEqualTo("https://api.example:6443/readyz");
    }
}
