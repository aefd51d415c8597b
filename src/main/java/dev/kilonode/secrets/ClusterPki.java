package dev.kilonode.secrets;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The cluster's shared PKI, generated once per stack by {@code kilonode secrets init}: the three kubeadm CAs
 * (cluster, front-proxy, etcd), the service-account signing key, an admin client certificate for the stack's own
 * Kubernetes provider, and a bootstrap token. Generating them up front (instead of on the first master) is what lets
 * every master and worker boot at once, join with CA pinning, and a replaced master come back with the same identity.
 */
public record ClusterPki(Pem ca, Pem frontProxyCa, Pem etcdCa, String serviceAccountPublicKey,
                         String serviceAccountKey, Pem adminClient, String bootstrapToken) {

    /** A certificate and its private key, PEM encoded. */
    public record Pem(String certificate, String key) {
    }

    /** kubeadm's CAs last 10 years; so do ours. */
    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    /** Client certificates: 1 year, kubeadm's default; `secrets rotate-admin` is future work (see README). */
    static final Duration CLIENT_VALIDITY = Duration.ofDays(365);
    private static final String TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static ClusterPki generate(SecureRandom random, Instant now) {
        try {
            KeyPair caKeys = rsa(random);
            Pem ca = selfSigned("kubernetes", caKeys, random, now);
            Pem frontProxy = selfSigned("front-proxy-ca", rsa(random), random, now);
            Pem etcd = selfSigned("etcd-ca", rsa(random), random, now);
            KeyPair sa = rsa(random);
            KeyPair adminKeys = rsa(random);
            // kubeadm (1.29+) binds the group kubeadm:cluster-admins to cluster-admin; unlike system:masters it can be unbound.
            X509Certificate caCert = parse(ca.certificate());
            Pem admin = signed("CN=kilonode-admin,O=kubeadm:cluster-admins", adminKeys, caCert, caKeys, random, now);
            return new ClusterPki(ca, frontProxy, etcd, pem(sa.getPublic()), pem(sa.getPrivate()), admin, newToken(random));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate the cluster PKI", e);
        }
    }

    /** A kubeadm bootstrap token: {@code [a-z0-9]{6}.[a-z0-9]{16}}. */
    public static String newToken(SecureRandom random) {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < 23; i++) {
            t.append(i == 6 ? '.' : TOKEN_ALPHABET.charAt(random.nextInt(TOKEN_ALPHABET.length())));
        }
        return t.toString();
    }

    private static KeyPair rsa(SecureRandom random) throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048, random);
        return gen.generateKeyPair();
    }

    private static Pem selfSigned(String cn, KeyPair keys, SecureRandom random, Instant now)
            throws OperatorCreationException, IOException, GeneralSecurityException {
        X500Name name = new X500Name("CN=" + cn);
        var builder = new JcaX509v3CertificateBuilder(name, new BigInteger(63, random), Date.from(now.minusSeconds(300)),
                Date.from(now.plus(CA_VALIDITY)), name, keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        builder.addExtension(Extension.keyUsage, true,
                new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        return new Pem(pem(sign(builder, keys)), pem(keys.getPrivate()));
    }

    private static Pem signed(String subject, KeyPair keys, X509Certificate issuer, KeyPair issuerKeys,
                              SecureRandom random, Instant now)
            throws OperatorCreationException, IOException, GeneralSecurityException {
        var builder = new JcaX509v3CertificateBuilder(issuer, new BigInteger(63, random), Date.from(now.minusSeconds(300)),
                Date.from(now.plus(CLIENT_VALIDITY)), new X500Name(subject), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        return new Pem(pem(sign(builder, issuerKeys)), pem(keys.getPrivate()));
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner cs = new JcaContentSignerBuilder("SHA256withRSA").build(signer.getPrivate());
        X509CertificateHolder holder = builder.build(cs);
        return new JcaX509CertificateConverter().getCertificate(holder);
    }

    private static X509Certificate parse(String pem) throws GeneralSecurityException {
        return CaCertHash.parseCertificate(pem);
    }

    static String pem(Object o) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
