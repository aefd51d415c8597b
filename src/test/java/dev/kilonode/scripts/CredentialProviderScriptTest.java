package dev.kilonode.scripts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.images.CredentialProvider;
import dev.kilonode.images.LockedBinary;
import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * components/KubernetesNode/install-kubernetes.sh installs the kubelet's ecr-credential-provider from the stack's
 * artifacts bucket with the real AWS CLI against moto_server enforcing IAM (like S3 with instance roles): the caller is
 * an IAM user whose only policy is the node roles' statement, s3:GetObject on exactly {@link LockedBinary#objectArn}.
 * The download is checked against the sha256 from the env file (the lock's, never fetched); a mismatch, a denied
 * read and a missing object each stop the install with a message, nothing installed. The package installs and the
 * host (apt-get, systemctl, ...) are stubs (containerd is the real 2.x), as in {@link BakedBootScriptTest}.
 */
class CredentialProviderScriptTest {
  static final String INSTALL = "KubernetesNode/install-kubernetes.sh";
  static final NetworkRelease ROW = NetworkReleases.table().defaultRow();
  static final String RELEASE = ROW.kernel().series() + ".0-1040-aws";
  static final String BUCKET = "kilonode-dev-bin-20261123000000000000000001";
  /** The region of MotoServer#awsEnv, which the unauthenticated setup calls use. */
  static final String REGION = "eu-west-1";
  static final String BIN_DIR = "/usr/local/libexec/kubernetes/image-credential-providers";

  @TempDir static Path shared;
  static MotoServer moto;
  static Map<String, String> admin;

  @TempDir Path tmp;
  ScriptHarness h;
  Path root;

  @BeforeAll
  static void startMoto() throws Exception {
    // Four calls without credentials (bucket, admin user, its policy, its keys); every call after is checked.
    moto = new MotoServer(shared.resolve("moto.log"), 4);
    moto.aws("s3api", "create-bucket", "--bucket", BUCKET, "--create-bucket-configuration",
        "LocationConstraint=" + REGION);
    moto.aws("iam", "create-user", "--user-name", "admin");
    moto.aws("iam", "put-user-policy", "--user-name", "admin", "--policy-name", "all", "--policy-document",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}");
    admin = keys(moto.aws("iam", "create-access-key", "--user-name", "admin"));
  }

  @AfterAll
  static void stopMoto() throws Exception {
    if (moto != null) {
      moto.close();
    }
  }

  static Map<String, String> keys(String createAccessKeyJson) throws Exception {
    JsonNode k = new ObjectMapper().readTree(createAccessKeyJson).path("AccessKey");
    return Map.of("AWS_ACCESS_KEY_ID", k.path("AccessKeyId").asText(), "AWS_SECRET_ACCESS_KEY",
        k.path("SecretAccessKey").asText());
  }

  /** The AWS CLI as {@code who} against moto. */
  static String aws(Map<String, String> who, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("aws"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
    pb.environment().putAll(Map.of("AWS_ENDPOINT_URL", moto.url(), "AWS_DEFAULT_REGION", REGION));
    pb.environment().putAll(who);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("aws " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  /** A user standing in for a node role whose one statement is the stack's: s3:GetObject on exactly this object. */
  static Map<String, String> nodeRoleFor(String name, LockedBinary object) throws Exception {
    aws(admin, "iam", "create-user", "--user-name", name);
    aws(admin, "iam", "put-user-policy", "--user-name", name, "--policy-name", "node", "--policy-document",
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadCredentialProvider\",\"Effect\":\"Allow\","
            + "\"Action\":[\"s3:GetObject\"],\"Resource\":[\"" + object.objectArn() + "\"]}]}");
    return keys(aws(admin, "iam", "create-access-key", "--user-name", name));
  }

  static String sha256(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }

  /** The lock entry for these bytes, as `kilonode images sync` records it. */
  static LockedBinary locked(byte[] bytes) throws Exception {
    String sha = sha256(bytes);
    return new LockedBinary(CredentialProvider.VERSION, CredentialProvider.DOWNLOAD_URL, sha, bytes.length, BUCKET,
        CredentialProvider.objectKey(CredentialProvider.VERSION, sha));
  }

  static void upload(LockedBinary at, byte[] bytes, Path tmp) throws Exception {
    Path f = tmp.resolve("upload-" + System.nanoTime());
    Files.write(f, bytes);
    aws(admin, "s3", "cp", "--only-show-errors", f.toString(), at.s3Uri());
  }

  @BeforeEach
  void setUp() throws Exception {
    ScriptHarness.requireTool("jq");
    h = new ScriptHarness(tmp);
    root = Files.createDirectories(tmp.resolve("root"));
    for (String d : List.of("etc/modules-load.d", "etc/sysctl.d", "etc/apt/sources.list.d")) {
      Files.createDirectories(root.resolve(d));
    }
    Files.writeString(root.resolve("etc/fstab"), "LABEL=cloudimg-rootfs / ext4 defaults 0 1\n");
    h.env("KUBERNETES_VERSION", "1.33.10").env("KUBERNETES_MINOR", "1.33").env("KILONODE_REGION", REGION)
        .env("KERNEL_SERIES", ROW.kernel().series()).env("KERNEL_PACKAGE", ROW.kernel().packageName())
        .env("KERNEL_HEADERS_PACKAGE", ROW.kernel().headersPackage()).env("HUGE_PAGES_2MB", "128")
        // Not an ECR reference: ecr_pull then needs no login (the stubbed ctr pulls it).
        .env("PAUSE_IMAGE", "registry.example/pause@sha256:" + "a".repeat(64))
        .env("CREDENTIAL_PROVIDER_BIN_DIR", BIN_DIR);
    h.processEnv("KILONODE_ROOT", root.toString()).processEnv("KILONODE_KERNEL_RELEASE", RELEASE)
        .processEnv("KILONODE_RESOLVED_CONF", root.resolve("missing-resolved.conf").toString())
        .processEnv("AWS_ENDPOINT_URL", moto.url()).processEnv("AWS_MAX_ATTEMPTS", "1")
        // containerd: the real 2.x (ContainerdConfigTest), whose config the installer checks with config dump.
        .processEnv("PATH", h.bin + ":" + ContainerdConfigTest.Major.V2.bin() + ":"
            + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    for (String tool : List.of("apt-get", "snap", "gpg", "apt-mark", "swapoff", "modprobe", "sysctl", "systemctl",
        "ctr", "apt-cache")) {
      h.stub(tool, "exit 0");
    }
    // curl fetches only the pkgs.k8s.io apt key here; never the credential provider.
    h.stub("curl", "out=; while (($#)); do case $1 in -o) out=$2; shift 2;; *) shift;; esac; done\n"
        + "[[ -n $out ]] && : >\"$out\"; exit 0");
    h.stub("dpkg-query", "exit 1");
    h.stub("kubeadm", "echo v1.33.10");
  }

  /** Renders the env as NodeBootstrap does for a lock with the entry, and runs the installer as {@code who}. */
  ScriptHarness.Result install(LockedBinary lock, Map<String, String> who) throws Exception {
    h.env("CREDENTIAL_PROVIDER_S3_URI", lock.s3Uri()).env("CREDENTIAL_PROVIDER_SHA256", lock.sha256());
    who.forEach(h::processEnv);
    return h.run(INSTALL);
  }

  Path installed() {
    return root.resolve(BIN_DIR.substring(1)).resolve("ecr-credential-provider");
  }

  void assertNothingInstalled(ScriptHarness.Result r) throws Exception {
    assertThat(r.exitCode()).as(r.output()).isNotZero();
    assertThat(installed()).doesNotExist();
    assertThat(installed().resolveSibling("ecr-credential-provider.new")).doesNotExist();
    assertThat(tmp.resolve("state/install-kubernetes-1.33.10.done")).doesNotExist();
    assertThat(h.calls("systemctl")).as("nothing after the failed step ran").noneMatch(c -> c.contains("kubelet"));
  }

  @Test
  void downloadsTheLockedObjectWithTheNodeRoleAndChecksIt() throws Exception {
    byte[] binary = ("#!/bin/sh\necho fake ecr-credential-provider " + System.nanoTime() + "\n").getBytes(StandardCharsets.UTF_8);
    LockedBinary lock = locked(binary);
    upload(lock, binary, tmp);
    ScriptHarness.Result r = install(lock, nodeRoleFor("node-ok", lock));
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(Files.readAllBytes(installed())).isEqualTo(binary);
    assertThat(Files.isExecutable(installed())).isTrue();
    assertThat(r.stderr()).contains("kubelet image credential provider: " + lock.s3Uri() + " (sha256 " + lock.sha256() + ")");
    assertThat(h.calls("curl")).isNotEmpty().noneMatch(c -> c.contains("artifacts.k8s.io") || c.contains("credential-provider"));
    assertThat(tmp.resolve("state/install-kubernetes-1.33.10.done")).exists();
  }

  @Test
  void otherBytesThanTheLockSaysStopTheInstall() throws Exception {
    byte[] expected = ("expected " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
    byte[] served = ("tampered " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
    LockedBinary lock = locked(expected);
    upload(lock, served, tmp);
    ScriptHarness.Result r = install(lock, nodeRoleFor("node-mismatch", lock));
    assertNothingInstalled(r);
    assertThat(r.stderr()).contains("ecr-credential-provider: " + lock.s3Uri() + " has sha256 " + sha256(served)
        + ", the image lock says " + lock.sha256() + "; not installed");
  }

  @Test
  void aDeniedReadStopsTheInstall() throws Exception {
    byte[] binary = ("denied " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
    LockedBinary lock = locked(binary);
    upload(lock, binary, tmp);
    // This role may read another object only (another version's), as a stale policy would.
    LockedBinary other = new LockedBinary("v1.30.0", lock.source(), lock.sha256(), lock.size(), BUCKET,
        CredentialProvider.objectKey("v1.30.0", lock.sha256()));
    ScriptHarness.Result r = install(lock, nodeRoleFor("node-denied", other));
    assertNothingInstalled(r);
    assertThat(r.stderr()).contains("ecr-credential-provider: cannot download " + lock.s3Uri())
        .contains("403").contains("giving up after 5 attempts");
  }

  @Test
  void aMissingObjectStopsTheInstall() throws Exception {
    LockedBinary lock = locked(("never uploaded " + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
    ScriptHarness.Result r = install(lock, nodeRoleFor("node-missing", lock));
    assertNothingInstalled(r);
    assertThat(r.stderr()).contains("ecr-credential-provider: cannot download " + lock.s3Uri());
  }

  @Test
  void aMalformedLockedChecksumStopsBeforeAnyDownload() throws Exception {
    LockedBinary lock = locked("x".getBytes(StandardCharsets.UTF_8));
    h.env("CREDENTIAL_PROVIDER_S3_URI", lock.s3Uri()).env("CREDENTIAL_PROVIDER_SHA256", "");
    ScriptHarness.Result r = h.run(INSTALL);
    assertNothingInstalled(r);
    assertThat(r.stderr()).contains("is not a sha256; cannot check " + lock.s3Uri());
  }

  /** A baked image holds the binary it was baked with: kept when it is the locked one, replaced when not. */
  @Test
  void aBakedImageKeepsTheLockedBinaryAndReplacesAnotherOne() throws Exception {
    Files.createDirectories(root.resolve("etc/kilonode"));
    Files.writeString(root.resolve("etc/kilonode/baked.json"), "{\"kubernetesVersion\":\"1.33.10\",\"kernelPackage\":\""
        + ROW.kernel().packageName() + "\",\"kernelSeries\":\"" + ROW.kernel().series() + "\"}\n");
    byte[] binary = ("baked " + System.nanoTime()).getBytes(StandardCharsets.UTF_8);
    LockedBinary lock = locked(binary);
    upload(lock, binary, tmp);
    Files.createDirectories(installed().getParent());
    Files.write(installed(), binary);
    Map<String, String> node = nodeRoleFor("node-baked", lock);
    ScriptHarness.Result kept = install(lock, node);
    assertThat(kept.exitCode()).as(kept.output()).isZero();
    assertThat(kept.stderr()).contains("no package installs").doesNotContain("kubelet image credential provider:");

    Files.write(installed(), "baked from an older lock".getBytes(StandardCharsets.UTF_8));
    Files.delete(tmp.resolve("state/install-kubernetes-1.33.10.done"));
    ScriptHarness.Result replaced = install(lock, node);
    assertThat(replaced.exitCode()).as(replaced.output()).isZero();
    assertThat(replaced.stderr()).contains("kubelet image credential provider: " + lock.s3Uri());
    assertThat(Files.readAllBytes(installed())).isEqualTo(binary);
  }

}
