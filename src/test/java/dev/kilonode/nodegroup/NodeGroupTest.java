package dev.kilonode.nodegroup;

import dev.kilonode.cloudinit.UserData;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class NodeGroupTest {

    static final String ASG = "aws:autoscaling/group:Group";
    static final String LT = "aws:ec2/launchTemplate:LaunchTemplate";

    static Stacks.Plan withWorkers(int n) {
        var config = Stacks.config("scale");
        config.put("kilonode:workerCount", String.valueOf(n));
        if (n >= 2_000) {
            // The control plane of 2,000+ workers does not fit an m3.xlarge master (tuning/ControlPlaneBudget).
            config.put("kilonode:masterInstanceType", "m3.2xlarge");
        }
        return Stacks.plan("scale", config);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 1000, 5000})
    void groupIsSizedFromConfigAndLivesWithThousandsOfInstances(int workers) {
        Stacks.Plan plan = withWorkers(workers);
        PlannedResource asg = plan.one(ASG, r -> true);
        // Paced scale-out: the group starts at the first step of the ramp and grows to maxSize (minSize 0 lets desired
        // start below the target). 1 master: 25 % of --max-mutating-requests-inflight 1,000 (tier 2) / 1,500 (tier 3).
        int firstStep = switch (workers) {
            case 1000 -> 250;
            case 5000 -> 375;
            default -> workers;
        };
        assertThat(asg.inputs()).containsEntry("desiredCapacity", firstStep)
                .containsEntry("minSize", 0)
                .containsEntry("maxSize", workers).containsEntry("name", "kilonode-scale-worker")
                // pulumi up must not hang waiting for 1,000 instances
                .containsEntry("waitForCapacityTimeout", "0")
                .containsEntry("healthCheckType", "EC2");
        assertThat(Stacks.<List<String>>at(asg.inputs(), "vpcZoneIdentifiers")).hasSize(3);
        assertThat(Stacks.<String>at(asg.inputs(), "instanceRefresh", "strategy")).isEqualTo("Rolling");
        assertThat(Stacks.<Integer>at(asg.inputs(), "instanceRefresh", "preferences", "minHealthyPercentage")).isEqualTo(90);
        assertThat(plan.one("aws:autoscaling/lifecycleHook:LifecycleHook", r -> true).inputs())
                .containsEntry("lifecycleTransition", "autoscaling:EC2_INSTANCE_TERMINATING");

        PlannedResource lt = plan.one(LT, r -> true);
        assertThat(Stacks.<String>at(lt.inputs(), "metadataOptions", "httpTokens")).isEqualTo("required");
        assertThat(Stacks.<Integer>at(lt.inputs(), "metadataOptions", "httpPutResponseHopLimit")).isEqualTo(1);
        assertThat(Stacks.<String>at(lt.inputs(), "blockDeviceMappings", "0", "ebs", "encrypted")).isEqualTo("true");
        assertThat(lt.inputs().get("imageId")).isEqualTo("ami-0a0e5d9c7acc336f1");
        assertThat(lt.inputs().get("instanceType")).isEqualTo("m3.medium");
    }

    @Test
    void resourceCountDoesNotGrowWithWorkers() {
        Map<String, Long> three = countByType(withWorkers(3));
        Map<String, Long> many = countByType(withWorkers(5000));
        assertThat(many).isEqualTo(three);
    }

    private static Map<String, Long> countByType(Stacks.Plan plan) {
        return plan.resources().stream().collect(Collectors.groupingBy(PlannedResource::type, TreeMap::new, Collectors.counting()));
    }

    @Test
    void workersJoinByThemselvesWithPinnedCaAndTheirKubeletSizes() {
        PlannedResource lt = withWorkers(1000).one(LT, r -> true);
        String cloudConfig = UserData.decode((String) lt.inputs().get("userData"));
        assertThat(cloudConfig).startsWith("#cloud-config")
                .contains("/opt/kilonode/join-cluster.sh")
                .contains("token: __BOOTSTRAP_TOKEN__")
                .contains("caCertHashes:")
                .contains("- sha256:")
                .contains("kubeReserved:")
                .contains("maxPods: 20")
                .contains("node-labels")
                .doesNotContain("unsafeSkipCAVerification");
        assertThat(UserData.gzip(cloudConfig).length).isLessThan(UserData.EC2_LIMIT_BYTES);
    }

    @Test
    void extraGroupsGetTheirOwnTemplateRoleAndSizes() {
        var config = Stacks.config("dev");
        config.put("kilonode:workerGroups", "[{\"name\":\"big\",\"count\":2,\"instanceType\":\"m3.2xlarge\",\"labels\":{\"pool\":\"big\"}}]");
        Stacks.Plan plan = Stacks.plan("dev", config);
        assertThat(plan.ofType(ASG)).hasSize(2);
        PlannedResource big = plan.named(LT, "kilonode-big");
        assertThat(big.inputs().get("instanceType")).isEqualTo("m3.2xlarge");
        String userData = UserData.decode((String) big.inputs().get("userData"));
        assertThat(userData).contains("kilonode.dev/node-group=big,pool=big").contains("maxPods: 110");
        assertThat(plan.ofType("aws:iam/instanceProfile:InstanceProfile")).extracting(PlannedResource::name)
                .contains("kilonode-worker", "kilonode-big");
    }

    @Test
    void parkedKeepsTheControlPlaneAndZeroesEveryGroup() {
        var config = Stacks.config("scale");
        config.put("kilonode:parked", "true");
        Stacks.Plan plan = Stacks.plan("scale", config);
        assertThat(plan.ofType(ASG)).allSatisfy(a -> assertThat(a.inputs()).containsEntry("desiredCapacity", 0));
        assertThat(plan.ofType("aws:ec2/instance:Instance")).hasSize(2);
        // Parking does not shrink the control plane's sizing: events etcd and the 8 GiB quota stay.
        String master = UserData.decode((String) plan.one("aws:ec2/instance:Instance",
                r -> "master".equals(r.tags().get("kilonode:role"))).inputs().get("userDataBase64"));
        // (The events etcd starts from its template at the reconcile, which then adds the API server's override.)
        assertThat(master).contains("/etc/kilonode/etcd-events.yaml")
                .contains("\"8589934592\"");
    }
}
