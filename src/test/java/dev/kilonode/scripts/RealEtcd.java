package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Real etcd 3.5 members (Debian trixie's etcd-server/etcd-client, unpacked by .ci/run; not stubbed) with TLS and
 * client-certificate auth like kubeadm's, each on its own loopback address 127.0.1.(i+1) and one pair of free ports,
 * so the scripts address masters by IP exactly as on AWS. The PKI is kubeadm's layout for the etcd CA
 * ({@code pki/etcd/ca.crt|ca.key|healthcheck-client.*}). {@link #close()} SIGKILLs every member it started.
 */
final class RealEtcd implements AutoCloseable {
  static final String TOOLS_IMAGE = "gcr.io/etcd-development/etcd:v3.5.16";

  final Path root;
  final Path bin;
  final Path pki;
  final int clientPort;
  final int peerPort;
  private final KeyPair caKeys;
  private final X509Certificate ca;
  private final Map<Integer, Process> running = new LinkedHashMap<>();

  record Run(int exitCode, String output) {
  }

  /** Where the etcd binaries are: $KILONODE_TEST_ETCD_BIN, else .ci/run's /opt/kilonode-test-etcd/usr/bin. Fails when absent. */
  static Path binaries() {
    String env = System.getenv("KILONODE_TEST_ETCD_BIN");
    Path dir = Path.of(env != null && !env.isBlank() ? env : "/opt/kilonode-test-etcd/usr/bin");
    for (String tool : List.of("etcd", "etcdctl", "etcdutl")) {
      if (!Files.isExecutable(dir.resolve(tool))) {
        throw new AssertionError(dir.resolve(tool) + " is missing: .ci/run unpacks Debian trixie's etcd-server and "
            + "etcd-client 3.5 there (bookworm's 3.4 has no etcdutl), or set KILONODE_TEST_ETCD_BIN");
      }
    }
    return dir;
  }

  RealEtcd(Path root) throws Exception {
    this.root = root;
    this.bin = binaries();
    this.pki = Files.createDirectories(root.resolve("pki"));
    Files.createDirectories(pki.resolve("etcd"));
    this.clientPort = freePort();
    int p;
    do {
      p = freePort();
    } while (p == clientPort);
    this.peerPort = p;
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    caKeys = gen.generateKeyPair();
    X500Name caName = new X500Name("CN=etcd-ca");
    Instant now = Instant.now();
    var b = new JcaX509v3CertificateBuilder(caName, BigInteger.ONE, Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(2))), caName, caKeys.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
    ca = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    write(pki.resolve("etcd/ca.crt"), ca);
    write(pki.resolve("etcd/ca.key"), caKeys);
    issue(pki.resolve("etcd/healthcheck-client"), "kube-etcd-healthcheck-client", now.minus(Duration.ofHours(1)),
        now.plus(Duration.ofDays(1)), List.of());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  static String ip(int i) {
    return "127.0.1." + (i + 1);
  }

  static String name(int i) {
    return "master-" + i;
  }

  String clientUrl(int i) {
    return "https://" + ip(i) + ":" + clientPort;
  }

  String peerUrl(int i) {
    return "https://" + ip(i) + ":" + peerPort;
  }

  Path dataDir(int i) {
    return root.resolve("etcd-" + i);
  }

  String initialCluster(int members) {
    return IntStream.range(0, members).mapToObj(i -> name(i) + "=" + peerUrl(i)).collect(Collectors.joining(","));
  }

  String masterIps(int members) {
    return IntStream.range(0, members).mapToObj(RealEtcd::ip).collect(Collectors.joining(","));
  }

  /** A client certificate from the etcd CA valid in [from, to] (an expired one when to is in the past). */
  void issue(Path base, String cn, Instant from, Instant to, List<String> ips) throws Exception {
    KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
    gen.initialize(256);
    KeyPair keys = gen.generateKeyPair();
    var b = new JcaX509v3CertificateBuilder(ca, new BigInteger(64, new SecureRandom()), Date.from(from), Date.from(to),
        new X500Name("CN=" + cn), keys.getPublic());
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
    if (ips.isEmpty()) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    } else {
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
          ips.stream().map(a -> new GeneralName(GeneralName.iPAddress, a)).toArray(GeneralName[]::new)));
    }
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())));
    write(Path.of(base + ".crt"), cert);
    write(Path.of(base + ".key"), keys);
  }

  /** PEM: certificates as CERTIFICATE, keys as PKCS#8 PRIVATE KEY (what Go's tls and openssl both read). */
  private static void write(Path file, Object pem) throws Exception {
    String type = pem instanceof KeyPair ? "PRIVATE KEY" : "CERTIFICATE";
    byte[] der = pem instanceof KeyPair kp ? kp.getPrivate().getEncoded() : ((X509Certificate) pem).getEncoded();
    Files.writeString(file, "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n");
  }

  /** Starts member i (as kubeadm's static pod would, with kubeadm's TLS flags) and waits until it is healthy. */
  Process start(int i, String initialCluster, String state) throws Exception {
    Path certs = pki.resolve("member-" + i);
    if (!Files.exists(Path.of(certs + ".crt"))) {
      Instant now = Instant.now();
      issue(certs, name(i), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), List.of(ip(i), "127.0.0.1"));
    }
    Files.createDirectories(dataDir(i));
    List<String> cmd = List.of(bin.resolve("etcd").toString(), "--name=" + name(i), "--data-dir=" + dataDir(i),
        "--listen-client-urls=" + clientUrl(i), "--advertise-client-urls=" + clientUrl(i),
        "--listen-peer-urls=" + peerUrl(i), "--initial-advertise-peer-urls=" + peerUrl(i),
        "--initial-cluster=" + initialCluster, "--initial-cluster-state=" + state,
        "--initial-cluster-token=kilonode-test", "--cert-file=" + certs + ".crt", "--key-file=" + certs + ".key",
        "--trusted-ca-file=" + pki.resolve("etcd/ca.crt"), "--client-cert-auth=true",
        "--peer-cert-file=" + certs + ".crt", "--peer-key-file=" + certs + ".key",
        "--peer-trusted-ca-file=" + pki.resolve("etcd/ca.crt"), "--peer-client-cert-auth=true",
        "--listen-metrics-urls=", "--log-level=warn");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(root.resolve("etcd-" + i + ".log").toFile())).start();
    running.put(i, p);
    return p;
  }

  /** Waits (bounded) until member i answers a health check. */
  void awaitHealthy(int i) throws Exception {
    Run last = null;
    for (int attempt = 0; attempt < 60; attempt++) {
      last = etcdctl(clientUrl(i), "endpoint", "health");
      if (last.exitCode() == 0) {
        return;
      }
      if (running.containsKey(i) && !running.get(i).isAlive()) {
        break;
      }
      Thread.sleep(250);
    }
    throw new AssertionError("etcd member " + i + " not healthy: " + (last == null ? "" : last.output()) + "\nlog:\n"
        + (Files.exists(root.resolve("etcd-" + i + ".log")) ? Files.readString(root.resolve("etcd-" + i + ".log")) : ""));
  }

  /** SIGKILL (Process.destroyForcibly on Linux), as a lost instance would. */
  void kill(int i) throws InterruptedException {
    Process p = running.remove(i);
    if (p != null) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  Process process(int i) {
    return running.get(i);
  }

  /** The real etcdctl with the healthcheck client certificate, bounded to 20 s. */
  Run etcdctl(String endpoints, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("timeout", "20", bin.resolve("etcdctl").toString(),
        "--endpoints=" + endpoints, "--cacert=" + pki.resolve("etcd/ca.crt"),
        "--cert=" + pki.resolve("etcd/healthcheck-client.crt"), "--key=" + pki.resolve("etcd/healthcheck-client.key"),
        "--dial-timeout=3s", "--command-timeout=10s"));
    cmd.addAll(List.of(args));
    return exec(cmd);
  }

  static Run exec(List<String> cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("did not finish: " + cmd);
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** etcdctl that must succeed. */
  String ok(String endpoints, String... args) throws Exception {
    Run r = etcdctl(endpoints, args);
    assertThat(r.exitCode()).as(String.join(" ", args) + ": " + r.output()).isZero();
    return r.output();
  }

  @Override
  public void close() throws InterruptedException {
    for (int i : List.copyOf(running.keySet())) {
      Process p = running.get(i);
      ProcessHandle.of(p.pid()).ifPresent(h -> {
        // A test may have SIGSTOPped it (hung etcd); SIGKILL works on stopped processes too.
        h.destroyForcibly();
      });
      kill(i);
    }
  }
}
