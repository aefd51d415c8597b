package dev.kilonode.secrets;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/**
 * kubeadm's CA pin: {@code sha256:} + hex SHA-256 of the CA certificate's DER SubjectPublicKeyInfo
 * (kubeadm join --discovery-token-ca-cert-hash; the same value `openssl x509 -pubkey | openssl rsa -pubin -outform der
 * | sha256sum` gives). Public: it goes into worker user-data so joins are pinned, never unsafeSkipCAVerification.
 */
public final class CaCertHash {

    private CaCertHash() {
    }

    public static String of(String caCertificatePem) {
        try {
            X509Certificate cert = parseCertificate(caCertificatePem);
            byte[] spki = cert.getPublicKey().getEncoded();
            return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a PEM certificate", e);
        }
    }

    static X509Certificate parseCertificate(String pem) throws GeneralSecurityException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.UTF_8)));
    }
}
