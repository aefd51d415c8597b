package dev.kilonode.kubernetes;

import com.pulumi.kubernetes.core.v1.inputs.ConfigMapEnvSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvFromSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarArgs;
import com.pulumi.kubernetes.core.v1.inputs.EnvVarSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.HostPathVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorRequirementArgs;
import com.pulumi.kubernetes.core.v1.inputs.ObjectFieldSelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.ResourceRequirementsArgs;
import com.pulumi.kubernetes.core.v1.inputs.TolerationArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;

import java.util.LinkedHashMap;
import java.util.Map;

/** Small typed builders shared by the stack's Kubernetes objects (all of them live in kube-system). */
public final class K8s {

    public static final String KUBE_SYSTEM = "kube-system";
    /** kubeadm's control-plane node label and taint (the "master" ones are gone since Kubernetes 1.24/1.25). */
    public static final String CONTROL_PLANE = "node-role.kubernetes.io/control-plane";
    public static final String MANAGED_BY = "app.kubernetes.io/managed-by";

    private K8s() {
    }

    public static ObjectMetaArgs meta(String name, String app) {
        return ObjectMetaArgs.builder().name(name).namespace(KUBE_SYSTEM).labels(labels(app)).build();
    }

    public static ObjectMetaArgs clusterMeta(String name, String app) {
        return ObjectMetaArgs.builder().name(name).labels(labels(app)).build();
    }

    public static Map<String, String> labels(String app) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("app", app);
        labels.put(MANAGED_BY, "kilonode");
        return labels;
    }

    public static EnvVarArgs env(String name, String value) {
        return EnvVarArgs.builder().name(name).value(value).build();
    }

    public static EnvVarArgs envField(String name, String fieldPath) {
        return EnvVarArgs.builder().name(name).valueFrom(EnvVarSourceArgs.builder()
                .fieldRef(ObjectFieldSelectorArgs.builder().fieldPath(fieldPath).build()).build()).build();
    }

    public static EnvFromSourceArgs envFrom(String configMap) {
        return EnvFromSourceArgs.builder().configMapRef(ConfigMapEnvSourceArgs.builder().name(configMap).build()).build();
    }

    public static VolumeMountArgs mount(String volume, String path) {
        return VolumeMountArgs.builder().name(volume).mountPath(path).build();
    }

    /** A host directory; {@code DirectoryOrCreate} so a fresh node never fails the pod for a missing path. */
    public static VolumeArgs hostDir(String volume, String path) {
        return VolumeArgs.builder().name(volume)
                .hostPath(HostPathVolumeSourceArgs.builder().path(path).type("DirectoryOrCreate").build()).build();
    }

    /** A host directory that must already exist (system directories: /dev, /lib/modules, /usr/src, /bin...). */
    public static VolumeArgs hostExisting(String volume, String path) {
        return VolumeArgs.builder().name(volume)
                .hostPath(HostPathVolumeSourceArgs.builder().path(path).type("Directory").build()).build();
    }

    public static ResourceRequirementsArgs resources(String cpuRequest, String memoryRequest, String memoryLimit) {
        ResourceRequirementsArgs.Builder b = ResourceRequirementsArgs.builder()
                .requests(ordered("cpu", cpuRequest, "memory", memoryRequest));
        if (memoryLimit != null) {
            b.limits(Map.of("memory", memoryLimit));
        }
        return b.build();
    }

    public static TolerationArgs tolerate(String key, String effect) {
        TolerationArgs.Builder b = TolerationArgs.builder().key(key).operator("Exists");
        if (effect != null) {
            b.effect(effect);
        }
        return b.build();
    }

    public static NodeSelectorRequirementArgs notOnControlPlane() {
        return NodeSelectorRequirementArgs.builder().key(CONTROL_PLANE).operator("DoesNotExist").build();
    }

    public static Map<String, String> ordered(String... keyValues) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return m;
    }
}
