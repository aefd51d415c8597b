package dev.kilonode.kubernetes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The admin kubeconfig the stack's own Kubernetes provider uses, built from the control plane's outputs and the
 * stack's PKI (no file from anyone's laptop). The result holds the admin client key: callers keep it inside a
 * Pulumi secret and never write it anywhere.
 */
public final class Kubeconfig {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS));

    private Kubeconfig() {
    }

    /**
     * @param clusterName   name of the cluster, user and context entries
     * @param server        {@code https://host:port} of the API server
     * @param caPem         the cluster CA certificate (PEM)
     * @param clientCertPem the admin client certificate (PEM)
     * @param clientKeyPem  the admin client private key (PEM) - secret
     */
    public static String render(String clusterName, String server, String caPem, String clientCertPem,
                                String clientKeyPem) {
        require(server != null && server.startsWith("https://"), "API server URL must be https://host:port, got " + server);
        require(caPem != null && caPem.contains("BEGIN CERTIFICATE"), "CA certificate must be a PEM certificate");
        require(clientCertPem != null && clientCertPem.contains("BEGIN CERTIFICATE"),
                "admin client certificate must be a PEM certificate");
        require(clientKeyPem != null && !clientKeyPem.isBlank(), "admin client key is empty");
        String user = clusterName + "-admin";

        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", server);
        cluster.put("certificate-authority-data", b64(caPem));
        Map<String, Object> credentials = new LinkedHashMap<>();
        credentials.put("client-certificate-data", b64(clientCertPem));
        credentials.put("client-key-data", b64(clientKeyPem));
        Map<String, Object> context = new LinkedHashMap<>();
        context.put("cluster", clusterName);
        context.put("user", user);

        Map<String, Object> config = new LinkedHashMap<>();
        config.put("apiVersion", "v1");
        config.put("kind", "Config");
        config.put("clusters", List.of(entry("name", clusterName, "cluster", cluster)));
        config.put("users", List.of(entry("name", user, "user", credentials)));
        config.put("contexts", List.of(entry("name", clusterName, "context", context)));
        config.put("current-context", clusterName);
        config.put("preferences", new LinkedHashMap<>());
        try {
            return YAML.writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render kubeconfig", e);
        }
    }

    /** An ordered two-key map: Map.of iterates in a per-JVM random order, and output must not vary. */
    private static Map<String, Object> entry(String k1, Object v1, String k2, Object v2) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(k1, v1);
        m.put(k2, v2);
        return m;
    }

    private static String b64(String pem) {
        String normalized = pem.strip() + "\n";
        return Base64.getEncoder().encodeToString(normalized.getBytes(StandardCharsets.UTF_8));
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
