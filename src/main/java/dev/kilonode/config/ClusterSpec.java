package dev.kilonode.config;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole cluster, typed and validated. Built only by {@link ClusterSpecReader}; everything downstream
 * (tuning, components, outputs) reads this and never the raw stack config.
 */
public record ClusterSpec(
        String project,
        String stack,
        String region,
        List<String> availabilityZones,
        NetworkSpec network,
        String amiId,
        Optional<String> sshKeyName,
        RoleSpec controllers,
        RoleSpec masters,
        List<WorkerGroupSpec> workerGroups,
        boolean parked,
        String kubernetesVersion,
        TungstenFabricSpec tungstenFabric,
        EtcdSpec etcd,
        int podsPerWorker,
        CostTags costTags,
        boolean production,
        Optional<LocalDate> expiresOn,
        ExpiryAction expiryAction,
        PkiSpec pki,
        java.util.Set<String> rollMachines,
        int apiReadyTimeoutMinutes,
        NodeImage nodeImage,
        dev.kilonode.images.ImageRefs images,
        ApiNameSpec apiName) {

    /**
     * Control-plane machines (e.g. {@code kilonode-master-0}) being replaced right now by {@code kilonode roll}: only
     * these take changes that stop or replace a machine; every other one ignores them.
     */
    public ClusterSpec {
        rollMachines = rollMachines == null ? java.util.Set.of() : java.util.Set.copyOf(rollMachines);
    }

    public enum ExpiryAction { DESTROY, PARK }

    /**
     * What masters and workers boot from: the stock Ubuntu AMI ({@code amiId}, everything installed at boot) or the
     * AMI the stack bakes from it with EC2 Image Builder ({@code bake.BakedNodeImage}).
     */
    public enum NodeImage { STOCK, BAKED }

    /**
     * The same cluster whose nodes pull these images. {@link ClusterSpecReader} sets {@code ImageRefs.upstream}; the
     * stack program replaces it with the image lock's references before it registers any node
     * ({@code images.BringUp}).
     */
    public ClusterSpec withImages(dev.kilonode.images.ImageRefs refs) {
        return new ClusterSpec(project, stack, region, availabilityZones, network, amiId, sshKeyName, controllers, masters,
                workerGroups, parked, kubernetesVersion, tungstenFabric, etcd, podsPerWorker, costTags, production,
                expiresOn, expiryAction, pki, rollMachines, apiReadyTimeoutMinutes, nodeImage, refs, apiName);
    }

    /** Workers the groups actually run: zero for every group while the cluster is parked. */
    public int workerCount() {
        return parked ? 0 : workerGroups.stream().mapToInt(WorkerGroupSpec::count).sum();
    }

    /** Workers configured, parked or not: what the control plane is sized for, so parking never shrinks it. */
    public int plannedWorkerCount() {
        return workerGroups.stream().mapToInt(WorkerGroupSpec::count).sum();
    }

    public int desiredCount(WorkerGroupSpec group) {
        return parked ? 0 : group.count();
    }

    /** "1.31.4" -> "1.31". */
    public String kubernetesMinor() {
        String[] parts = kubernetesVersion.split("\\.");
        return parts[0] + "." + parts[1];
    }

    public int kubernetesMinorNumber() {
        return Integer.parseInt(kubernetesVersion.split("\\.")[1]);
    }

    /**
     * The one rule for the names of AWS resources that must be unique per account and region (or partition):
     * {@code <project>-<stack>} - Auto Scaling groups, launch-template name prefixes, the ECR repository prefix
     * ({@code images.ImageCatalog#prefix}), the etcd bucket's prefix, the stale-snapshot alarm. For project
     * {@code kilonode} this is {@code kilonode-<stack>}, the names every stack had before projects were part of it, so
     * existing stacks keep every name. The same string Pulumi gives the root stack resource.
     */
    public String namePrefix() {
        return project + "-" + stack;
    }

    /** {@code /<project>/<stack>}: every SSM parameter of the stack lives under it (PKI, control-plane config, scripts). */
    public String ssmPrefix() {
        return "/" + project + "/" + stack;
    }

    public boolean eventsEtcdEnabled() {
        return etcd.eventsEtcdEnabled(plannedWorkerCount());
    }

    /** Fixed private address of TF controller i: zone i mod zones, host 10+i of that zone's private subnet. */
    public String controllerIp(int index) {
        return network.privateSubnet(index % availabilityZones.size()).host(10 + index);
    }

    /** Fixed private address of master i: zone i mod zones, host 20+i. Fixed so etcd peers and TF config are known up front. */
    public String masterIp(int index) {
        return network.privateSubnet(index % availabilityZones.size()).host(20 + index);
    }

    public List<String> controllerIps() {
        return java.util.stream.IntStream.range(0, controllers.count()).mapToObj(this::controllerIp).toList();
    }

    public List<String> masterIps() {
        return java.util.stream.IntStream.range(0, masters.count()).mapToObj(this::masterIp).toList();
    }

    /** Tags for a resource of the given role: the cost tags plus kilonode's own. */
    public Map<String, String> tagsFor(String role) {
        Map<String, String> tags = new java.util.LinkedHashMap<>(costTags.asMap());
        tags.put("kilonode:stack", stack);
        if (role != null) {
            tags.put("kilonode:role", role);
        }
        expiresOn.ifPresent(d -> tags.put("kilonode:expires-on", d.toString()));
        return tags;
    }
}
