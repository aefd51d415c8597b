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
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.ExecActionArgs;
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

import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.kilonode.kubernetes.K8s.CONTROL_PLANE;
import static dev.kilonode.kubernetes.K8s.KUBE_SYSTEM;
import static dev.kilonode.kubernetes.K8s.clusterMeta;
import static dev.kilonode.kubernetes.K8s.env;
import static dev.kilonode.kubernetes.K8s.envField;
import static dev.kilonode.kubernetes.K8s.envFrom;
import static dev.kilonode.kubernetes.K8s.hostDir;
import static dev.kilonode.kubernetes.K8s.hostExisting;
import static dev.kilonode.kubernetes.K8s.labels;
import static dev.kilonode.kubernetes.K8s.meta;
import static dev.kilonode.kubernetes.K8s.mount;
import static dev.kilonode.kubernetes.K8s.notOnControlPlane;
import static dev.kilonode.kubernetes.K8s.resources;
import static dev.kilonode.kubernetes.K8s.tolerate;

/**
 * Tungsten Fabric (Contrail) as the cluster's CNI: the objects of tf-container-builder's
 * {@code kubernetes/manifests/contrail-non-nested-kubernetes.yaml}, declared here typed and brought up to date.
 * Differences from that manifest (and from what field report 000 had to fix by hand after resolve-manifest.sh):
 * <ul>
 *   <li>the {@code env} ConfigMap is filled from the TF controllers' private addresses; keys that would resolve to
 *       nothing (Keystone, VIPs, FIP pool...) are simply absent, never null;</li>
 *   <li>apps/v1 and rbac.authorization.k8s.io/v1 only (the 2019 manifest used extensions/v1beta1, removed in 1.16);</li>
 *   <li>kube-manager's ClusterRole lists what kube-manager reads, watches and patches instead of {@code *} on
 *       everything;</li>
 *   <li>placement from kubeadm's own labels: kube-manager on the masters, the vRouter agent on every node that is not a
 *       control-plane node (TF controllers never join the cluster; the upstream controller label is excluded too);</li>
 *   <li>rolling updates in 10 % batches, resource requests sized for m3.medium workers, priority classes, and
 *       tolerations that let the network come up on nodes that are NotReady because they have no network yet;</li>
 *   <li>the CNI init container's log volume, referenced but never declared upstream, is declared.</li>
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
                .data(Map.of("DOCKER_HOST", "unix://mnt/docker.sock"))
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
                .dependsOn(env, nodemgrConfig, kubeManagerConfig, token, binding, role).build();
        this.kubeManager = new DaemonSet("contrail-kube-manager", kubeManagerDaemonSet(images), after);
        this.agent = new DaemonSet("contrail-agent", agentDaemonSet(images), after);

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
        return data;
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
                .name("contrail-node-init")
                .image(images.nodeInit())
                .imagePullPolicy("IfNotPresent")
                .securityContext(privileged())
                .env(env("CONTRAIL_STATUS_IMAGE", images.status()))
                .envFrom(envFrom("env"))
                .volumeMounts(mount("host-usr-bin", "/host/usr/bin"))
                .resources(resources("50m", "64Mi", "256Mi"))
                .build();
    }

    static DaemonSetArgs kubeManagerDaemonSet(ContrailImages images) {
        String app = "contrail-kube-manager";
        PodSpecArgs pod = PodSpecArgs.builder()
                .hostNetwork(true)
                .priorityClassName("system-cluster-critical")
                .serviceAccountName(SERVICE_ACCOUNT)
                .automountServiceAccountToken(false)
                .nodeSelector(Map.of(CONTROL_PLANE, ""))
                .tolerations(
                        tolerate(CONTROL_PLANE, "NoSchedule"),
                        // Masters run no vRouter, so they never get a pod network and stay NotReady; kube-manager
                        // is host-networked and must run there anyway.
                        tolerate("node.kubernetes.io/not-ready", "NoSchedule"),
                        tolerate("node.kubernetes.io/network-unavailable", "NoSchedule"))
                .initContainers(nodeInit(images))
                .containers(ContainerArgs.builder()
                        .name("contrail-kube-manager")
                        .image(images.kubeManager())
                        .imagePullPolicy("IfNotPresent")
                        .envFrom(envFrom("env"), envFrom("kube-manager-config"))
                        // Each kube-manager talks to the API server on its own master: no dependence on the load
                        // balancer (whose client-IP preservation breaks a target connecting to itself through it).
                        // The ConfigMap's endpoint stays the documented fallback for a copy run elsewhere.
                        .env(envField("KUBERNETES_API_SERVER", "status.hostIP"))
                        .volumeMounts(mount("contrail-logs", "/var/log/contrail"),
                                mount("pod-secret", "/tmp/serviceaccount"))
                        .resources(resources("250m", "512Mi", "2Gi"))
                        .build())
                .volumes(hostDir("contrail-logs", "/var/log/contrail"),
                        tokenVolume(),
                        hostExisting("host-usr-bin", "/usr/bin"))
                .build();
        return DaemonSetArgs.builder()
                .metadata(meta(app, app))
                .spec(DaemonSetSpecArgs.builder()
                        .selector(LabelSelectorArgs.builder().matchLabels(Map.of("app", app)).build())
                        .updateStrategy(DaemonSetUpdateStrategyArgs.builder().type("RollingUpdate")
                                .rollingUpdate(RollingUpdateDaemonSetArgs.builder().maxUnavailable(1).build()).build())
                        .revisionHistoryLimit(5)
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(ObjectMetaArgs.builder().labels(labels(app)).build())
                                .spec(pod).build())
                        .build())
                .build();
    }

    static DaemonSetArgs agentDaemonSet(ContrailImages images) {
        String app = "contrail-agent";
        List<VolumeArgs> volumes = List.of(
                hostExisting("dev", "/dev"),
                hostExisting("docker-unix-socket", "/var/run"),
                hostDir("containerd-socket", "/run/containerd"),
                tokenVolume(),
                hostExisting("usr-src", "/usr/src"),
                hostExisting("lib-modules", "/lib/modules"),
                hostDir("var-lib-contrail", "/var/lib/contrail"),
                hostDir("var-crashes", "/var/crashes/vrouter"),
                hostDir("etc-cni", "/etc/cni"),
                hostDir("opt-cni-bin", "/opt/cni/bin"),
                hostDir("var-log-contrail-cni", "/var/log/contrail/cni"),
                hostDir("contrail-logs", "/var/log/contrail"),
                hostExisting("host-bin", "/bin"),
                hostDir("etc-contrail", "/etc/contrail/vrouter"),
                hostDir("var-run-libvirt", "/var/run/libvirt"),
                hostDir("network-scripts", "/etc/sysconfig/network-scripts"),
                hostExisting("host-usr-bin", "/usr/bin"));

        ContainerArgs kernelInit = ContainerArgs.builder()
                .name("contrail-vrouter-kernel-init")
                .image(images.vrouterKernelInit())
                .imagePullPolicy("IfNotPresent")
                .securityContext(privileged())
                .envFrom(envFrom("env"))
                .volumeMounts(mount("usr-src", "/usr/src"), mount("lib-modules", "/lib/modules"),
                        mount("host-bin", "/host/bin"), mount("contrail-logs", "/var/log/contrail"),
                        mount("etc-contrail", "/etc/contrail"),
                        mount("network-scripts", "/etc/sysconfig/network-scripts"))
                // DKMS compiles vrouter.ko on the node's one vCPU the first time; later boots find it built.
                .resources(resources("100m", "256Mi", "1Gi"))
                .build();
        ContainerArgs cniInit = ContainerArgs.builder()
                .name("contrail-kubernetes-cni-init")
                .image(images.cniInit())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"))
                .volumeMounts(mount("var-lib-contrail", "/var/lib/contrail"), mount("etc-cni", "/host/etc_cni"),
                        mount("opt-cni-bin", "/host/opt_cni_bin"), mount("var-log-contrail-cni", "/host/log_cni"),
                        mount("contrail-logs", "/var/log/contrail"))
                .resources(resources("10m", "32Mi", "128Mi"))
                .build();
        ContainerArgs vrouterAgent = ContainerArgs.builder()
                .name("contrail-vrouter-agent")
                .image(images.vrouterAgent())
                .imagePullPolicy("IfNotPresent")
                // Privileged: /dev/net/tun and the pkt0 interface need it (upstream comment).
                .securityContext(privileged())
                .envFrom(envFrom("env"))
                .volumeMounts(mount("contrail-logs", "/var/log/contrail"), mount("var-crashes", "/var/crashes"),
                        mount("pod-secret", "/tmp/serviceaccount"), mount("host-bin", "/host/bin"),
                        mount("var-run-libvirt", "/var/run/libvirt"), mount("etc-contrail", "/etc/contrail"),
                        mount("network-scripts", "/etc/sysconfig/network-scripts"), mount("dev", "/dev"),
                        mount("usr-src", "/usr/src"), mount("lib-modules", "/lib/modules"),
                        mount("var-lib-contrail", "/var/lib/contrail"))
                .lifecycle(LifecycleArgs.builder().preStop(LifecycleHandlerArgs.builder()
                        .exec(ExecActionArgs.builder().command("/clean-up.sh").build()).build()).build())
                // The node's data plane: a request (so the scheduler keeps room for it) and no memory limit (an OOM
                // kill would cut every pod on the node off the network).
                .resources(resources("250m", "512Mi", null))
                .build();
        ContainerArgs nodemgr = ContainerArgs.builder()
                .name("contrail-agent-nodemgr")
                .image(images.nodemgr())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"), envFrom("nodemgr-config"))
                .env(env("NODE_TYPE", "vrouter"))
                .volumeMounts(mount("contrail-logs", "/var/log/contrail"), mount("docker-unix-socket", "/mnt"),
                        // Our nodes run containerd, not Docker: newer nodemgr builds look for its socket here.
                        mount("containerd-socket", "/run/containerd"))
                .resources(resources("20m", "64Mi", "256Mi"))
                .build();
        ContainerArgs provisioner = ContainerArgs.builder()
                .name("contrail-agent-provisioner")
                .image(images.provisioner())
                .imagePullPolicy("IfNotPresent")
                .envFrom(envFrom("env"), envFrom("nodemgr-config"))
                .env(env("NODE_TYPE", "vrouter"))
                .volumeMounts(mount("contrail-logs", "/var/log/contrail"))
                .resources(resources("10m", "64Mi", "128Mi"))
                .build();

        PodSpecArgs pod = PodSpecArgs.builder()
                .hostNetwork(true)
                .priorityClassName("system-node-critical")
                .serviceAccountName(SERVICE_ACCOUNT)
                .automountServiceAccountToken(false)
                .affinity(AffinityArgs.builder().nodeAffinity(NodeAffinityArgs.builder()
                        .requiredDuringSchedulingIgnoredDuringExecution(NodeSelectorArgs.builder()
                                .nodeSelectorTerms(NodeSelectorTermArgs.builder().matchExpressions(
                                        notOnControlPlane(),
                                        NodeSelectorRequirementArgs.builder().key(TF_CONTROLLER_LABEL)
                                                .operator("NotIn").values("true").build()).build())
                                .build()).build()).build())
                .tolerations(
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
                                .metadata(ObjectMetaArgs.builder().labels(labels(app)).build())
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
