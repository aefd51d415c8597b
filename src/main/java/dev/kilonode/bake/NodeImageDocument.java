package dev.kilonode.bake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kilonode.cloudinit.ComponentFiles;
import dev.kilonode.cni.ContrailCni;
import dev.kilonode.cloudinit.EnvFile;
import dev.kilonode.cloudinit.ShellComments;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.node.NodeBootstrap;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The AWSTOE component document (YAML) the build instance runs: write the env file and the node scripts, install
 * exactly what the boot path installs (the same {@code install-kubernetes.sh}, through
 * {@code components/BakedNodeImage/bake-node.sh packages}), reboot into the held kernel, pull the locked images and
 * build vrouter.ko ({@code bake-node.sh images}), then check all of it in the validate phase.
 *
 * <p>Schema (AWS, EC2 Image Builder user guide, "Use the AWSTOE component document framework for custom components",
 * docs.aws.amazon.com/imagebuilder/latest/userguide/toe-use-documents.html; action modules in
 * toe-action-modules.html): {@code name}, {@code description}, {@code schemaVersion: 1.0}, {@code phases} (build,
 * validate), each a list of steps with {@code name}, {@code action} and {@code inputs}; ExecuteBash takes
 * {@code commands} (run as one bash file), Reboot restarts the instance and AWSTOE resumes with the next step.
 * Inline component data is at most 16,000 characters (Image Builder API, CreateComponent {@code data}).
 */
public final class NodeImageDocument {

    public static final String COMPONENT = "BakedNodeImage";
    public static final int MAX_INLINE_CHARS = 16_000;
    static final String EOF = "KILONODE_EOF";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private NodeImageDocument() {
    }

    /** The env file of the build instance: the nodes' common settings and what to pull and build. */
    static Map<String, String> env(ClusterSpec spec, BakeContents contents) {
        Map<String, String> env = NodeBootstrap.commonEnv(spec, "image-builder", null);
        env.put("BAKE_REGISTRY", contents.registry());
        env.put("BAKE_IMAGES", contents.pulls().stream().map(p -> p.digestRef() + "=" + p.tagRef())
                .collect(Collectors.joining(",")));
        env.put("VROUTER_KERNEL_INIT_IMAGE", contents.vrouterKernelInit());
        return env;
    }

    public static String render(ClusterSpec spec, BakeContents contents, String name) {
        if (!contents.complete()) {
            throw new IllegalArgumentException("cannot bake without every node image's digest: " + contents.missing());
        }
        String files = "set -euo pipefail\n"
                + "install -d -m 0755 /etc/kilonode " + NodeBootstrap.SCRIPT_DIR + "\n"
                // Packed too: BAKE_IMAGES repeats the registry in every pair (about 270 characters an image).
                + packed(EnvFile.PATH, "0644", EnvFile.render(env(spec, contents)))
                + packed(NodeBootstrap.SCRIPT_DIR + "/lib.sh", "0755", script(NodeBootstrap.COMPONENT, "lib.sh"))
                + packed(NodeBootstrap.SCRIPT_DIR + "/install-kubernetes.sh", "0755",
                        script(NodeBootstrap.COMPONENT, "install-kubernetes.sh"))
                + packed(NodeBootstrap.SCRIPT_DIR + "/bake-node.sh", "0755", script(COMPONENT, "bake-node.sh"))
                // The vRouter pods' kernel-init wrapper: the bake builds through it and checks a pod start would skip.
                + packed(NodeBootstrap.SCRIPT_DIR + "/" + ContrailCni.KERNEL_INIT_SCRIPT, "0755",
                        script(ContrailCni.COMPONENT, ContrailCni.KERNEL_INIT_SCRIPT));
        String bake = NodeBootstrap.SCRIPT_DIR + "/bake-node.sh";
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("name", name);
        doc.put("description", "kilonode node image: Kubernetes " + contents.kubernetesVersion() + ", "
                + contents.kernelPackage() + " (" + contents.kernelSeries() + ") with vrouter.ko, "
                + contents.pulls().size() + " images from " + contents.registry());
        doc.put("schemaVersion", 1.0);
        doc.put("phases", List.of(
                phase("build",
                        bash("WriteNodeScripts", files),
                        bash("InstallNodePackages", "set -euo pipefail\n" + bake + " packages\n"),
                        reboot("RebootIntoHeldKernel"),
                        bash("PullImagesAndBuildVrouterModule", "set -euo pipefail\n" + bake + " images\n")),
                phase("validate",
                        bash("CheckBakedNode", "set -euo pipefail\n" + bake + " validate\n"))));
        try {
            return YAML.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String script(String component, String file) {
        return ShellComments.strip(ComponentFiles.read(component, file));
    }

    /**
     * A file as gzip + base64 in a quoted heredoc (whose delimiter base64 cannot contain): the env file and the
     * scripts as text are over the 16,000 characters of inline component data. Java's GZIPOutputStream writes no file name or time, so the text is deterministic.
     */
    private static String packed(String path, String mode, String content) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(bytes)) {
            gz.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        String b64 = java.util.Base64.getMimeEncoder(76, new byte[]{'\n'}).encodeToString(bytes.toByteArray());
        return "base64 -d <<'" + EOF + "' | gunzip >" + path + "\n" + b64 + "\n" + EOF + "\nchmod " + mode + " " + path + "\n";
    }

    private static Map<String, Object> phase(String name, Map<?, ?>... steps) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("name", name);
        p.put("steps", List.of(steps));
        return p;
    }

    private static Map<String, Object> bash(String name, String commands) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("action", "ExecuteBash");
        s.put("inputs", Map.of("commands", List.of(commands)));
        return s;
    }

    private static Map<String, Object> reboot(String name) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", name);
        s.put("action", "Reboot");
        s.put("onFailure", "Abort");
        return s;
    }
}
