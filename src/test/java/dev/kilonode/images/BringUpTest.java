package dev.kilonode.images;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.FixtureLocks;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The two-phase first bring-up (BringUp): without an image lock that covers every ImageCatalog image of the
 * configured versions, the program registers only the network and the image supply; with one, the whole cluster,
 * every image from the lock, and an AWS provider limited to the lock's account.
 */
class BringUpTest {

    /** Resource types that only the cluster phase may register. */
    static final Set<String> CLUSTER_ONLY = Set.of("aws:ec2/instance:Instance", "aws:autoscaling/group:Group",
            "aws:ec2/launchTemplate:LaunchTemplate", "aws:lb/loadBalancer:LoadBalancer", "aws:ssm/parameter:Parameter");

    static Set<String> types(Stacks.Plan plan) {
        return plan.resources().stream().map(PlannedResource::type).collect(Collectors.toSet());
    }

    static void assertImagesPhase(Stacks.Plan plan, String stack) {
        assertThat(types(plan)).doesNotContainAnyElementsOf(CLUSTER_ONLY)
                .noneMatch(t -> t.startsWith("kubernetes:") || t.equals("pulumi:providers:kubernetes"))
                .contains("aws:ec2/vpc:Vpc", "aws:ec2/vpcEndpoint:VpcEndpoint");
        assertThat(plan.ofType("aws:ecr/repository:Repository")).extracting(r -> (String) r.inputs().get("name"))
                .containsExactlyInAnyOrderElementsOf(ImageCatalog.of(Stacks.spec(stack, Stacks.config(stack)))
                        .stream().map(PinnedImage::repository).toList());
    }

    @Test
    void noLockRegistersOnlyTheNetworkAndTheImageSupply(@TempDir Path empty) {
        Stacks.Plan plan = Stacks.plan("dev", Stacks.config("dev"), empty);
        assertImagesPhase(plan, "dev");
        // No lock, no account to pin: the provider takes whatever credentials `pulumi up` has.
        assertThat(plan.named("pulumi:providers:aws", "aws").inputs()).doesNotContainKey("allowedAccountIds");
    }

    @Test
    void completeLockRegistersTheClusterAndLimitsTheProviderToTheLocksAccount() {
        Stacks.Plan plan = Stacks.plan("dev");
        assertThat(types(plan)).containsAll(Set.of("aws:ec2/instance:Instance", "aws:autoscaling/group:Group"));
        assertThat(plan.named("pulumi:providers:aws", "aws").inputs().get("allowedAccountIds"))
                .isEqualTo("[\"" + FixtureLocks.ACCOUNT + "\"]");
    }

    @Test
    void aLockMissingOneImageIsIncomplete(@TempDir Path dir) throws Exception {
        var spec = Stacks.spec("dev", Stacks.config("dev"));
        ImageLock full = FixtureLocks.forSpec(spec);
        List<ImageLock.Entry> entries = new ArrayList<>(full.images());
        ImageLock.Entry dropped = entries.stream().filter(e -> e.repository().endsWith("/pause")).findFirst().orElseThrow();
        entries.remove(dropped);
        new ImageLock(full.registry(), entries).write(dir, "dev");

        BringUp b = BringUp.decide(spec, dir);
        assertThat(b.phase()).isEqualTo(BringUp.IMAGES);
        assertThat(b.problems()).containsExactly("no digest for " + dropped.source() + " (repository " + dropped.repository() + ")");
        assertImagesPhase(Stacks.plan("dev", Stacks.config("dev"), dir), "dev");
    }

    @Test
    void aLockForOtherVersionsIsStale(@TempDir Path dir) throws Exception {
        // Synced for Kubernetes 1.33.10; the stack now says 1.33.11: the control-plane images are not in the mirror.
        FixtureLocks.forSpec(Stacks.spec("dev", Stacks.config("dev"))).write(dir, "dev");
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:kubernetesVersion", "1.33.11");
        BringUp b = BringUp.decide(Stacks.spec("dev", config), dir);
        assertThat(b.phase()).isEqualTo(BringUp.IMAGES);
        assertThat(b.problems()).contains("no digest for registry.k8s.io/kube-apiserver:v1.33.11 (repository kilonode-dev/kube-apiserver)")
                .hasSize(4); // apiserver, controller-manager, scheduler, proxy; etcd/CoreDNS/pause follow the minor
        assertImagesPhase(Stacks.plan("dev", config, dir), "dev");

        // Another network tag: every network image is stale.
        Map<String, String> tag = Stacks.config("dev");
        tag.put("kilonode:tfTag", "R25.1-2026-06-16");
        assertThat(BringUp.decide(Stacks.spec("dev", tag), dir).problems())
                .anyMatch(p -> p.startsWith("no digest for opensdn/opensdn-vrouter-agent:R25.1-2026-06-16"));
    }

    @Test
    void aStackThatRunsAClusterNeverFallsBackToTheImagesPhase(@TempDir Path empty, @TempDir Path stale) throws Exception {
        var spec = Stacks.spec("dev", Stacks.config("dev"));
        BringUp missing = BringUp.decide(spec, empty);
        // First bring-up (no previous output, or the images phase last time): the images phase goes ahead.
        assertThat(missing.refuseToLeaveCluster("dev", "")).isEqualTo(BringUp.IMAGES);
        assertThat(missing.refuseToLeaveCluster("dev", BringUp.IMAGES)).isEqualTo(BringUp.IMAGES);
        // The last run ran the cluster: a lost lock must stop the run, not delete the cluster.
        assertThatThrownBy(() -> missing.refuseToLeaveCluster("dev", BringUp.CLUSTER))
                .isInstanceOf(BringUp.LockException.class)
                .hasMessageContaining("stack dev runs a cluster")
                .hasMessageContaining("dev.lock.json does not exist")
                .hasMessageContaining("would delete the cluster. Nothing was changed.")
                .hasMessageContaining("images sync --stack dev");
        // Same for a version change made before the sync.
        FixtureLocks.forSpec(spec).write(stale, "dev");
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:kubernetesVersion", "1.33.11");
        BringUp outdated = BringUp.decide(Stacks.spec("dev", config), stale);
        assertThatThrownBy(() -> outdated.refuseToLeaveCluster("dev", BringUp.CLUSTER))
                .hasMessageContaining("no digest for registry.k8s.io/kube-apiserver:v1.33.11");
        // A complete lock always goes on.
        assertThat(BringUp.decide(spec, stale).refuseToLeaveCluster("dev", BringUp.CLUSTER)).isEqualTo(BringUp.CLUSTER);
    }

    @Test
    void aLockFromAnotherRegionIsNotUsed(@TempDir Path dir) throws Exception {
        var spec = Stacks.spec("dev", Stacks.config("dev"));
        new ImageLock(FixtureLocks.registry("eu-west-1"), FixtureLocks.forSpec(spec).images()).write(dir, "dev");
        BringUp b = BringUp.decide(spec, dir);
        assertThat(b.phase()).isEqualTo(BringUp.IMAGES);
        assertThat(b.problems()).singleElement().asString().contains("is for region eu-west-1, the stack is in us-east-1");
    }

    @Test
    void aLockWhoseRegistryIsNotEcrStopsTheProgram(@TempDir Path dir) throws Exception {
        var spec = Stacks.spec("dev", Stacks.config("dev"));
        new ImageLock("registry.example.com", FixtureLocks.forSpec(spec).images()).write(dir, "dev");
        assertThatThrownBy(() -> Stacks.plan("dev", Stacks.config("dev"), dir))
                .hasMessageContaining("registry \"registry.example.com\" is not an ECR registry host");
        Files.writeString(ImageLock.path(dir, "dev"), "{ not json");
        assertThatThrownBy(() -> BringUp.decide(spec, dir)).isInstanceOf(BringUp.LockException.class)
                .hasMessageContaining("cannot be read");
    }

    @Test
    void planRecordsThePhaseAndPrintsTheNextCommands(@TempDir Path out, @TempDir Path empty) throws Exception {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        var cmd = new dev.kilonode.plan.PlanCommand().output(new PrintStream(stdout, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        int code = new CommandLine(cmd).execute("--stack", "dev", "--out", out.toString(),
                "--image-lock-dir", empty.toString());
        assertThat(code).isZero();
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("bringUpPhase").asText()).isEqualTo("images");
        assertThat(summary.get("warnings").get(0).asText()).contains("bring-up phase \"images\"",
                "`java -jar target/kilonode.jar images sync --stack dev`", "commit images/dev.lock.json", "`pulumi up` again");
        assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("bring-up phase: images");

        Path full = out.resolve("full");
        ByteArrayOutputStream stdout2 = new ByteArrayOutputStream();
        var cmd2 = new dev.kilonode.plan.PlanCommand().output(new PrintStream(stdout2, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(new CommandLine(cmd2).execute("--stack", "dev", "--out", full.toString(), "--image-lock-dir",
                FixtureLocks.directoryFor(Stacks.spec("dev", Stacks.config("dev"))).toString())).isZero();
        JsonNode fullSummary = new ObjectMapper().readTree(full.resolve("summary.json").toFile());
        assertThat(fullSummary.get("bringUpPhase").asText()).isEqualTo("cluster");
        assertThat(fullSummary.get("images")).allSatisfy(i -> assertThat(i.get("digest").asText()).matches("sha256:[0-9a-f]{64}"));
    }
}
