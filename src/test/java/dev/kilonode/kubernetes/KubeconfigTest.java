package dev.kilonode.kubernetes;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KubeconfigTest {

    static final String CERT = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    @Test
    void rendersTheSameTextEveryTime() {
        String a = Kubeconfig.render("c", "https://h:6443", CERT, CERT, "key");
        assertThat(Kubeconfig.render("c", "https://h:6443", CERT, CERT, "key")).isEqualTo(a);
        assertThat(a).startsWith("apiVersion: v1\nkind: Config\nclusters:\n");
    }

    @Test
    void refusesWhatCannotWork() {
        assertThatThrownBy(() -> Kubeconfig.render("c", "http://h:6443", CERT, CERT, "key"))
                .hasMessageContaining("https://");
        assertThatThrownBy(() -> Kubeconfig.render("c", "https://h:6443", "nope", CERT, "key"))
                .hasMessageContaining("CA certificate");
        assertThatThrownBy(() -> Kubeconfig.render("c", "https://h:6443", CERT, CERT, " "))
                .hasMessageContaining("key");
    }
}
