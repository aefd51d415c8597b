package dev.kilonode.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kilonode:nodeImage in the plan: with baked, the Image Builder resources exist and masters and worker launch templates
 * boot the image's AMI (TF controllers stay on amiId); with stock, none exist and everything boots amiId.
 */
class BakedNodeImagePlanTest {

    static final List<String> IMAGE_BUILDER = List.of("aws:imagebuilder/component:Component",
            "aws:imagebuilder/imageRecipe:ImageRecipe", "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration",
            "aws:imagebuilder/distributionConfiguration:DistributionConfiguration", "aws:imagebuilder/image:Image");
    static final String LT = "aws:ec2/launchTemplate:LaunchTemplate";
    static final String INSTANCE = "aws:ec2/instance:Instance";

    @TempDir Path project;

    static Map<String, String> baked() {
        Map<String, String> config = Stacks.config("scale");
        config.put("kilonode:nodeImage", "baked");
        return config;
    }

    static String ami(PlannedResource r) {
        return (String) r.inputs().get(r.type().equals(LT) ? "imageId" : "ami");
    }

    @Test
    void stockBuildsNothingAndBootsAmiId() {
        Map<String, String> config = Stacks.config("scale");
        ClusterSpec spec = Stacks.spec("scale", config);
        assertThat(spec.nodeImage()).isEqualTo(ClusterSpec.NodeImage.STOCK);
        Stacks.Plan plan = Stacks.plan("scale", config);
        assertThat(plan.resources()).noneMatch(r -> r.type().startsWith("aws:imagebuilder/"));
        assertThat(plan.ofType(LT)).isNotEmpty().allSatisfy(lt -> assertThat(ami(lt)).isEqualTo(spec.amiId()));
        assertThat(plan.ofType(INSTANCE)).isNotEmpty().allSatisfy(i -> assertThat(ami(i)).isEqualTo(spec.amiId()));
    }

    @Test
    void bakedBuildsTheImageAndNodesBootItsAmi() throws Exception {
        Map<String, String> config = baked();
        ClusterSpec spec = Stacks.spec("scale", config);
        BakeFixtures.writeLock(project, spec, "a");
        Stacks.Plan plan = Stacks.plan("scale", config, project);

        for (String type : IMAGE_BUILDER) {
            assertThat(plan.ofType(type)).as(type).hasSize(1);
        }
        PlannedResource recipe = plan.ofType(IMAGE_BUILDER.get(1)).get(0);
        assertThat(recipe.inputs()).containsEntry("parentImage", spec.amiId());
        String data = (String) plan.ofType(IMAGE_BUILDER.get(0)).get(0).inputs().get("data");
        assertThat(AwstoeSchema.problems(data)).isEmpty();

        // Workers' templates and masters boot the image's AMI; controllers keep amiId.
        List<PlannedResource> templates = plan.ofType(LT);
        List<PlannedResource> masters = plan.ofType(INSTANCE).stream().filter(i -> "master".equals(i.tags().get("kilonode:role"))).toList();
        List<PlannedResource> controllers = plan.ofType(INSTANCE).stream()
                .filter(i -> "tf-controller".equals(i.tags().get("kilonode:role"))).toList();
        assertThat(templates).isNotEmpty();
        assertThat(masters).isNotEmpty();
        assertThat(controllers).isNotEmpty().allSatisfy(c -> assertThat(ami(c)).isEqualTo(spec.amiId()));
        Set<String> nodeAmis = java.util.stream.Stream.concat(templates.stream(), masters.stream()).map(BakedNodeImagePlanTest::ami)
                .collect(Collectors.toSet());
        assertThat(nodeAmis).hasSize(1);
        String bakedAmi = nodeAmis.iterator().next();
        assertThat(bakedAmi).matches("ami-[0-9a-f]{17}").isNotEqualTo(spec.amiId());

        // The build instance: a private subnet, its own egress-only group, its own profile, IMDSv2.
        PlannedResource infra = plan.ofType(IMAGE_BUILDER.get(2)).get(0);
        Set<String> privateSubnets = plan.ofType("aws:ec2/subnet:Subnet").stream()
                .filter(s -> !Boolean.TRUE.equals(s.inputs().get("mapPublicIpOnLaunch"))).map(PlannedResource::id)
                .collect(Collectors.toSet());
        assertThat(privateSubnets).contains((String) infra.inputs().get("subnetId"));
        assertThat(Stacks.<String>at(infra.inputs(), "instanceMetadataOptions", "httpTokens")).isEqualTo("required");
        List<?> groups = (List<?>) infra.inputs().get("securityGroupIds");
        assertThat(groups).hasSize(1);
        assertThat(plan.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"))
                .noneMatch(r -> groups.get(0).equals(r.inputs().get("securityGroupId")));
        assertThat(plan.ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").stream()
                .filter(r -> groups.get(0).equals(r.inputs().get("securityGroupId")))
                .map(r -> r.inputs().get("ipProtocol") + "/" + r.inputs().get("fromPort") + "-" + r.inputs().get("toPort")))
                .containsExactlyInAnyOrder("tcp/80-80", "tcp/443-443");
        assertThat((String) infra.inputs().get("instanceProfileName")).isNotBlank();

        // A new digest in the lock is a new document, a new version and a new AMI.
        BakeFixtures.writeLock(project, spec, "b");
        Stacks.Plan rebuilt = Stacks.plan("scale", config, project);
        PlannedResource recipe2 = rebuilt.ofType(IMAGE_BUILDER.get(1)).get(0);
        assertThat(recipe2.inputs().get("version")).isNotEqualTo(recipe.inputs().get("version"));
        assertThat(rebuilt.ofType(LT)).allSatisfy(lt -> assertThat(ami(lt)).isNotEqualTo(bakedAmi).matches("ami-[0-9a-f]{17}"));
    }

    /**
     * Baked without a synced lock: the lock the program reads (the same one for every rendered reference and for the
     * bake) does not cover the images, so only the images phase is registered - no bake, no cluster - and the
     * program says how to go on. There is no second lock a bake could read.
     */
    @Test
    void bakedWithoutASyncedLockRegistersOnlyTheImagesPhase() throws Exception {
        Map<String, String> config = baked();
        Stacks.Plan plan = Stacks.plan("scale", config, project);
        assertThat(plan.resources()).noneMatch(r -> r.type().startsWith("aws:imagebuilder/"))
                .noneMatch(r -> r.type().equals("aws:ec2/launchTemplate:LaunchTemplate"))
                .anyMatch(r -> r.type().equals("aws:ecr/repository:Repository"));
        var bringUp = dev.kilonode.images.BringUp.decide(Stacks.spec("scale", config), project);
        assertThat(bringUp.complete()).isFalse();
        assertThat(bringUp.nextSteps("scale")).contains("images sync --stack scale");
    }
}
