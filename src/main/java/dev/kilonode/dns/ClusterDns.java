package dev.kilonode.dns;

import com.pulumi.kubernetes.apps.v1.Deployment;
import com.pulumi.kubernetes.apps.v1.DeploymentArgs;
import com.pulumi.kubernetes.apps.v1.DeploymentPatch;
import com.pulumi.kubernetes.apps.v1.DeploymentPatchArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentSpecArgs;
import com.pulumi.kubernetes.apps.v1.inputs.DeploymentSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.ConfigMap;
import com.pulumi.kubernetes.core.v1.ConfigMapArgs;
import com.pulumi.kubernetes.core.v1.ServiceAccount;
import com.pulumi.kubernetes.core.v1.ServiceAccountArgs;
import com.pulumi.kubernetes.core.v1.inputs.AffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.AffinityPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.ContainerArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeAffinityArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeAffinityPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorRequirementPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorTermArgs;
import com.pulumi.kubernetes.core.v1.inputs.NodeSelectorTermPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecArgs;
import com.pulumi.kubernetes.core.v1.inputs.PodTemplateSpecPatchArgs;
import com.pulumi.kubernetes.core.v1.inputs.SeccompProfileArgs;
import com.pulumi.kubernetes.core.v1.inputs.SecurityContextArgs;
import com.pulumi.kubernetes.core.v1.inputs.TopologySpreadConstraintPatchArgs;
import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorArgs;
import com.pulumi.kubernetes.meta.v1.inputs.LabelSelectorPatchArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaArgs;
import com.pulumi.kubernetes.meta.v1.inputs.ObjectMetaPatchArgs;
import com.pulumi.kubernetes.rbac.v1.ClusterRole;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleArgs;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleBinding;
import com.pulumi.kubernetes.rbac.v1.ClusterRoleBindingArgs;
import com.pulumi.kubernetes.rbac.v1.Role;
import com.pulumi.kubernetes.rbac.v1.RoleArgs;
import com.pulumi.kubernetes.rbac.v1.RoleBinding;
import com.pulumi.kubernetes.rbac.v1.RoleBindingArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.PolicyRuleArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.RoleRefArgs;
import com.pulumi.kubernetes.rbac.v1.inputs.SubjectArgs;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.Map;

import static dev.kilonode.kubernetes.K8s.CONTROL_PLANE;
import static dev.kilonode.kubernetes.K8s.KUBE_SYSTEM;
import static dev.kilonode.kubernetes.K8s.clusterMeta;
import static dev.kilonode.kubernetes.K8s.labels;
import static dev.kilonode.kubernetes.K8s.meta;
import static dev.kilonode.kubernetes.K8s.notOnControlPlane;
import static dev.kilonode.kubernetes.K8s.resources;
import static dev.kilonode.kubernetes.K8s.tolerate;

/**
 * Cluster DNS that holds at 1,000 nodes (report 002: kube-dns collapsed near 900 nodes; 6 replicas held).
 *
 * <p><b>Scaling: the cluster-proportional autoscaler</b> (kubernetes-sigs/cluster-proportional-autoscaler, the
 * upstream "autoscale the DNS service" add-on) resizes kubeadm's {@code coredns} Deployment from the live node count:
 * {@code replicas = max(min, ceil(nodes / nodesPerReplica))}, never one replica while there is more than one node
 * (linear controller, kubernetes-sigs/cluster-proportional-autoscaler v1.8.9
 * pkg/autoscaler/controller/linearcontroller/linear_controller.go: getExpectedReplicasFromParams and
 * getExpectedReplicasFromParam; with no coresPerReplica the cores term is 1). Its parameters are fixed, not taken from
 * the tuning tier: the node term already scales with the cluster, and a ConfigMap that followed the tier would change
 * on every resize that crosses a tier - for nothing the live count does not already give (16 replicas at 1,003 nodes,
 * 79 at 5,003; report 002's 6 are reached from 321 nodes). Chosen over writing {@code replicas} into a DeploymentPatch because the node
 * count is not a constant of the stack: the workers are Auto Scaling groups that join over minutes, are replaced,
 * and are parked to zero; a fixed number would be wrong all the time the cluster is not exactly at its planned size,
 * and Pulumi would fight anyone (or anything) that corrected it.
 *
 * <p><b>Spreading:</b> a server-side-apply {@code DeploymentPatch} adds to kubeadm's CoreDNS only what it lacks:
 * topology spread over nodes (hard) and zones (soft), and a node affinity keeping CoreDNS off the masters, which run
 * no vRouter and so have no pod network. It does not touch {@code replicas} (the autoscaler owns it through the scale
 * subresource) nor anything kubeadm sets, so the field managers never conflict. {@code kubeadm upgrade} rewrites the
 * Deployment; the next {@code pulumi up} puts the spread back.
 *
 * <p><b>No NodeLocal DNSCache.</b> It works by binding a link-local address (169.254.20.10) on a dummy interface of
 * every node and adding iptables raw-table NOTRACK rules so that pods' DNS packets reach the host's node-cache
 * without conntrack. That assumes pod traffic traverses the host's netfilter path. With Tungsten Fabric it does not:
 * pods' interfaces are attached to the vRouter kernel module, which forwards their packets itself (the host sees
 * them only on vhost0 for fabric traffic, after the vRouter's own flow table), and a link-local destination from a
 * pod is served only if a Contrail link-local service is configured for it. The NOTRACK rules would never see the
 * queries, and the conntrack races NodeLocal DNSCache exists to avoid (kube-proxy DNAT of UDP) do not arise: the
 * vRouter load-balances the kube-dns service IP to CoreDNS pods with its own ECMP flows. So we scale CoreDNS instead.
 */
public final class ClusterDns extends ComponentResource {

    public static final String TYPE = "kilonode:dns:ClusterDns";
    /** Names of the upstream DNS-autoscaler add-on, pointed at kubeadm's CoreDNS Deployment. */
    public static final String AUTOSCALER = "kube-dns-autoscaler";
    public static final String COREDNS = "coredns";
    public static final String AUTOSCALER_IMAGE = "registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9";
    /** Fixed linear parameters (see the class comment): at least 2, one replica per 64 nodes. */
    public static final int MIN_REPLICAS = 2;
    public static final int NODES_PER_REPLICA = 64;
    static final String ZONE = "topology.kubernetes.io/zone";
    static final String HOSTNAME = "kubernetes.io/hostname";

    private final ConfigMap parameters;
    private final Deployment autoscaler;
    private final DeploymentPatch corednsSpread;

    /**
     * @param autoscalerImage what nodes pull for {@link #AUTOSCALER_IMAGE} (the stack's mirror, by digest)
     * @param corednsImage    what nodes pull for kubeadm's CoreDNS (the stack's mirror, by digest)
     */
    public ClusterDns(String name, String autoscalerImage, String corednsImage,
                      ComponentResourceOptions opts) {
        super(TYPE, name, opts);
        var in = CustomResourceOptions.builder().parent(this).build();

        var account = new ServiceAccount(AUTOSCALER, ServiceAccountArgs.builder()
                .metadata(meta(AUTOSCALER, AUTOSCALER)).build(), in);
        // Cluster-wide it only counts nodes.
        var nodesRole = new ClusterRole(AUTOSCALER, ClusterRoleArgs.builder()
                .metadata(clusterMeta(AUTOSCALER, AUTOSCALER))
                .rules(PolicyRuleArgs.builder().apiGroups("").resources("nodes").verbs("list", "watch").build())
                .build(), in);
        var nodesBinding = new ClusterRoleBinding(AUTOSCALER, ClusterRoleBindingArgs.builder()
                .metadata(clusterMeta(AUTOSCALER, AUTOSCALER))
                .roleRef(RoleRefArgs.builder().apiGroup("rbac.authorization.k8s.io").kind("ClusterRole")
                        .name(AUTOSCALER).build())
                .subjects(SubjectArgs.builder().kind("ServiceAccount").name(AUTOSCALER).namespace(KUBE_SYSTEM).build())
                .build(), in);
        // In kube-system it reads its own parameters and scales CoreDNS, nothing else (upstream grants more).
        var scaleRole = new Role(AUTOSCALER, RoleArgs.builder()
                .metadata(meta(AUTOSCALER, AUTOSCALER))
                .rules(PolicyRuleArgs.builder().apiGroups("").resources("configmaps").resourceNames(AUTOSCALER)
                                .verbs("get").build(),
                        PolicyRuleArgs.builder().apiGroups("apps").resources("deployments/scale").resourceNames(COREDNS)
                                .verbs("get", "update").build())
                .build(), in);
        var scaleBinding = new RoleBinding(AUTOSCALER, RoleBindingArgs.builder()
                .metadata(meta(AUTOSCALER, AUTOSCALER))
                .roleRef(RoleRefArgs.builder().apiGroup("rbac.authorization.k8s.io").kind("Role").name(AUTOSCALER).build())
                .subjects(SubjectArgs.builder().kind("ServiceAccount").name(AUTOSCALER).namespace(KUBE_SYSTEM).build())
                .build(), in);
        this.parameters = new ConfigMap(AUTOSCALER, ConfigMapArgs.builder()
                .metadata(meta(AUTOSCALER, AUTOSCALER))
                .data(Map.of("linear", linearParameters()))
                .build(), in);

        this.autoscaler = new Deployment(AUTOSCALER, autoscalerDeployment(autoscalerImage), CustomResourceOptions.builder()
                .parent(this).dependsOn(account, nodesRole, nodesBinding, scaleRole, scaleBinding, parameters).build());
        this.corednsSpread = new DeploymentPatch(COREDNS, corednsPatch(corednsImage), in);
        registerOutputs(Map.of());
    }

    public ConfigMap parameters() {
        return parameters;
    }

    public Deployment autoscaler() {
        return autoscaler;
    }

    public DeploymentPatch corednsSpread() {
        return corednsSpread;
    }

    /**
     * The autoscaler's "linear" mode, written as JSON with a fixed key order. includeUnschedulableNodes keeps the
     * count steady while nodes are cordoned and drained during replacements.
     */
    static String linearParameters() {
        return "{\"min\":" + MIN_REPLICAS
                + ",\"nodesPerReplica\":" + NODES_PER_REPLICA
                + ",\"preventSinglePointFailure\":true"
                + ",\"includeUnschedulableNodes\":true}";
    }

    /**
     * What the autoscaler will set for {@code nodes} nodes: v1.8.9's linear controller with these parameters
     * (max(min, ceil(nodes / nodesPerReplica)), at least 2 above one node, and the cores term 1 without coresPerReplica).
     */
    public static int expectedReplicas(int nodes) {
        int byNodes = (int) Math.ceil(nodes / (double) NODES_PER_REPLICA);
        int replicas = Math.max(MIN_REPLICAS, byNodes);
        if (nodes > 1 && replicas < 2) {
            replicas = 2;
        }
        return Math.max(1, replicas);
    }

    static DeploymentArgs autoscalerDeployment(String image) {
        PodSpecArgs pod = PodSpecArgs.builder()
                .serviceAccountName(AUTOSCALER)
                .priorityClassName("system-cluster-critical")
                .securityContext(PodSecurityContextArgs.builder().runAsNonRoot(true).runAsUser(65534)
                        .seccompProfile(SeccompProfileArgs.builder().type("RuntimeDefault").build()).build())
                .nodeSelector(Map.of("kubernetes.io/os", "linux"))
                // On a worker: the masters have no vRouter, hence no pod network.
                .affinity(AffinityArgs.builder().nodeAffinity(NodeAffinityArgs.builder()
                        .requiredDuringSchedulingIgnoredDuringExecution(NodeSelectorArgs.builder()
                                .nodeSelectorTerms(NodeSelectorTermArgs.builder()
                                        .matchExpressions(notOnControlPlane()).build()).build()).build()).build())
                .tolerations(tolerate("CriticalAddonsOnly", null))
                .containers(ContainerArgs.builder()
                        .name("autoscaler")
                        .image(image)
                        .imagePullPolicy("IfNotPresent")
                        .command("/cluster-proportional-autoscaler",
                                "--namespace=" + KUBE_SYSTEM,
                                "--configmap=" + AUTOSCALER,
                                "--target=deployment/" + COREDNS,
                                "--logtostderr=true",
                                "--v=2")
                        .securityContext(SecurityContextArgs.builder().allowPrivilegeEscalation(false)
                                .readOnlyRootFilesystem(true).build())
                        .resources(resources("20m", "16Mi", "64Mi"))
                        .build())
                .build();
        return DeploymentArgs.builder()
                .metadata(meta(AUTOSCALER, AUTOSCALER))
                .spec(DeploymentSpecArgs.builder()
                        .replicas(1)
                        .selector(LabelSelectorArgs.builder().matchLabels(Map.of("app", AUTOSCALER)).build())
                        .template(PodTemplateSpecArgs.builder()
                                .metadata(ObjectMetaArgs.builder().labels(labels(AUTOSCALER)).build())
                                .spec(pod).build())
                        .build())
                .build();
    }

    /**
     * Only the fields kilonode adds to kubeadm's CoreDNS (selector label {@code k8s-app: kube-dns}), and its image by
     * digest: kubeadm's addon phase writes {@code <imageRepository>/coredns:<tag>} (kubernetes v1.33
     * cmd/kubeadm/app/images/images.go GetDNSImage; container {@code coredns} in
     * cmd/kubeadm/app/phases/addons/dns/manifests.go). kubeadm owns that field (it created the Deployment), so the
     * server-side apply patch is forced ({@code pulumi.com/patchForce}); a later {@code kubeadm upgrade} writes the tag
     * again until the next {@code pulumi up}: the same bytes, since the stack's ECR tags are immutable.
     */
    static DeploymentPatchArgs corednsPatch(String image) {
        LabelSelectorPatchArgs kubeDns = LabelSelectorPatchArgs.builder().matchLabels(Map.of("k8s-app", "kube-dns")).build();
        return DeploymentPatchArgs.builder()
                .metadata(ObjectMetaPatchArgs.builder().name(COREDNS).namespace(KUBE_SYSTEM)
                        .annotations(Map.of("pulumi.com/patchForce", "true")).build())
                .spec(DeploymentSpecPatchArgs.builder()
                        .template(PodTemplateSpecPatchArgs.builder()
                                .spec(PodSpecPatchArgs.builder()
                                        .containers(com.pulumi.kubernetes.core.v1.inputs.ContainerPatchArgs.builder()
                                                .name(COREDNS).image(image).build())
                                        .topologySpreadConstraints(
                                                TopologySpreadConstraintPatchArgs.builder().topologyKey(HOSTNAME)
                                                        .maxSkew(1).whenUnsatisfiable("DoNotSchedule")
                                                        .labelSelector(kubeDns).build(),
                                                TopologySpreadConstraintPatchArgs.builder().topologyKey(ZONE)
                                                        .maxSkew(1).whenUnsatisfiable("ScheduleAnyway")
                                                        .labelSelector(kubeDns).build())
                                        .affinity(AffinityPatchArgs.builder().nodeAffinity(NodeAffinityPatchArgs.builder()
                                                .requiredDuringSchedulingIgnoredDuringExecution(NodeSelectorPatchArgs.builder()
                                                        .nodeSelectorTerms(NodeSelectorTermPatchArgs.builder()
                                                                .matchExpressions(NodeSelectorRequirementPatchArgs.builder()
                                                                        .key(CONTROL_PLANE).operator("DoesNotExist").build())
                                                                .build())
                                                        .build())
                                                .build()).build())
                                        .build())
                                .build())
                        .build())
                .build();
    }
}
