package dev.kilonode.master.kubeadm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.InstanceType;
import dev.kilonode.config.WorkerGroupSpec;
import dev.kilonode.tuning.ControlPlaneBudget;
import dev.kilonode.tuning.TuningProfile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.kilonode.master.kubeadm.KubeadmTypes.*;

/**
 * Renders every kubeadm file a node receives from typed objects: the first master's init configuration (with the
 * tuning profile's flags), the other masters' and the workers' join configurations, the kubelet patches (report 003's
 * reservations per instance type) and the patches that give the static control-plane pods their budgeted requests.
 */
public final class KubeadmConfig {

    public static final String DIR = "/etc/kilonode/kubeadm";
    public static final String PATCH_DIR = DIR + "/patches";
    /** Substituted on the node from SSM at boot (components/NodeGroup/join-cluster.sh); never rendered. */
    public static final String TOKEN_PLACEHOLDER = "__BOOTSTRAP_TOKEN__";
    /** Substituted on the worker from IMDS: {@code aws:///<zone>/<instance-id>}, which the node drainer matches. */
    public static final String PROVIDER_ID_PLACEHOLDER = "__PROVIDER_ID__";
    public static final String CRI_SOCKET = "unix:///run/containerd/containerd.sock";
    public static final String ETCD_DATA_DIR = "/var/lib/etcd";
    public static final String EVENTS_ETCD_DATA_DIR = "/var/lib/etcd-events";
    public static final int EVENTS_ETCD_CLIENT_PORT = 2382;
    public static final int EVENTS_ETCD_PEER_PORT = 2383;
    public static final String NODE_GROUP_LABEL = "kilonode.dev/node-group";
    /**
     * kube-scheduler's configuration files live here on the master, mounted read-only at the same path into its pod.
     * Each file is named after its content's hash, so a new QPS is a new --config path, hence a new static pod
     * manifest, which is what makes the kubelet restart the scheduler (it reads the file only at start).
     */
    public static final String SCHEDULER_CONFIG_DIR = "/etc/kilonode/kube-scheduler";

    /** Map keys sorted: the same input renders the same bytes in every JVM (Map.of's order is per-JVM). */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER))
            .enable(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private KubeadmConfig() {
    }

    /**
     * Where the API is: its stable name {@code api.<apiDomain>} (master.ApiName), the controlPlaneEndpoint, join
     * endpoint and API server certificate name. No load balancer's own name: a replaced load balancer then changes
     * nothing on the masters (their configuration, certificate) or the workers (launch template).
     */
    public record Endpoints(String apiHost) {
        public String endpoint() {
            return apiHost + ":6443";
        }
    }

    // ---------------------------------------------------------------- the first master

    /**
     * Master 0's boot configuration: the desired one without --etcd-servers-overrides. kubeadm init must not depend
     * on the events etcd (its members start one master at a time, after the API server is up: events-etcd.sh); the
     * reconcile adds the override once the events etcd answers.
     */
    public static String init(ClusterSpec spec, TuningProfile t, Endpoints endpoints) {
        return controlPlane(spec, t, endpoints, 0, false);
    }

    /**
     * Master {@code index}'s full control-plane configuration (its own address, the cluster configuration with the
     * tuning profile's flags): master 0 boots from it, and every master reconciles its static pods to it from SSM.
     */
    public static String controlPlane(ClusterSpec spec, TuningProfile t, Endpoints endpoints, int index) {
        return controlPlane(spec, t, endpoints, index, spec.eventsEtcdEnabled());
    }

    private static String controlPlane(ClusterSpec spec, TuningProfile t, Endpoints endpoints, int index,
                                       boolean eventsOverride) {
        KubeadmApi api = KubeadmApi.forMinor(spec.kubernetesMinorNumber());
        String ip = spec.masterIp(index);
        var init = new InitConfiguration(api.apiVersion, "InitConfiguration", new LocalApiEndpoint(ip, 6443),
                masterRegistration(api, ip), new Patches(PATCH_DIR));
        return documents(init, cluster(spec, t, endpoints, api, eventsOverride), clusterKubelet(spec, t),
                new KubeProxyConfiguration("kubeproxy.config.k8s.io/v1alpha1", "KubeProxyConfiguration", "iptables"));
    }

    static ClusterConfiguration cluster(ClusterSpec spec, TuningProfile t, Endpoints endpoints, KubeadmApi api,
                                        boolean eventsOverride) {
        Map<String, String> apiServer = new LinkedHashMap<>();
        apiServer.put("max-requests-inflight", String.valueOf(t.apiServer().maxRequestsInflight()));
        apiServer.put("max-mutating-requests-inflight", String.valueOf(t.apiServer().maxMutatingRequestsInflight()));
        if (t.apiServer().goawayChance() != null) {
            apiServer.put("goaway-chance", t.apiServer().goawayChance());
        }
        if (eventsOverride) {
            // Report 001: events were the heaviest range queries; they get their own etcd.
            apiServer.put("etcd-servers-overrides", "/events#" + spec.masterIps().stream()
                    .map(ip -> "https://" + ip + ":" + EVENTS_ETCD_CLIENT_PORT).collect(Collectors.joining(";")));
        }
        Map<String, String> cm = new LinkedHashMap<>();
        var c = t.controllerManager();
        cm.put("kube-api-qps", String.valueOf(c.kubeApiQps()));
        cm.put("kube-api-burst", String.valueOf(c.kubeApiBurst()));
        cm.put("concurrent-deployment-syncs", String.valueOf(c.concurrentDeploymentSyncs()));
        cm.put("concurrent-replicaset-syncs", String.valueOf(c.concurrentReplicasetSyncs()));
        cm.put("concurrent-endpoint-syncs", String.valueOf(c.concurrentEndpointSyncs()));
        cm.put("concurrent-service-endpoint-syncs", String.valueOf(c.concurrentServiceEndpointSyncs()));
        cm.put("concurrent-gc-syncs", String.valueOf(c.concurrentGcSyncs()));
        cm.put("concurrent-namespace-syncs", String.valueOf(c.concurrentNamespaceSyncs()));
        // Tungsten Fabric allocates pod addresses itself; the controller manager must not carve node CIDRs.
        cm.put("allocate-node-cidrs", "false");
        // The scheduler's --kube-api-qps/--kube-api-burst are deprecated; its QPS and burst live in its configuration
        // file (schedulerConfiguration), mounted into the static pod.
        Map<String, String> scheduler = new LinkedHashMap<>();
        scheduler.put("config", schedulerConfigurationPath(t));
        List<HostPathMount> schedulerVolumes = List.of(new HostPathMount("kilonode-scheduler-config",
                SCHEDULER_CONFIG_DIR, SCHEDULER_CONFIG_DIR, true, "DirectoryOrCreate"));
        Map<String, String> etcd = etcdFlags(t);
        List<String> sans = new ArrayList<>();
        sans.add(endpoints.apiHost());
        sans.addAll(spec.masterIps());
        // The stack's mirror: kubeadm names every image <imageRepository>/<name>:<tag> (kubernetes v1.33
        // cmd/kubeadm/app/images/images.go GetGenericImage, GetKubernetesImage, GetEtcdImage, GetDNSImage, GetPauseImage);
        // the static pods then get the lock's digests from the patches (controlPlanePatches). CoreDNS is pinned by
        // kubeadm itself from init on (dns.imageTag = <tag>@<digest>, see Dns); kube-proxy has no image setting in
        // kubeadm's API (kubernetes/kubeadm#2680), so it gets the lock's digest from the stack's patch (cni.KubeProxyImage).
        return new ClusterConfiguration(api.apiVersion, "ClusterConfiguration", "v" + spec.kubernetesVersion(),
                spec.namePrefix(), spec.images().repositoryBase().orElse(null), endpoints.endpoint(),
                new Networking(spec.network().podCidr().toString(), spec.network().serviceCidr().toString(), "cluster.local"),
                new ApiServer(api.args(apiServer), sans),
                new ControlPlaneComponent(api.args(cm), null),
                new ControlPlaneComponent(api.args(scheduler), schedulerVolumes),
                new Etcd(new LocalEtcd(ETCD_DATA_DIR, api.args(etcd))),
                corednsImageMeta(spec),
                "/etc/kubernetes/pki");
    }

    /**
     * kube-scheduler's configuration file. With --config the scheduler ignores its deprecated flags, --kubeconfig
     * among them, and honours only the leader-election flags (kubernetes cmd/kube-scheduler/app/options/options.go,
     * ApplyTo), so the file names the kubeconfig kubeadm writes for it and keeps leader election on.
     */
    public static String schedulerConfiguration(TuningProfile t) {
        return documents(new KubeSchedulerConfiguration("kubescheduler.config.k8s.io/v1", "KubeSchedulerConfiguration",
                new ClientConnection("/etc/kubernetes/scheduler.conf", t.scheduler().kubeApiQps(), t.scheduler().kubeApiBurst()),
                new LeaderElection(true)));
    }

    /** Where {@link #schedulerConfiguration} is written: {@value #SCHEDULER_CONFIG_DIR}/config-(sha256 prefix).yaml. */
    public static String schedulerConfigurationPath(TuningProfile t) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(schedulerConfiguration(t).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return SCHEDULER_CONFIG_DIR + "/config-" + java.util.HexFormat.of().formatHex(digest).substring(0, 12) + ".yaml";
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** etcd flags shared by the main and the events etcd. */
    public static Map<String, String> etcdFlags(TuningProfile t) {
        Map<String, String> etcd = new LinkedHashMap<>();
        etcd.put("quota-backend-bytes", String.valueOf(t.etcd().quotaBackendBytes()));
        etcd.put("heartbeat-interval", String.valueOf(t.etcd().heartbeatIntervalMs()));
        etcd.put("election-timeout", String.valueOf(t.etcd().electionTimeoutMs()));
        return etcd;
    }

    /** The cluster-wide kubelet configuration; sized for the masters (workers patch their own sizes). */
    static KubeletConfiguration clusterKubelet(ClusterSpec spec, TuningProfile t) {
        return kubelet(t.kubelet().get(spec.masters().instanceType().name()), null);
    }

    static KubeletConfiguration kubelet(TuningProfile.KubeletReservation r, String providerId) {
        Map<String, String> kube = new LinkedHashMap<>();
        kube.put("cpu", r.kubeReservedCpu());
        kube.put("memory", r.kubeReservedMemory());
        kube.put("ephemeral-storage", r.reservedEphemeralStorage());
        Map<String, String> system = new LinkedHashMap<>();
        system.put("cpu", r.systemReservedCpu());
        system.put("memory", r.systemReservedMemory());
        system.put("ephemeral-storage", r.reservedEphemeralStorage());
        Map<String, String> eviction = new LinkedHashMap<>();
        eviction.put("memory.available", r.evictionMemoryAvailable());
        eviction.put("nodefs.available", r.evictionNodefsAvailable());
        eviction.put("nodefs.inodesFree", r.evictionNodefsInodesFree());
        eviction.put("imagefs.available", r.evictionImagefsAvailable());
        eviction.put("imagefs.inodesFree", r.evictionImagefsInodesFree());
        return new KubeletConfiguration("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration", "systemd",
                kube, system, eviction, r.maxPods(), providerId, false, r.maxParallelImagePulls());
    }

    private static NodeRegistration masterRegistration(KubeadmApi api, String ip) {
        Map<String, String> kubelet = new LinkedHashMap<>();
        kubelet.put("node-ip", ip);
        kubelet.putAll(dev.kilonode.images.CredentialProvider.KUBELET_FLAGS);
        // The events etcd manifest is placed in /etc/kubernetes/manifests before kubeadm runs. ImagePull: kubeadm's
        // preflight pulls the control-plane images through the CRI without credentials (cmd/kubeadm/app/preflight
        // checks.go ImagePullCheck), which ECR refuses; the kubelet pulls them with its credential provider instead.
        return new NodeRegistration(CRI_SOCKET, api.args(kubelet), List.of("DirAvailable--etc-kubernetes-manifests",
                "ImagePull"));
    }

    // ---------------------------------------------------------------- masters 1..2

    public static String joinControlPlane(ClusterSpec spec, Endpoints endpoints, String caCertHash, int index) {
        KubeadmApi api = KubeadmApi.forMinor(spec.kubernetesMinorNumber());
        String ip = spec.masterIp(index);
        // The shared certificates are placed from SSM before the join (manual certificate distribution), so no
        // certificateKey / kubeadm-certs Secret with its two-hour expiry is involved.
        var join = new JoinConfiguration(api.apiVersion, "JoinConfiguration",
                new Discovery(new BootstrapTokenDiscovery(endpoints.endpoint(), TOKEN_PLACEHOLDER, List.of(caCertHash))),
                masterRegistration(api, ip), new JoinControlPlane(new LocalApiEndpoint(ip, 6443)), new Patches(PATCH_DIR));
        return documents(join);
    }

    // ---------------------------------------------------------------- workers

    public static String joinWorker(ClusterSpec spec, WorkerGroupSpec group, Endpoints endpoints, String caCertHash) {
        KubeadmApi api = KubeadmApi.forMinor(spec.kubernetesMinorNumber());
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(NODE_GROUP_LABEL, group.name());
        labels.putAll(group.labels());
        Map<String, String> kubelet = new LinkedHashMap<>();
        kubelet.put("node-labels", labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",")));
        kubelet.putAll(dev.kilonode.images.CredentialProvider.KUBELET_FLAGS);
        var join = new JoinConfiguration(api.apiVersion, "JoinConfiguration",
                new Discovery(new BootstrapTokenDiscovery(endpoints.endpoint(), TOKEN_PLACEHOLDER, List.of(caCertHash))),
                new NodeRegistration(CRI_SOCKET, api.args(kubelet), null), null, new Patches(PATCH_DIR));
        return documents(join);
    }

    /** The worker's kubelet patch: reservations and max pods for its instance type (report 003). */
    public static String workerKubeletPatch(TuningProfile t, InstanceType type) {
        return documents(kubelet(t.kubelet().get(type.name()), PROVIDER_ID_PLACEHOLDER));
    }

    // ---------------------------------------------------------------- static pod patches

    /**
     * Strategic-merge patches (kubeadm's --patches / patches.directory, targets kube-apiserver, kube-controller-manager,
     * kube-scheduler, etcd) that set each static pod's requests from the tuning profile's budget. kubeadm's own
     * manifests carry only small CPU requests and no limits, and the patch merges into them key by key, so the result
     * has exactly the budget's requests and no CPU limit (Burstable QoS; see ControlPlaneBudget for why).
     */
    public static Map<String, String> controlPlanePatches(TuningProfile t) {
        return controlPlanePatches(t, Map.of());
    }

    /**
     * The same patches, each also setting its container's image to {@code images.get(component)} when given: kubeadm
     * writes {@code <imageRepository>/<name>:<tag>} into the static pods, the patch (strategic merge, containers keyed
     * by name) replaces it with the lock's {@code @sha256:} reference, so the kubelet runs exactly the synced bytes.
     */
    public static Map<String, String> controlPlanePatches(TuningProfile t, Map<String, String> images) {
        Map<String, String> files = new LinkedHashMap<>();
        java.util.Set<String> components = new java.util.LinkedHashSet<>(t.controlPlaneResources().keySet());
        components.addAll(images.keySet());
        for (String component : components) {
            if (component.equals(ControlPlaneBudget.EVENTS_ETCD)) {
                continue; // not a kubeadm component: its manifest is rendered whole (EventsEtcdManifest)
            }
            Map<String, Object> container = new LinkedHashMap<>();
            container.put("name", component);
            if (images.containsKey(component)) {
                container.put("image", images.get(component));
            }
            TuningProfile.Resources res = t.controlPlaneResources().get(component);
            if (res != null) {
                container.put("resources", resources(res));
            }
            files.put(component + "+strategic.yaml", documents(Map.of("spec", Map.of("containers", List.of(container)))));
        }
        return files;
    }

    /**
     * {@code dns.imageTag} = {@code <CoreDNS tag>@sha256:<locked digest>} when mirrored, so kubeadm's CoreDNS
     * reference is {@link dev.kilonode.images.ImageRefs#taggedWithDigest} of the catalog's CoreDNS; none otherwise.
     */
    static Dns corednsImageMeta(ClusterSpec spec) {
        if (!spec.images().isMirrored()) {
            return null;
        }
        String source = dev.kilonode.images.ImageCatalog.coredns(spec);
        String full = spec.images().taggedWithDigest(source);
        String base = spec.images().repositoryBase().orElseThrow() + "/coredns:";
        if (!full.startsWith(base)) {
            throw new IllegalStateException("CoreDNS " + full + " is not under kubeadm's " + base);
        }
        return new Dns(full.substring(base.length()));
    }

    /** The static pods' images by kubeadm component (patch target and container name), from the spec's images. */
    public static Map<String, String> staticPodImages(ClusterSpec spec) {
        if (!spec.images().isMirrored()) {
            return Map.of();
        }
        Map<String, String> images = new LinkedHashMap<>();
        for (String name : List.of("kube-apiserver", "kube-controller-manager", "kube-scheduler")) {
            images.put(name, spec.images().of(dev.kilonode.images.ImageCatalog.kubernetes(spec, name)));
        }
        images.put("etcd", spec.images().of(dev.kilonode.images.ImageCatalog.etcd(spec.kubernetesMinorNumber())));
        return images;
    }

    /** A container's resources: the requests, and a memory limit only where the budget keeps one. */
    static Map<String, Object> resources(TuningProfile.Resources res) {
        Map<String, String> requests = new LinkedHashMap<>();
        requests.put("cpu", res.cpu());
        requests.put("memory", res.memory());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("requests", requests);
        if (res.memoryLimit() != null) {
            out.put("limits", Map.of("memory", res.memoryLimit()));
        }
        return out;
    }

    static String documents(Object... docs) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < docs.length; i++) {
            if (i > 0) {
                out.append("---\n");
            }
            try {
                out.append(YAML.writeValueAsString(docs[i]));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return out.toString();
    }
}
