package dev.kilonode.cni;

import com.pulumi.core.Output;
import com.pulumi.kubernetes.apps.v1.DaemonSet;
import com.pulumi.kubernetes.apps.v1.DaemonSetArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DaemonSetSpecArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DaemonSetUpdateStrategyArgs;
import com.pulumi.kubernetes.apps.v1.inputs.RollingUpdateDaemonSetArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.ConfigMapArgs;
import com.pulumi.kubernetes.core.v1.Secret;
import com.pulumi.kubernetes.core.v1.SecretArgs;
import com.pulumi.kubernetes.core.v1.ServiceAccount;
import com.pulumi.kubernetes.core.v1.ServiceAccountArgs;
import com.pulumi.kubernetes.core.v1.inputs.AffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.ConfigMapVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ExecActionArgs;
import com.pulumi.kubernetes.core.v1.inputs.HostPathVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.LifecycleArgs;
import com.pulumi.kubernetes.core.v1.inputs.LifecycleHandlerArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeAffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorRequirementArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorTermArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecretVolumeSourceArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeArgs;
import com.pulumi.kubernetes.core.v1.inputs.VolumeMountArgs;
import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.kubernetes.rbac.v1.ClusterRole;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleArgs;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleBinding;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleBindingArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.PolicyRuleArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.RoleRefArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.SubjectArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.cloudinit.ComponentFiles;

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.kilonode.kubernetes.K8s.CONTROL_PLANE;
import static dev.kilonode.kubernetes.K8s.KUBE_SYSTEM;
import static dev.kilonode.kubernetes.K8s.clusterMeta;
import static dev.kilonode.kubernetes.K8s.env;
import static dev.kilonode.kubernetes.K8s.envFrom;
import static dev.kilonode.kubernetes.K8s.hostDir;
import static dev.kilonode.kubernetes.K8s.hostExisting;
import static dev.kilonode.kubernetes.K8s.labels;
import static dev.kilonode.kubernetes.K8s.meta;
import static dev.kilonode.kubernetes.K8s.mount;
import static dev.kilonode.kubernetes.K8s.tolerate;

/**
 * OpenSDN (Tungsten Fabric's successor) as the cluster's CNI: the objects of the network release's Kubernetes manifests
 * (tf-container-builder R25.1 {@code kubernetes/manifests/contrail-non-nested-kubernetes.yaml} and
 * {@code contrail-standalone-kubernetes.yaml}), declared here typed. ManifestFactsTest compares them with a structured
 * copy of those manifests' facts and fails on anything missing without a recorded reason. Differences:
 * <ul>
 *   <li>object names stay {@code contrail-*} (upstream {@code opensdn-*}): renaming a DaemonSet replaces it on every
 *       running cluster; container names and images follow upstream;</li>
 *   <li>the {@code env} ConfigMap is filled from the controllers' private addresses; keys that would resolve to
 *       nothing (Keystone, VIPs, FIP pool...) are absent, never null;</li>
 *   <li>kube-manager's ClusterRole lists what kube-manager reads, watches and patches instead of {@code *};</li>
 *   <li>the vRouter agent runs on every node, masters included (upstream standalone tolerates the master taint too):
 *       without it masters stay NotReady and the API server cannot reach pod IPs (webhooks, aggregated APIs);</li>
 *   <li>kube-manager reaches the API through the internal load balancer's name (its target group does not preserve
 *       client IPs, so a master reaching itself through it works), not one master's {@code status.hostIP};</li>
 *   <li>the kernel-init container runs {@code components/ContrailCni/vrouter-kernel-init.sh} (ConfigMap
 *       {@value #KERNEL_INIT_CONFIG_MAP}) before the image's own {@code /entrypoint.sh}: it skips the DKMS compile
 *       when the host already has this image's vrouter.ko for the running kernel (a baked node, a restarted pod)
 *       and otherwise execs the entrypoint unchanged;</li>
 *   <li>rolling updates in 10 % batches, resource requests sized for m3.medium workers (in {@link AgentResources}),
 *       priority classes, and tolerations that let the network come up on nodes that are NotReady without it.</li>
 * </ul>
 */
public final class ContrailCni extends ComponentResource {

    public static final String TYPE = "kilonode:cni:ContrailCni";
    public static final String SERVICE_ACCOUNT = "contrail-kube-manager";
    public static final String TOKEN_SECRET = "contrail-kube-manager-token";
    /** Label the upstream manifests put on TF controller nodes; the agent stays off them if one ever joins. */
    public static final String TF_CONTROLLER_LABEL = "node-role.opencontrail.org/config";

    /** Contrail's defaults, stated so nothing in the ConfigMap depends on an image's fallback. */
    static final String RABBITMQ_PORT = "5673";
    static final String ZOOKEEPER_PORT = "2181";
    static final String ZOOKEEPER_PEER_PORTS = "2888:3888";

    /** vRouters replaced per rolling-update step: 100 of 1,000 workers lose pod networking for one restart at once. */
    static final String AGENT_MAX_UNAVAILABLE = "10%";
    static final int AGENT_MIN_READY_SECONDS = 60;

    /** Pod-template annotation: checksum of the ConfigMaps the pods read, so a change rolls them. */
    public static final String CONFIG_CHECKSUM = "kilonode.dev/config-checksum";
    static final Map<String, String> NODEMGR_DATA = Map.of("DOCKER_HOST", "unix://mnt/docker.sock");

    /** components/ContrailCni: what the vRouter pods run from a ConfigMap. */
    public static final String COMPONENT = "ContrailCni";
    static final String KERNEL_INIT_CONFIG_MAP = "kilonode-vrouter-kernel-init";
    public static final String KERNEL_INIT_SCRIPT = "vrouter-kernel-init.sh";
    static final String KERNEL_INIT_DIR = "/opt/kilonode";
    static final String KERNEL_INIT_VOLUME = "kilonode-kernel-init";
    /**
     * The kernel-build-init image's own entrypoint, which the wrapper execs when it must build:
     * OpenSDN-io/tf-container-builder@ad1c5969 containers/vrouter/kernel-build-init/Dockerfile
     * {@code ENTRYPOINT ["/entrypoint.sh"]} (no CMD).
     */
    static final String UPSTREAM_KERNEL_INIT_ENTRYPOINT = "/entrypoint.sh";

    private final ConfigMap env;
    private final DaemonSet agent;
    private final DaemonSet kubeManager;

    public ContrailCni(String name, ContrailCniArgs args, ComponentResourceOptions opts) {
        super(TYPE, name, opts);
        var in = CustomResourceOptions.builder().parent(this).build();
        ContrailImages images = args.images();

        this.env = new ConfigMap("contrail-env", ConfigMapArgs.builder()
                .metadata(meta("env", "contrail"))
                .data(envData(args))
                .build(), in);
        var nodemgrConfig = new ConfigMap("contrail-nodemgr-config", ConfigMapArgs.builder()
                .metadata(meta("nodemgr-config", "contrail"))
                // The upstream value: nodemgr finds the host's container runtime socket under /mnt (host /var/run).
                .data(NODEMGR_DATA)
                .build(), in);
        var kernelInitConfig = new ConfigMap("contrail-vrouter-kernel-init", ConfigMapArgs.builder()
                .metadata(meta(KERNEL_INIT_CONFIG_MAP, "contrail"))
                .data(kernelInitData())
                .build(), in);
        var kubeManagerConfig = new ConfigMap("contrail-kube-manager-config", ConfigMapArgs.builder()
                .metadata(meta("kube-manager-config", "contrail-kube-manager"))
                .data(args.apiServerUrl().applyValue(ContrailCni::kubeManagerData))
                .build(), in);

        var serviceAccount = new ServiceAccount("contrail-kube-manager", ServiceAccountArgs.builder()
                .metadata(meta(SERVICE_ACCOUNT, "contrail-kube-manager"))
                .automountServiceAccountToken(false)
                .build(), in);
        // A long-lived token Secret (since Kubernetes 1.24 no longer created automatically): the token controller
        // fills it in. kube-manager and the agent read it from /tmp/serviceaccount as upstream does.
        var token = new Secret("contrail-kube-manager-token", SecretArgs.builder()
                .metadata(ObjectMetaArgs.builder().name(TOKEN_SECRET).namespace(KUBE_SYSTEM)
                        .labels(labels("contrail-kube-manager"))
                        .annotations(Map.of("kubernetes.io/service-account.name", SERVICE_ACCOUNT)).build())
                .type("kubernetes.io/service-account-token")
                .build(), CustomResourceOptions.builder().parent(this).dependsOn(serviceAccount).build());
        var role = new ClusterRole("contrail-kube-manager", ClusterRoleArgs.builder()
                .metadata(clusterMeta("contrail-kube-manager", "contrail-kube-manager"))
                .rules(kubeManagerRules())
                .build(), in);
        var binding = new ClusterRoleBinding("contrail-kube-manager", ClusterRoleBindingArgs.builder()
                .metadata(clusterMeta("contrail-kube-manager", "contrail-kube-manager"))
                .roleRef(RoleRefArgs.builder().apiGroup("rbac.authorization.k8s.io").kind("ClusterRole")
                        .name("contrail-kube-manager").build())
                .subjects(SubjectArgs.builder().kind("ServiceAccount").name(SERVICE_ACCOUNT).namespace(KUBE_SYSTEM).build())
                .build(), in);

        var after = CustomResourceOptions.builder().parent(this)
                .dependsOn(env, nodemgrConfig, kernelInitConfig, kubeManagerConfig, token, binding, role).build();
        // ConfigMaps are updated in place (the provider's enableConfigMapMutable); envFrom is read only at container
        // start, so each pod template carries a checksum of the ConfigMaps it reads and a change rolls the pods.
        Output<String> kubeManagerChecksum = args.apiServerUrl().applyValue(url ->
                configChecksum(envData(args), kubeManagerData(url)));
        // The kernel-init script is in the agent's checksum: a new script rolls the agents (its init container runs
        // only at pod start).
        Output<String> agentChecksum = Output.of(configChecksum(envData(args), NODEMGR_DATA, kernelInitData()));
        this.kubeManager = new DaemonSet("contrail-kube-manager", kubeManagerDaemonSet(images, kubeManagerChecksum), after);
        this.agent = new DaemonSet("contrail-agent", agentDaemonSet(images, agentChecksum), after);

        registerOutputs(Map.of("agent", agent.metadata().applyValue(m -> m.name().orElse("")),
                "kubeManager", kubeManager.metadata().applyValue(m -> m.name().orElse(""))));
    }

    public ConfigMap envConfigMap() {
        return env;
    }

    public DaemonSet agent() {
        return agent;
    }

    public DaemonSet kubeManager() {
        return kubeManager;
    }

    /** The {@code env} ConfigMap: every key report 000 had to correct by hand points at the TF controllers. */
    static Map<String, String> envData(ContrailCniArgs args) {
        String controllers = String.join(",", args.controllerIps());
        Map<String, String> data = new LinkedHashMap<>();
        data.put("AUTH_MODE", "noauth");
        data.put("AAA_MODE", "no-auth");
        data.put("CLOUD_ORCHESTRATOR", "kubernetes");
        for (String key : List.of("CONTROLLER_NODES", "CONFIG_NODES", "CONFIGDB_NODES", "CONTROL_NODES",
                "ANALYTICS_NODES", "ANALYTICSDB_NODES", "RABBITMQ_NODES", "ZOOKEEPER_NODES")) {
            data.put(key, controllers);
        }
        data.put("RABBITMQ_NODE_PORT", RABBITMQ_PORT);
        data.put("ZOOKEEPER_PORT", ZOOKEEPER_PORT);
        data.put("ZOOKEEPER_PORTS", ZOOKEEPER_PEER_PORTS);
        data.put("LOG_LEVEL", "SYS_NOTICE");
        data.put("KUBERNETES_CLUSTER_NAME", args.clusterName());
        data.put("KUBERNETES_POD_SUBNETS", args.podCidr());
        data.put("KUBERNETES_SERVICE_SUBNETS", args.serviceCidr());
        // Pods live in the overlay; fabric SNAT lets them reach the VPC and the internet through their node's address.
        data.put("KUBERNETES_IP_FABRIC_FORWARDING", "false");
        data.put("KUBERNETES_IP_FABRIC_SNAT", "true");
        // The agent's 2 MB hugepages (standalone manifest since R21.3): nodes reserve them (install-kubernetes.sh).
        data.put("HUGE_PAGES_2MB", String.valueOf(AgentResources.HUGE_PAGES_2MB));
        data.put("WEBUI_NODES", controllers);
        // The controllers run the config_database, config, control, analytics and webui roles only (InstancesFile).
        data.put("ANALYTICSDB_ENABLE", "false");
        data.put("ANALYTICS_ALARM_ENABLE", "false");
        data.put("ANALYTICS_SNMP_ENABLE", "false");
        return data;
    }

    /** The kernel-init ConfigMap: the wrapper script as committed (comments kept: operators read it there). */
    static Map<String, String> kernelInitData() {
        return Map.of(KERNEL_INIT_SCRIPT, ComponentFiles.read(COMPONENT, KERNEL_INIT_SCRIPT));
    }

    /** SHA-256 over the ConfigMaps' data, key-sorted: stable for equal data, different for any change. */
    @SafeVarargs
    static String configChecksum(Map<String, String>... configMaps) {
        StringBuilder text = new StringBuilder();
        for (Map<String, String> data : configMaps) {
            new java.util.TreeMap<>(data).forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            text.append("---\n");
        }
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectMetaArgs podMeta(String app, Output<String> checksum) {
        var b = ObjectMetaArgs.builder().labels(labels(app));
        if (checksum != null) {
            b.annotations(checksum.applyValue(c -> Map.of(CONFIG_CHECKSUM, c)));
        }
        return b.build();
    }

    /** kube-manager's endpoint: host and port of the cluster's API URL. */
    static Map<String, String> kubeManagerData(String apiServerUrl) {
        URI uri = URI.create(apiServerUrl);
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("API server URL must be https://host:port, got " + apiServerUrl);
        }
        Map<String, String> data = new LinkedHashMap<>();
        data.put("KUBERNETES_API_SERVER", uri.getHost());
        data.put("KUBERNETES_API_SECURE_PORT", String.valueOf(uri.getPort() > 0 ? uri.getPort() : 443));
        data.put("K8S_TOKEN_FILE", "/tmp/serviceaccount/token");
        return data;
    }

    /**
     * What kube-manager (tf-controller src/container/kube-manager) does with the API: lists and watches pods,
     * services, endpoints, namespaces, ingresses, network policies, CRDs and network-attachment-definitions; patches
     * pod annotations (network status), service externalIPs, ingress annotations and ingress status; creates the
     * network-attachment-definition CRD; reads {@code /openapi/v2} to find API versions.
     */
    static List<PolicyRuleArgs> kubeManagerRules() {
        List<String> read = List.of("get", "list", "watch");
        List<PolicyRuleArgs> rules = new ArrayList<>();
        rules.add(rule(List.of(""), List.of("namespaces", "endpoints"), read));
        rules.add(rule(List.of(""), List.of("pods", "services"), List.of("get", "list", "watch", "patch", "update")));
        rules.add(rule(List.of("networking.k8s.io", "extensions"), List.of("ingresses"),
                List.of("get", "list", "watch", "patch", "update")));
        rules.add(rule(List.of("networking.k8s.io", "extensions"), List.of("ingresses/status"),
                List.of("get", "patch", "update")));
        rules.add(rule(List.of("networking.k8s.io"), List.of("networkpolicies"), read));
        rules.add(rule(List.of("apiextensions.k8s.io"), List.of("customresourcedefinitions"),
                List.of("get", "list", "watch", "create")));
        rules.add(rule(List.of("k8s.cni.cncf.io"), List.of("network-attachment-definitions"), read));
        rules.add(PolicyRuleArgs.builder().nonResourceURLs("/openapi/v2").verbs("get").build());
        return rules;
    }

    private static PolicyRuleArgs rule(List<String> groups, List<String> resources, List<String> verbs) {
        return PolicyRuleArgs.builder().apiGroups(groups).resources(resources).verbs(verbs).build();
    }

    private static ContainerArgs nodeInit(ContrailImages images) {
        return ContainerArgs.builder()
                .name("opensdn-node-init")
                .image(images.nodeInit())
                .imagePullPolicy("IfNotPresent")
                .securityContext(privileged())
                .env(env("CONTRAIL_STATUS_IMAGE", images.status()))
                .envFrom(envFrom("env"))
                .volumeMounts(mount("host-usr-bin", "/host/usr/bin"), mount("host-etc-timezone", "/etc/timezone"),
                        mount("host-etc-sysctl-d", "/etc/sysctl.d"), mount("host-etc-localtime", "/etc/localtime"),
                        mount("host-etc-hosts", "/etc/hosts"))
                .resources(AgentResources.NODE_INIT.args())
                .build();
    }

    /** The host's time zone, sysctl drop-ins and hosts file, which node-init reads and writes (standalone manifest). */
    private static List<VolumeArgs> hostTimeAndHosts() {
        return List.of(hostFile("host-etc-timezone", "/etc/timezone", "FileOrCreate"),
                hostExisting("host-etc-sysctl-d", "/etc/sysctl.d"),
                hostFile("host-etc-localtime", "/etc/localtime", "File"),
                hostFile("host-etc-hosts", "/etc/hosts", "File"));
    }

    private static VolumeArgs hostFile(String volume, String path, String type) {
        return VolumeArgs.builder().name(volume)
                .hostPath(HostPathVolumeSourceArgs.builder().path(path).type(type).build()).build();
    }

    static DaemonSetArgs kubeManagerDaemonSet(ContrailImages images) {
        return kubeManagerDaemonSet(images, null);
    }

    static DaemonSetArgs kubeManagerDaemonSet(ContrailImages images, Output<String> configChecksum) {
        String app = "contrail-kube-manager";
        PodSpecArgs pod = PodSpecArgs.builder()
                .hostNetwork(true)
                .priorityClassName("system-cluster-critical")
                .serviceAccountName(SERVICE_ACCOUNT)
                .automountServiceAccountToken(false)
                .nodeSelector(Map.of(CONTROL_PLANE, ""))
                .tolerations(
                        tolerate(CONTROL_PLANE, "NoSchedule"),
                        // kube-manager starts before any vRouter (it creates the pod network); host-networked.
                        tolerate("node.kubernetes.io/not-ready", "NoSchedule"),
                        tolerate("node.kubernetes.io/network-unavailable", "NoSchedule"))
                .initContainers(nodeInit(images))
                .containers(ContainerArgs.builder()
                        .name("opensdn-kube-manager")
                        .image(images.kubeManager())
                        .imagePullPolicy("IfNotPresent")
                        // The API through the internal load balancer's name (kube-manager-config): any master.
                        .envFrom(envFrom("env"), envFrom("kube-manager-config"))
                        .volumeMounts(mount("contrail-logs", "/var/log/contrail"),
                                mount("pod-secret", "/tmp/serviceaccount"))
                        .resources(AgentResources.KUBE_MANAGER.args())
                        .build())
                .volumes(Stream.concat(Stream.of(hostDir("contrail-logs", "/var/log/contrail"),
                        tokenVolume(),
                        hostExisting("host-usr-bin", "/usr/bin")), hostTimeAndHosts().stream()).toList())
                .build();
        return DaemonSetArgs.builder()
                .metadata(meta(app, app))
                .spec(DaemonSetSpecArgs.builder()
                        .selector(LabelSelectorArgs.builder().matchLabels(Map.of("app", app)).build())
                        .updateStrategy(DaemonSetUpdateStrategyArgs.builder().type("RollingUpdate")
                                .rollingUpdate(RollingUpdateDaemonSetArgs.builder().maxUnavailable(1).build()).build())
                        .revisionHistoryLimit(5)
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(podMeta(app, configChecksum))
                                .spec(pod).build())
                        .build())
                .build();
    }

    static DaemonSetArgs agentDaemonSet(ContrailImages images) {
        return agentDaemonSet(images, null);
    }

    static DaemonSetArgs agentDaemonSet(ContrailImages images, Output<String> configChecksum) {
        String app = "contrail-agent";
        List<VolumeArgs> volumes = new ArrayList<>(List.of(
                hostExisting("dev", "/dev"),
                hostExisting("var-run", "/var/run"),
                hostDir("run-runc", "/run/runc"),
                hostDir("containerd-socket", "/run/containerd"),
                tokenVolume(),
                hostExisting("usr-src", "/usr/src"),
                hostExisting("lib-modules", "/lib/modules"),
                hostDir("var-lib-contrail", "/var/lib/contrail"),
                hostDir("var-crashes", "/var/crashes"),
                hostDir("etc-cni", "/etc/cni"),
                hostDir("opt-cni-bin", "/opt/cni/bin"),
                hostDir("var-log-contrail-cni", "/var/log/contrail/cni"),
                hostDir("contrail-logs", "/var/log/contrail"),
                hostExisting("host-bin", "/bin"),
                hostExisting("host-etc", "/etc"),
                hostDir("etc-contrail", "/etc/contrail/vrouter"),
                hostDir("var-run-libvirt", "/var/run/libvirt"),
                hostDir("network-scripts", "/etc/sysconfig/network-scripts"),
                hostExisting("host-usr-bin", "/usr/bin"),
                hostDir("lb-nodemgr", "/var/lib/contrail/loadbalancer")));
        volumes.addAll(hostTimeAndHosts());
        // Read-only, world-readable: bash reads the script; nothing executes it by its mode.
        volumes.add(VolumeArgs.builder().name(KERNEL_INIT_VOLUME).configMap(ConfigMapVolumeSourceArgs.builder()
                .name(KERNEL_INIT_CONFIG_MAP).defaultMode(0444).build()).build());

        ContainerArgs kernelInit = ContainerArgs.builder()
                .name("opensdn-vrouter-kernel-init")
                .image(images.vrouterKernelInit())
                .imagePullPolicy("IfNotPresent")
                .securityContext(privileged())
                // The wrapper decides whether to compile, then execs the image's entrypoint or exits 0.
                .command("/bin/bash", KERNEL_INIT_DIR + "/" + KERNEL_INIT_SCRIPT)
                .envFrom(envFrom("env"))
                .volumeMounts(mount("usr-src", "/usr/src"), mount("lib-modules", "/lib/modules"),
                        mount("host-bin", "/host/bin"), mount("contrail-logs", "/var/log/contrail"),
                        mount("etc-contrail", "/etc/contrail"),
                        mount("network-scripts", "/etc/sysconfig/network-scripts"),
                        VolumeMountArgs.builder().name(KERNEL_INIT_VOLUME).mountPath(KERNEL_INIT_DIR).readOnly(true)
                                .build())
                // DKMS compiles vrouter.ko on the node's one vCPU when the host lacks this image's module for the
                // running kernel (stock AMI's first boot, a new image, a new kernel); otherwise nothing compiles.
                .resources(AgentResources.KERNEL_INIT.args())
                .build();
        ContainerArgs cniInit = ContainerArgs.builder()
                .name("opensdn-kubernetes-cni-init")
                .image(images.cniInit())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"))
                .volumeMounts(mount("var-lib-contrail", "/var/lib/contrail"), mount("etc-cni", "/host/etc_cni"),
                        mount("opt-cni-bin", "/host/opt_cni_bin"), mount("var-log-contrail-cni", "/host/log_cni"),
                        mount("contrail-logs", "/var/log/contrail"))
                .resources(AgentResources.CNI_INIT.args())
                .build();
        ContainerArgs vrouterAgent = ContainerArgs.builder()
                .name("opensdn-vrouter-agent")
                .image(images.vrouterAgent())
                .imagePullPolicy("IfNotPresent")
                // Privileged: /dev/net/tun and the pkt0 interface need it (upstream comment).
                .securityContext(privileged())
                .envFrom(envFrom("env"))
                .volumeMounts(mount("dev", "/dev"), mount("var-run", "/var/run"),
                        mount("network-scripts", "/etc/sysconfig/network-scripts"), mount("host-bin", "/host/bin"),
                        mount("host-etc", "/host/etc"), mount("contrail-logs", "/var/log/contrail"),
                        mount("usr-src", "/usr/src"), mount("lib-modules", "/lib/modules"),
                        mount("var-lib-contrail", "/var/lib/contrail"), mount("var-crashes", "/var/crashes"),
                        mount("pod-secret", "/tmp/serviceaccount"), mount("var-run-libvirt", "/var/run/libvirt"),
                        mount("etc-contrail", "/etc/contrail"))
                .lifecycle(LifecycleArgs.builder().preStop(LifecycleHandlerArgs.builder()
                        .exec(ExecActionArgs.builder().command("/clean-up.sh").build()).build()).build())
                // The node's data plane: a request (so the scheduler keeps room for it), the upstream 2 MB hugepages,
                // and no memory limit (an OOM kill would cut every pod on the node off the network).
                .resources(AgentResources.VROUTER_AGENT.args())
                .build();
        ContainerArgs nodemgr = ContainerArgs.builder()
                .name("opensdn-agent-nodemgr")
                .image(images.nodemgr())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"), envFrom("nodemgr-config"))
                .env(env("NODE_TYPE", "vrouter"))
                // R25.1 nodemgr looks for containerd's socket at /run/containerd/containerd.sock first
                // (tf-controller src/nodemgr/nodemgr/common/event_manager.py container_strategy), runc state in /run/runc.
                .volumeMounts(mount("contrail-logs", "/var/log/contrail"), mount("var-run", "/var/run"),
                        mount("run-runc", "/run/runc"), mount("var-run", "/mnt"),
                        mount("containerd-socket", "/run/containerd"),
                        mount("lb-nodemgr", "/var/lib/contrail/loadbalancer"))
                .resources(AgentResources.NODEMGR.args())
                .build();
        ContainerArgs provisioner = ContainerArgs.builder()
                .name("opensdn-agent-provisioner")
                .image(images.provisioner())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"), envFrom("nodemgr-config"))
                .env(env("NODE_TYPE", "vrouter"))
                .volumeMounts(mount("contrail-logs", "/var/log/contrail"))
                .resources(AgentResources.PROVISIONER.args())
                .build();

        PodSpecArgs pod = PodSpecArgs.builder()
                .hostNetwork(true)
                .priorityClassName("system-node-critical")
                .serviceAccountName(SERVICE_ACCOUNT)
                .automountServiceAccountToken(false)
                // Every node, masters included; never a TF controller should one ever join.
                .affinity(AffinityArgs.builder().nodeAffinity(NodeAffinityArgs.builder()
                        .requiredDuringSchedulingIgnoredDuringExecution(NodeSelectorArgs.builder()
                                .nodeSelectorTerms(NodeSelectorTermArgs.builder().matchExpressions(
                                        NodeSelectorRequirementArgs.builder().key(TF_CONTROLLER_LABEL)
                                                .operator("NotIn").values("true").build()).build())
                                .build()).build()).build())
                .tolerations(
                        // Masters: their pods (webhooks, aggregated APIs, CoreDNS replicas) need the overlay too.
                        tolerate(CONTROL_PLANE, "NoSchedule"),
                        // A new node is NotReady exactly because its network (this pod) is missing.
                        tolerate("node.kubernetes.io/not-ready", "NoSchedule"),
                        tolerate("node.kubernetes.io/not-ready", "NoExecute"),
                        tolerate("node.kubernetes.io/unreachable", "NoExecute"),
                        tolerate("node.kubernetes.io/network-unavailable", "NoSchedule"),
                        tolerate("CriticalAddonsOnly", null))
                .initContainers(nodeInit(images), kernelInit, cniInit)
                .containers(vrouterAgent, nodemgr, provisioner)
                .volumes(volumes)
                .build();
        return DaemonSetArgs.builder()
                .metadata(meta(app, app))
                .spec(DaemonSetSpecArgs.builder()
                        .selector(LabelSelectorArgs.builder().matchLabels(Map.of("app", app)).build())
                        .updateStrategy(DaemonSetUpdateStrategyArgs.builder().type("RollingUpdate")
                                .rollingUpdate(RollingUpdateDaemonSetArgs.builder()
                                        .maxUnavailable(AGENT_MAX_UNAVAILABLE).maxSurge(0).build()).build())
                        .minReadySeconds(AGENT_MIN_READY_SECONDS)
                        .revisionHistoryLimit(5)
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(podMeta(app, configChecksum))
                                .spec(pod).build())
                        .build())
                .build();
    }

    private static VolumeArgs tokenVolume() {
        return VolumeArgs.builder().name("pod-secret")
                .secret(SecretVolumeSourceArgs.builder().secretName(TOKEN_SECRET).build()).build();
    }

    private static SecurityContextArgs privileged() {
        return SecurityContextArgs.builder().privileged(true).build();
    }
}
