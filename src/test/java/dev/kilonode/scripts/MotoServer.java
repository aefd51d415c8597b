package dev.kilonode.scripts;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * moto_server (python3.11's moto[server]) on 127.0.0.1 and a free port: the local S3 and CloudWatch the real AWS CLI
 * talks to (AWS_ENDPOINT_URL). With {@code enforceAuth}, moto checks credentials like AWS (INITIAL_NO_AUTH_ACTION_COUNT=0),
 * so unknown keys get 403. Stopped (and waited for) on close.
 */
final class MotoServer implements AutoCloseable {
  final int port;
  private final Process process;

  MotoServer(Path log, boolean enforceAuth) throws Exception {
    this(log, enforceAuth ? 0 : -1);
  }

  /**
   * With {@code initialNoAuthActions >= 0}, moto answers that many AWS calls without credentials (to create a bucket
   * and an admin user with keys, say) and then checks credentials and IAM policies like AWS; below 0 it never checks.
   */
  MotoServer(Path log, int initialNoAuthActions) throws Exception {
    ScriptHarness.requireTool("moto_server");
    ScriptHarness.requireTool("aws");
    port = RealEtcd.freePort();
    ProcessBuilder pb = new ProcessBuilder("moto_server", "-H", "127.0.0.1", "-p", String.valueOf(port))
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    if (initialNoAuthActions >= 0) {
      pb.environment().put("INITIAL_NO_AUTH_ACTION_COUNT", String.valueOf(initialNoAuthActions));
    }
    process = pb.start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    for (int i = 0; i < 120; i++) {
      try {
        http.send(HttpRequest.newBuilder(URI.create(url() + "/moto-api/")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding());
        return;
      } catch (java.io.IOException e) {
        if (!process.isAlive()) {
          break;
        }
        Thread.sleep(250);
      }
    }
    close();
    throw new AssertionError("moto_server did not come up on port " + port + "; see " + log);
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  /** The environment the AWS CLI needs to talk to this server. */
  Map<String, String> awsEnv() {
    return Map.of("AWS_ENDPOINT_URL", url(), "AWS_ACCESS_KEY_ID", "AKIAKILONODETEST0001",
        "AWS_SECRET_ACCESS_KEY", "test-secret", "AWS_DEFAULT_REGION", "eu-west-1", "AWS_MAX_ATTEMPTS", "2");
  }

  /** Runs the real AWS CLI against this server; returns stdout, fails on non-zero. */
  String aws(String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of("aws"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_"));
    pb.environment().putAll(awsEnv());
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError("aws " + String.join(" ", args) + " failed: " + out);
    }
    return out;
  }

  @Override
  public void close() throws InterruptedException {
    process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
