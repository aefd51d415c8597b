package dev.kilonode.bake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.kilonode.cloudinit.ComponentFiles;
import dev.kilonode.cloudinit.ShellComments;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.images.ImageLock;
import dev.kilonode.release.NetworkRelease;
import dev.kilonode.testing.Stacks;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The AWSTOE document of the baked node image, against a model of Image Builder's document rules
 * ({@link AwstoeSchema}), shellcheck, and a run of its file-writing step.
 */
class NodeImageDocumentTest {

    static ClusterSpec spec;
    static ImageLock lock;
    static BakeContents contents;
    static String document;

    @BeforeAll
    static void render() throws Exception {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:nodeImage", "baked");
        spec = Stacks.spec("scale", config);
        lock = BakeFixtures.lock(spec, "a", i -> true);
        contents = BakeContents.of(spec, Optional.of(lock));
        document = NodeImageDocument.render(spec, contents, "kilonode-scale-node");
    }

    @Test
    void imageBuilderWouldAcceptTheDocument() throws Exception {
        assertThat(AwstoeSchema.problems(document)).isEmpty();
        JsonNode doc = AwstoeSchema.parse(document);
        List<String> steps = new ArrayList<>();
        doc.get("phases").forEach(p -> p.get("steps").forEach(s -> steps.add(p.get("name").asText() + "/" + s.get("name").asText()
                + " " + s.get("action").asText())));
        // Packages, then the reboot into the held kernel, then what needs that kernel running; checked before the snapshot.
        assertThat(steps).containsExactly("build/WriteNodeScripts ExecuteBash", "build/InstallNodePackages ExecuteBash",
                "build/RebootIntoHeldKernel Reboot", "build/PullImagesAndBuildVrouterModule ExecuteBash",
                "validate/CheckBakedNode ExecuteBash");
        System.out.printf("AWSTOE document: %,d of %,d characters of inline component data%n", document.length(),
                AwstoeSchema.MAX_INLINE_CHARS);
    }

    @Test
    void theModelRejectsWhatImageBuilderWould() throws Exception {
        YAMLMapper yaml = new YAMLMapper();
        ObjectNode doc = (ObjectNode) yaml.readTree(document);
        ObjectNode noVersion = doc.deepCopy();
        noVersion.remove("schemaVersion");
        assertThat(AwstoeSchema.problems(yaml.writeValueAsString(noVersion))).anyMatch(p -> p.startsWith("schemaVersion"));
        ObjectNode twoBuilds = doc.deepCopy();
        ((ArrayNode) twoBuilds.get("phases")).add(twoBuilds.get("phases").get(0).deepCopy());
        assertThat(AwstoeSchema.problems(yaml.writeValueAsString(twoBuilds))).contains("phase build appears twice");
        ObjectNode badStep = doc.deepCopy();
        ((ObjectNode) badStep.get("phases").get(0).get("steps").get(0)).put("action", "ExecutePowerShell");
        ((ObjectNode) badStep.get("phases").get(1).get("steps").get(0)).remove("inputs");
        assertThat(AwstoeSchema.problems(yaml.writeValueAsString(badStep)))
                .contains("build/WriteNodeScripts: action ExecutePowerShell is not a modelled action module",
                        "validate/CheckBakedNode: ExecuteBash needs inputs.commands, a non-empty list");
        assertThat(AwstoeSchema.problems(document + "#" + "x".repeat(AwstoeSchema.MAX_INLINE_CHARS)))
                .anyMatch(p -> p.startsWith("inline data is"));
    }

    @Test
    void everyBashBlockIsShellcheckClean(@TempDir Path tmp) throws Exception {
        List<String> blocks = AwstoeSchema.bashCommands(document);
        assertThat(blocks).hasSize(4);
        List<String> cmd = new ArrayList<>(List.of("shellcheck", "-s", "bash", "-f", "gcc"));
        for (int i = 0; i < blocks.size(); i++) {
            Path f = tmp.resolve("step-" + i + ".sh");
            Files.writeString(f, blocks.get(i));
            cmd.add(f.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("shellcheck").isEmpty();
        assertThat(p.exitValue()).isZero();
    }

    /** The first step, run with its paths moved into a temporary root, writes the boot path's own scripts. */
    @Test
    void theBuildInstanceGetsTheBootPathsOwnScripts(@TempDir Path tmp) throws Exception {
        // Only the commands' own paths move (the env file's lines and the packed scripts are data).
        String step = AwstoeSchema.bashCommands(document).get(0).lines()
                .map(l -> l.matches("(install -d|cat >|base64 -d|chmod ).*")
                        ? l.replace("/etc/kilonode", tmp + "/etc/kilonode").replace("/opt/kilonode", tmp + "/opt/kilonode") : l)
                .collect(java.util.stream.Collectors.joining("\n", "", "\n"));
        Process p = new ProcessBuilder("bash", "-c", step).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        for (String[] f : new String[][] {{"KubernetesNode", "lib.sh"}, {"KubernetesNode", "install-kubernetes.sh"},
                {"BakedNodeImage", "bake-node.sh"}, {"ContrailCni", "vrouter-kernel-init.sh"}}) {
            Path written = tmp.resolve("opt/kilonode/" + f[1]);
            assertThat(Files.readString(written)).isEqualTo(ShellComments.strip(ComponentFiles.read(f[0], f[1])));
            assertThat(Files.isExecutable(written)).isTrue();
        }
        String env = Files.readString(tmp.resolve("etc/kilonode/kilonode.env"));
        assertThat(env).contains("KUBERNETES_VERSION=" + spec.kubernetesVersion() + "\n")
                .contains("KERNEL_PACKAGE=" + spec.tungstenFabric().release().kernel().packageName() + "\n")
                .contains("BAKE_REGISTRY=" + BakeFixtures.REGISTRY + "\n");
    }

    /** Masters' and workers' images, by the lock's digests, and nothing only the TF controllers run. */
    @Test
    void thePullsAreTheNodeImagesOfTheLockByDigest() {
        NetworkRelease release = spec.tungstenFabric().release();
        List<String> digestRefs = contents.pulls().stream().map(BakeContents.Pull::digestRef).toList();
        for (ImageLock.Entry e : lock.images()) {
            String ref = lock.registry() + "/" + e.repository() + "@" + e.digest();
            String name = e.repository().substring(e.repository().lastIndexOf('/') + 1);
            boolean controllerOnly = release.controllerImages().contains(name) && !release.nodeImages().all().contains(name);
            if (controllerOnly) {
                assertThat(digestRefs).as(name).doesNotContain(ref);
            } else {
                assertThat(digestRefs).as(name).contains(ref);
            }
        }
        assertThat(contents.pulls()).allSatisfy(p -> assertThat(p.tagRef()).startsWith(BakeFixtures.REGISTRY + "/kilonode-scale/"));
        assertThat(contents.vrouterKernelInit()).contains("/kilonode-scale/" + release.nodeImages().vrouterKernelInit() + "@sha256:");
        assertThat(digestRefs).anyMatch(r -> r.contains("/kilonode-scale/kube-apiserver@sha256:"))
                .anyMatch(r -> r.contains("/kilonode-scale/pause@sha256:"));
    }

    @Test
    void aLockWithoutEveryNodeImageCannotBeBaked() throws Exception {
        ImageLock partial = BakeFixtures.lock(spec, "a", i -> !i.repository().endsWith("/pause"));
        BakeContents c = BakeContents.of(spec, Optional.of(partial));
        assertThat(c.complete()).isFalse();
        assertThat(c.missing()).containsExactly("registry.k8s.io/pause:3.10");
        assertThatThrownBy(() -> NodeImageDocument.render(spec, c, "x")).hasMessageContaining("registry.k8s.io/pause:3.10");
        assertThat(BakeContents.of(spec, Optional.empty()).complete()).isFalse();
    }
}
