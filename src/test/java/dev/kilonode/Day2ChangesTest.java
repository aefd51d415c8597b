package dev.kilonode;

import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.kilonode.testing.Stacks.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 13, findings 4-11: what a routine change to a running stack does, read from the resource inputs the engine
 * would receive (the provider decides update/replace per input, so "same inputs" means "no change").
 */
class Day2ChangesTest {

    static final String ASG = "aws:autoscaling/group:Group";
    static final String LT = "aws:ec2/launchTemplate:LaunchTemplate";
    static final String K8S_PROVIDER = "pulumi:providers:kubernetes";

    /** Finding 7: editing owner, cost center or expiry changes no launch template, so no worker is rolled. */
    @Test
    void costTagEditsDoNotTouchTheLaunchTemplate() {
        Map<String, String> edited = Stacks.config("dev");
        edited.put("kilonode:owner", "another-team");
        edited.put("kilonode:costCenter", "cc-2000");
        edited.put("kilonode:expiresOn", "2027-01-31");
        Stacks.Plan before = Stacks.plan("dev");
        Stacks.Plan after = Stacks.plan("dev", edited);
        PlannedResource ltBefore = before.one(LT, r -> true);
        PlannedResource ltAfter = after.one(LT, r -> true);
        // Tag specifications, user data, everything that makes a new template version: identical.
        Map<String, Object> versioned = new java.util.TreeMap<>(ltBefore.inputs());
        versioned.remove("tags"); // the template resource's own tags: an in-place tag update, no new version
        Map<String, Object> versionedAfter = new java.util.TreeMap<>(ltAfter.inputs());
        versionedAfter.remove("tags");
        assertThat(versionedAfter).isEqualTo(versioned);
        // The new values reach new instances through the group, propagated at launch.
        List<Map<String, Object>> tags = at(after.one(ASG, r -> true).inputs(), "tags");
        assertThat(tags).contains(Map.of("key", "Owner", "value", "another-team", "propagateAtLaunch", true),
                Map.of("key", "CostCenter", "value", "cc-2000", "propagateAtLaunch", true),
                Map.of("key", "kilonode:expires-on", "value", "2027-01-31", "propagateAtLaunch", true));
    }

    /** Findings 8 and 11: the termination hook is its own resource; dev groups force-delete, production does not. */
    @Test
    void theDrainHookIsItsOwnResourceAndReleasesItselfOnTimeout() {
        Stacks.Plan dev = Stacks.plan("dev");
        PlannedResource asg = dev.one(ASG, r -> true);
        assertThat(asg.inputs()).doesNotContainKey("initialLifecycleHooks").containsEntry("forceDelete", true);
        PlannedResource hook = dev.one("aws:autoscaling/lifecycleHook:LifecycleHook", r -> true);
        assertThat(hook.inputs()).containsEntry("autoscalingGroupName", asg.inputs().get("name"))
                .containsEntry("lifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING")
                // A broken drainer does not hold instances (or a destroy) for more than the heartbeat timeout.
                .containsEntry("defaultResult", "CONTINUE");
        assertThat((Integer) hook.inputs().get("heartbeatTimeout")).isBetween(30, 3600);

        var prod = Stacks.config("dev");
        prod.remove("kilonode:expiresOn");
        prod.put("kilonode:production", "true");
        assertThat(Stacks.plan("dev", prod).one(ASG, r -> true).inputs()).containsEntry("forceDelete", false);
    }

    /** Finding 9: parking changes the worker groups and nothing of the control plane. */
    @Test
    void parkingKeepsTheControlPlaneInputs() {
        Map<String, String> parked = Stacks.config("scale");
        parked.put("kilonode:parked", "true");
        Stacks.Plan running = Stacks.plan("scale");
        Stacks.Plan asParked = Stacks.plan("scale", parked);
        for (PlannedResource r : running.resources()) {
            if (r.type().equals(ASG) || r.type().startsWith("pulumi:")) {
                continue;
            }
            PlannedResource p = asParked.named(r.type(), r.name());
            assertThat(p.inputs()).as(r.type() + " " + r.name()).isEqualTo(r.inputs());
        }
        assertThat(asParked.one(ASG, r -> true).inputs()).containsEntry("maxSize", 0);
    }

    /** Finding 4: a load balancer opened for the TF web UI alone is not the API endpoint. */
    @Test
    void webUiWithoutApiCidrsKeepsTheApiInternal() {
        Map<String, String> config = Stacks.config("dev");
        config.remove("kilonode:apiAllowedCidrs");
        Stacks.Plan plan = Stacks.plan("dev", config);
        assertThat(plan.ofType("aws:lb/loadBalancer:LoadBalancer")).hasSize(2);
        assertThat(plan.ofType("aws:lb/listener:Listener")).extracting(l -> l.inputs().get("port"))
                .containsExactlyInAnyOrder(6443, 8143);
        PlannedResource internal = plan.one("aws:lb/loadBalancer:LoadBalancer", r -> Boolean.TRUE.equals(r.inputs().get("internal")));
        PlannedResource pub = plan.one("aws:lb/loadBalancer:LoadBalancer", r -> Boolean.FALSE.equals(r.inputs().get("internal")));
        String kubeadm = (String) plan.named("aws:ssm/parameter:Parameter", "kilonode-master-0-kubeadm").inputs().get("value");
        // kube-manager and the provider follow the same URL: the API's name, answered by the VPC's private zone
        // (alias to the internal load balancer); no public record, and no load balancer name in the certificate.
        Map<String, Object> kubeManager = plan.named("kubernetes:core/v1:ConfigMap", "contrail-kube-manager-config").inputs();
        assertThat((String) at(kubeManager, "data", "KUBERNETES_API_SERVER")).isEqualTo("api.dev.k8s.example.com");
        assertThat(plan.ofType("aws:route53/record:Record")).extracting(PlannedResource::name).containsExactly("kilonode-api-name-private");
        assertThat(at(plan.named("aws:route53/record:Record", "kilonode-api-name-private").inputs(), "aliases", "0", "name").toString())
                .startsWith("internal-" + internal.name().substring(0, Math.min(20, internal.name().length())));
        assertThat(kubeadm).doesNotContain(pub.name().substring(0, Math.min(20, pub.name().length())) + "-");
    }

    /** Finding 6 and 10: the provider of a non-production stack lets destroy proceed without a cluster. */
    @Test
    void kubernetesProviderUpdatesConfigMapsInPlaceAndDevDestroysWithoutACluster() {
        PlannedResource dev = Stacks.plan("dev").one(K8S_PROVIDER, r -> true);
        assertThat(dev.inputs()).containsEntry("deleteUnreachable", "true").containsEntry("enableConfigMapMutable", "true");
        var prod = Stacks.config("dev");
        prod.remove("kilonode:expiresOn");
        prod.put("kilonode:production", "true");
        PlannedResource production = Stacks.plan("dev", prod).one(K8S_PROVIDER, r -> true);
        assertThat(production.inputs()).doesNotContainKey("deleteUnreachable").containsEntry("enableConfigMapMutable", "true");
    }

    /** Finding 10: a change to the env ConfigMap rolls the DaemonSets that read it (their template changes). */
    @Test
    void daemonSetsCarryTheChecksumOfTheirConfigMaps() {
        Stacks.Plan before = Stacks.plan("dev");
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:podCidr", "10.64.0.0/12");
        Stacks.Plan after = Stacks.plan("dev", config);
        for (String ds : List.of("contrail-agent", "contrail-kube-manager")) {
            String a = at(before.named("kubernetes:apps/v1:DaemonSet", ds).inputs(), "spec", "template", "metadata",
                    "annotations", "kilonode.dev/config-checksum");
            String b = at(after.named("kubernetes:apps/v1:DaemonSet", ds).inputs(), "spec", "template", "metadata",
                    "annotations", "kilonode.dev/config-checksum");
            assertThat(a).as(ds).hasSize(64);
            assertThat(b).as(ds).isNotEqualTo(a);
        }
        // Same config, same checksum (deterministic).
        assertThat(Stacks.plan("dev").named("kubernetes:apps/v1:DaemonSet", "contrail-agent").inputs())
                .isEqualTo(before.named("kubernetes:apps/v1:DaemonSet", "contrail-agent").inputs());
    }

    /** Finding 2: control-plane machines ignore what would stop or replace them, except the one being rolled. */
    @Test
    void controlPlaneMachinesIgnoreStopAndReplaceChangesUnlessRolled() {
        Map<String, String> three = Stacks.config("scale");
        three.put("kilonode:masterCount", "3");
        Stacks.Plan plan = Stacks.plan("scale", three);
        List<PlannedResource> machines = plan.ofType("aws:ec2/instance:Instance");
        assertThat(machines).hasSize(4);
        for (PlannedResource m : machines) {
            assertThat(m.ignoreChanges()).as(m.name()).contains("ami", "instanceType", "keyName", "subnetId",
                    "privateIp", "ephemeralBlockDevices", "userDataBase64");
            assertThat(m.deleteBeforeReplace()).isTrue();
            assertThat(m.options()).containsEntry("provider", "aws");
        }
        three.put("kilonode:rollMachines", "kilonode-master-1");
        Stacks.Plan rolling = Stacks.plan("scale", three);
        assertThat(rolling.named("aws:ec2/instance:Instance", "kilonode-master-1").ignoreChanges()).isEmpty();
        assertThat(rolling.named("aws:ec2/instance:Instance", "kilonode-master-0").ignoreChanges()).contains("instanceType");
        assertThat(rolling.named("aws:ec2/instance:Instance", "kilonode-master-2").ignoreChanges()).contains("instanceType");

        three.put("kilonode:rollMachines", "kilonode-master-3");
        assertThatThrownBy(() -> Stacks.spec("scale", three)).hasMessageContaining("kilonode:rollMachines")
                .hasMessageContaining("kilonode-master-2");
    }

    /** Finding 5: the readiness gate waits only for a new or replaced control plane, as long as configured. */
    @Test
    void readinessGateWaitsOnlyWhenTheMastersChanged() throws Exception {
        java.util.concurrent.atomic.AtomicInteger waits = new java.util.concurrent.atomic.AtomicInteger();
        dev.kilonode.kubernetes.ReadinessGate counting = (url, ca) -> {
            waits.incrementAndGet();
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        };
        String ids = dev.kilonode.kubernetes.ControlPlaneChange.key(List.of("i-0b", "i-0a"));
        assertThat(ids).isEqualTo("i-0a,i-0b");
        for (String previous : java.util.Arrays.asList(null, "", "i-0a", "i-0a,i-0c", "i-0a,i-0b")) {
            boolean changed = dev.kilonode.kubernetes.ControlPlaneChange.changed(previous, ids);
            dev.kilonode.kubernetes.ControlPlaneChange.onlyIf(java.util.concurrent.CompletableFuture.completedFuture(changed),
                    counting).await("https://api:6443", "ca").get(5, java.util.concurrent.TimeUnit.SECONDS);
        }
        // first up, first up since the output exists, a master added, a master replaced: wait; unchanged: no wait
        assertThat(waits.get()).isEqualTo(4);

        Map<String, String> config = Stacks.config("dev");
        assertThat(Stacks.spec("dev", config).apiReadyTimeoutMinutes()).isEqualTo(20);
        config.put("kilonode:apiReadyTimeoutMinutes", "45");
        assertThat(Stacks.spec("dev", config).apiReadyTimeoutMinutes()).isEqualTo(45);
        config.put("kilonode:apiReadyTimeoutMinutes", "0");
        assertThatThrownBy(() -> Stacks.spec("dev", config)).hasMessageContaining("kilonode:apiReadyTimeoutMinutes");
    }
}
