package dev.kilonode.cni;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.kilonode.cni.AddonsPlan.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the vRouter agent DaemonSet's kernel-init container runs: the committed wrapper from the ConfigMap, with the
 * host paths the wrapper reads, and the image's own entrypoint as OpenSDN-io/tf-container-builder@ad1c5969
 * containers/vrouter/kernel-build-init/Dockerfile declares it ({@code ENTRYPOINT ["/entrypoint.sh"]}, no CMD).
 * The schema check of the same objects is src/test/js/test/manifests.test.mjs (kubernetes-models), and the
 * wrapper-specific one src/test/js/test/kubernetes/vrouter-kernel-init.test.mjs.
 */
class VrouterKernelInitRenderingTest {

    static final Path WRAPPER = Path.of("components/ContrailCni/vrouter-kernel-init.sh");
    static AddonsPlan dev;
    static Map<String, Object> pod;
    static Map<String, Object> kernelInit;

    @BeforeAll
    static void plan() {
        dev = AddonsPlan.run("dev");
        pod = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "spec");
        kernelInit = AddonsPlan.<List<Map<String, Object>>>at(pod, "initContainers").stream()
                .filter(c -> "opensdn-vrouter-kernel-init".equals(c.get("name"))).findFirst().orElseThrow();
    }

    @Test
    void theInitContainerRunsTheWrapperFromTheConfigMap() throws Exception {
        assertThat(kernelInit.get("command")).isEqualTo(List.of("/bin/bash", "/opt/kilonode/vrouter-kernel-init.sh"));
        assertThat(kernelInit).doesNotContainKey("args");
        // The image stays the release's kernel-build-init image (the wrapper runs inside it).
        assertThat((String) kernelInit.get("image")).contains("/opensdn-vrouter-kernel-build-init:");

        Map<String, Object> configMap = dev.object("ConfigMap", "kilonode-vrouter-kernel-init").inputs();
        assertThat(AddonsPlan.<Object>at(configMap, "metadata", "namespace")).isEqualTo("kube-system");
        Map<String, Object> data = at(configMap, "data");
        // Byte for byte the committed script: what shellcheck and the fake-root tests checked is what runs.
        assertThat(data).containsOnlyKeys("vrouter-kernel-init.sh");
        assertThat(data.get("vrouter-kernel-init.sh")).isEqualTo(Files.readString(WRAPPER));

        Map<String, Object> volume = volume("kilonode-kernel-init");
        assertThat(AddonsPlan.<Object>at(volume, "configMap", "name")).isEqualTo("kilonode-vrouter-kernel-init");
        assertThat(((Number) AddonsPlan.at(volume, "configMap", "defaultMode")).intValue()).isEqualTo(0444);
        assertThat(mounts()).containsEntry("/opt/kilonode", "kilonode-kernel-init");
        List<Map<String, Object>> kernelInitMounts = at(kernelInit, "volumeMounts");
        assertThat(kernelInitMounts).filteredOn(m -> "/opt/kilonode".equals(m.get("mountPath")))
                .singleElement().satisfies(m -> assertThat(m).containsEntry("readOnly", true));
    }

    @Test
    void theWrapperExecsTheImagesOwnEntrypointAsCited() throws Exception {
        String script = Files.readString(WRAPPER);
        Matcher m = Pattern.compile("(?m)^UPSTREAM_ENTRYPOINT=(\\S+)$").matcher(script);
        assertThat(m.find()).as("UPSTREAM_ENTRYPOINT in the wrapper").isTrue();
        assertThat(m.group(1)).isEqualTo(ContrailCni.UPSTREAM_KERNEL_INIT_ENTRYPOINT).isEqualTo("/entrypoint.sh");
        assertThat(script).contains("exec \"$R$UPSTREAM_ENTRYPOINT\" \"${container_args[@]}\"")
                .contains("tf-container-builder@ad1c5969");
    }

    /** The host paths the wrapper reads (and the entrypoint it may exec writes), mounted where both expect them. */
    @Test
    void theInitContainerMountsWhatTheWrapperAndTheEntrypointUse() {
        Map<String, String> mounts = mounts();
        Map<String, String> hostPaths = new HashMap<>();
        AddonsPlan.<List<Map<String, Object>>>at(pod, "volumes").stream().filter(v -> v.containsKey("hostPath"))
                .forEach(v -> hostPaths.put((String) v.get("name"), at(v, "hostPath", "path")));
        // /lib/modules: the module and modules.dep; /usr/src: the source copy, dkms.conf, module_compiled;
        // /host/bin: vif; /var/log/contrail: the entrypoint's console.log, where the wrapper's decision goes too.
        Map<String, String> needed = Map.of("/lib/modules", "/lib/modules", "/usr/src", "/usr/src", "/host/bin", "/bin",
                "/var/log/contrail", "/var/log/contrail");
        needed.forEach((inContainer, onHost) -> {
            assertThat(mounts).as(inContainer).containsKey(inContainer);
            assertThat(hostPaths.get(mounts.get(inContainer))).as(inContainer).isEqualTo(onHost);
        });
        assertThat(kernelInit).containsEntry("securityContext", Map.of("privileged", true));
    }

    /** Day 2: the script is in the agent's config checksum, so a new script is a template change that rolls agents. */
    @Test
    void aChangedWrapperChangesTheAgentsPodTemplate() {
        String rendered = at(dev.object("DaemonSet", "contrail-agent").inputs(), "spec", "template", "metadata",
                "annotations", ContrailCni.CONFIG_CHECKSUM);
        Map<String, String> env = at(dev.object("ConfigMap", "env").inputs(), "data");
        assertThat(rendered).isEqualTo(ContrailCni.configChecksum(env, ContrailCni.NODEMGR_DATA,
                ContrailCni.kernelInitData()));
        Map<String, String> edited = new HashMap<>(ContrailCni.kernelInitData());
        edited.put("vrouter-kernel-init.sh", edited.get("vrouter-kernel-init.sh") + "# edited\n");
        assertThat(ContrailCni.configChecksum(env, ContrailCni.NODEMGR_DATA, edited)).isNotEqualTo(rendered);
    }

    private static Map<String, Object> volume(String name) {
        return AddonsPlan.<List<Map<String, Object>>>at(pod, "volumes").stream()
                .filter(v -> name.equals(v.get("name"))).findFirst().orElseThrow();
    }

    /** mountPath -> volume name of the kernel-init container. */
    private static Map<String, String> mounts() {
        Map<String, String> out = new HashMap<>();
        AddonsPlan.<List<Map<String, Object>>>at(kernelInit, "volumeMounts")
                .forEach(m -> out.put((String) m.get("mountPath"), (String) m.get("name")));
        return out;
    }
}
