package dev.kilonode;

import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.kilonode.testing.Stacks.at;
import static org.assertj.core.api.Assertions.assertThat;

/** The resource graph of the committed stacks under the SDK's mock engine. */
class StackGraphTest {

    static final String INSTANCE = "aws:ec2/instance:Instance";

    @Test
    void scaleStackHasTheFieldReportsShape() {
        Stacks.Plan plan = Stacks.plan("scale");
        List<PlannedResource> instances = plan.ofType(INSTANCE);
        assertThat(instances).extracting(r -> r.tags().get("kilonode:role")).containsExactlyInAnyOrder("tf-controller", "master");
        assertThat(instances).allSatisfy(i -> {
            assertThat(i.inputs().get("instanceType")).isEqualTo("m3.xlarge");
            assertThat(Stacks.<String>at(i.inputs(), "metadataOptions", "httpTokens")).isEqualTo("required");
            assertThat(Stacks.<Boolean>at(i.inputs(), "rootBlockDevice", "encrypted")).isTrue();
        });
        PlannedResource master = plan.one(INSTANCE, r -> "master".equals(r.tags().get("kilonode:role")));
        assertThat(master.inputs().get("privateIp")).isEqualTo("10.0.0.20");
        assertThat(Stacks.<List<?>>at(master.inputs(), "ephemeralBlockDevices")).hasSize(2);
        assertThat(master.parent()).isEqualTo("kilonode-master");

        PlannedResource asg = plan.one("aws:autoscaling/group:Group", r -> true);
        assertThat(asg.inputs()).containsEntry("desiredCapacity", 250).containsEntry("maxSize", 1000);
        PlannedResource lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", r -> true);
        assertThat(lt.inputs().get("instanceType")).isEqualTo("m3.medium");

        assertThat(plan.ofType("aws:lb/loadBalancer:LoadBalancer")).hasSize(2);
        assertThat(plan.ofType("aws:lb/listener:Listener")).allSatisfy(l ->
                assertThat((Integer) l.inputs().get("tcpIdleTimeoutSeconds")).isGreaterThanOrEqualTo(600));
        assertThat(plan.ofType("aws:s3/bucketVersioningV2:BucketVersioningV2")).singleElement().satisfies(v ->
                assertThat(Stacks.<String>at(v.inputs(), "versioningConfiguration", "status")).isEqualTo("Enabled"));
    }

    @Test
    void componentsParentTheirChildren() {
        Stacks.Plan plan = Stacks.plan("dev");
        Map<String, String> parents = plan.resources().stream()
                .filter(r -> r.parent() != null)
                .collect(Collectors.toMap(r -> r.type() + "::" + r.name(), PlannedResource::parent, (a, b) -> a));
        assertThat(parents).containsEntry("aws:ec2/vpc:Vpc::kilonode-vpc", "kilonode")
                .containsEntry("kilonode:network:Network::kilonode", "kilonode-dev")
                .containsEntry("aws:autoscaling/group:Group::kilonode-worker", "kilonode-worker")
                .containsEntry("aws:ec2/instance:Instance::kilonode-tf-controller-0", "kilonode-tf-controller");
        // Every AWS resource sits under a component (and so inherits the explicit provider).
        assertThat(plan.resources()).filteredOn(r -> r.type().startsWith("aws:"))
                .allSatisfy(r -> assertThat(r.parent()).isNotEqualTo("kilonode-dev"));
    }

    @Test
    void secretsLiveInSsmAsSecureStringsAndCertificatesAsStrings() {
        Stacks.Plan plan = Stacks.plan("dev");
        List<PlannedResource> params = plan.ofType("aws:ssm/parameter:Parameter");
        assertThat(params).extracting(p -> p.inputs().get("name")).contains("/kilonode/dev/bootstrap-token",
                "/kilonode/dev/pki/ca.key", "/kilonode/dev/pki/ca.crt", "/kilonode/dev/pki/sa.key");
        assertThat(params).allSatisfy(p -> {
            String name = (String) p.inputs().get("name");
            boolean secret = name.endsWith(".key") || name.endsWith("bootstrap-token");
            assertThat(p.inputs().get("type")).as(name).isEqualTo(secret ? "SecureString" : "String");
        });
    }

    @Test
    void everyTaggableResourceCarriesTheCostTags() {
        Stacks.Plan plan = Stacks.plan("dev");
        List<PlannedResource> tagged = plan.resources().stream().filter(r -> r.inputs().containsKey("tags")).toList();
        assertThat(tagged).hasSizeGreaterThan(40);
        for (PlannedResource r : tagged) {
            Object tags = r.inputs().get("tags");
            if (tags instanceof List<?> list) { // Auto Scaling groups
                List<Object> keys = list.stream().map(t -> (Object) ((Map<?, ?>) t).get("key")).toList();
                assertThat(keys).as(r.name()).contains("Environment", "Owner", "CostCenter");
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) tags;
                assertThat(map).as(r.name()).containsKeys("Environment", "Owner", "CostCenter");
            }
        }
    }

    @Test
    void productionProtectsTheControlPlaneAndDevDoesNot() {
        var config = Stacks.config("dev");
        config.remove("kilonode:expiresOn");
        config.put("kilonode:production", "true");
        Stacks.Plan prod = Stacks.plan("dev", config);
        assertThat(prod.ofType(INSTANCE)).allSatisfy(i -> assertThat(i.protect()).isTrue());
        assertThat(prod.ofType("aws:s3/bucketV2:BucketV2")).allSatisfy(b -> {
            assertThat(b.protect()).isTrue();
            assertThat(b.inputs().get("forceDestroy")).isEqualTo(false);
        });
        assertThat(prod.ofType("aws:ec2/natGateway:NatGateway")).hasSize(2);
        Stacks.Plan dev = Stacks.plan("dev");
        assertThat(dev.ofType(INSTANCE)).noneMatch(PlannedResource::protect);
        assertThat(dev.ofType("aws:ec2/natGateway:NatGateway")).hasSize(1);
    }

    /** Masters read their desired control-plane configuration from SSM, and it follows the worker count. */
    @Test
    void controlPlaneConfigurationInSsmFollowsTheWorkerCount() {
        var small = Stacks.config("scale");
        small.put("kilonode:workerCount", "3");
        Stacks.Plan three = Stacks.plan("scale", small);
        Stacks.Plan thousand = Stacks.plan("scale");
        String param = "kilonode-master-0-kubeadm";
        String ssm = "aws:ssm/parameter:Parameter";
        assertThat(three.named(ssm, param).inputs()).containsEntry("name", "/kilonode/scale/control-plane/master-0/kubeadm");
        assertThat((String) three.named(ssm, param).inputs().get("value")).contains("value: \"400\"");
        assertThat((String) thousand.named(ssm, param).inputs().get("value")).contains("value: \"2000\"")
                .contains("etcd-servers-overrides");
        assertThat(three.named(ssm, "kilonode-master-0-etcd-events").inputs()).containsEntry("value", "none");
        assertThat((String) thousand.named(ssm, "kilonode-master-0-etcd-events").inputs().get("value")).contains("name: etcd-events");
        // The master may read them.
        String policy = (String) thousand.one("aws:iam/rolePolicy:RolePolicy", r -> r.name().equals("kilonode-master"))
                .inputs().get("policy");
        assertThat(policy).contains("parameter/kilonode/scale/control-plane/master-0/kubeadm");
        // Same resource count either way.
        assertThat(three.resources()).hasSameSizeAs(thousand.resources());
    }

    /** Under `pulumi up` the program itself validates: one message naming the keys, and no resource registered. */
    @Test
    void invalidConfigFailsTheProgramBeforeAnyResource() {
        var config = Stacks.config("dev");
        config.put("kilonode:masterCount", "2");
        config.put("kilonode:vpcCidr", "10.0.0.0/33");
        var result = dev.kilonode.plan.PlanEngine.run("dev", "us-east-1", config, java.util.Set.of(), KilonodeStack::define);
        assertThat(result.errors()).anySatisfy(e -> assertThat(e)
                .contains("kilonode:masterCount = \"2\"").contains("kilonode:vpcCidr = \"10.0.0.0/33\"")
                .doesNotContain("at dev.kilonode"));
        assertThat(result.resources()).allSatisfy(r -> assertThat(r.type()).isEqualTo("pulumi:pulumi:Stack"));
    }

    @Test
    void threeMastersAndThreeControllersFormClusters() {
        var config = Stacks.config("scale");
        config.put("kilonode:masterCount", "3");
        config.put("kilonode:controllerCount", "3");
        Stacks.Plan plan = Stacks.plan("scale", config);
        assertThat(plan.ofType(INSTANCE)).hasSize(6);
        assertThat(plan.ofType(INSTANCE).stream().filter(i -> "master".equals(i.tags().get("kilonode:role")))
                .map(i -> i.inputs().get("privateIp"))).containsExactlyInAnyOrder("10.0.0.20", "10.0.32.21", "10.0.64.22");
        assertThat(plan.ofType("aws:lb/targetGroupAttachment:TargetGroupAttachment")).hasSizeGreaterThanOrEqualTo(3);
    }
}
