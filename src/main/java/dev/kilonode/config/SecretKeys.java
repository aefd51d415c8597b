package dev.kilonode.config;

import java.util.List;

/**
 * Secret stack settings. Written by {@code kilonode secrets init} with {@code pulumi config set --secret}, read by the
 * program only as Pulumi secret outputs and stored in SSM Parameter Store as SecureString; never rendered.
 */
public final class SecretKeys {

    public static final String CA_KEY = "kilonode:caKey";
    public static final String FRONT_PROXY_CA_KEY = "kilonode:frontProxyCaKey";
    public static final String ETCD_CA_KEY = "kilonode:etcdCaKey";
    public static final String SERVICE_ACCOUNT_KEY = "kilonode:serviceAccountKey";
    public static final String ADMIN_CLIENT_KEY = "kilonode:adminClientKey";
    public static final String BOOTSTRAP_TOKEN = "kilonode:bootstrapToken";

    public static final List<String> ALL = List.of(CA_KEY, FRONT_PROXY_CA_KEY, ETCD_CA_KEY, SERVICE_ACCOUNT_KEY,
            ADMIN_CLIENT_KEY, BOOTSTRAP_TOKEN);

    /** The public halves, plain config. */
    public static final String CA_CERT = "kilonode:caCertificate";
    public static final String FRONT_PROXY_CA_CERT = "kilonode:frontProxyCaCertificate";
    public static final String ETCD_CA_CERT = "kilonode:etcdCaCertificate";
    public static final String SERVICE_ACCOUNT_PUB = "kilonode:serviceAccountPublicKey";
    public static final String ADMIN_CLIENT_CERT = "kilonode:adminClientCertificate";

    public static final List<String> PUBLIC = List.of(CA_CERT, FRONT_PROXY_CA_CERT, ETCD_CA_CERT, SERVICE_ACCOUNT_PUB,
            ADMIN_CLIENT_CERT);

    private SecretKeys() {
    }
}
