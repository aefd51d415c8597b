package dev.kilonode.config;

/**
 * The public halves of the cluster's PKI, from stack config (written by {@code kilonode secrets init}). The private
 * keys and the bootstrap token are secret config values and never pass through this record.
 */
public record PkiSpec(String caCertificate, String frontProxyCaCertificate, String etcdCaCertificate,
                      String serviceAccountPublicKey, String adminClientCertificate) {
}
