package dev.kilonode.images;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The scale stack's private image supply: one immutable, scanned repository per image, and the VPC endpoints. */
class ImageSupplyPlanTest {

    @Test
    void everyImageHasARepositoryAndPullsStayInTheVpc() {
        Stacks.Plan plan = Stacks.plan("scale");
        List<PinnedImage> images = ImageCatalog.of(Stacks.spec("scale", Stacks.config("scale")));
        // The network release's images, the control plane's, CoreDNS, pause and the DNS autoscaler.
        assertThat(images).extracting(PinnedImage::source)
                .contains("registry.k8s.io/kube-apiserver:v1.33.10", "registry.k8s.io/pause:3.10",
                        "registry.k8s.io/coredns/coredns:v1.12.0", "registry.k8s.io/cpa/cluster-proportional-autoscaler:v1.8.9")
                .anyMatch(s -> s.startsWith("opensdn/") && s.contains("vrouter-agent:"));
        assertThat(images).extracting(PinnedImage::repository)
                .contains("kilonode-scale/kube-apiserver", "kilonode-scale/coredns", "kilonode-scale/pause")
                .anyMatch(r -> r.startsWith("kilonode-scale/") && r.endsWith("vrouter-agent"))
                .doesNotHaveDuplicates();

        List<PlannedResource> repos = plan.ofType("aws:ecr/repository:Repository");
        Set<String> names = repos.stream().map(r -> (String) r.inputs().get("name")).collect(Collectors.toSet());
        assertThat(names).isEqualTo(images.stream().map(PinnedImage::repository).collect(Collectors.toSet()));
        assertThat(repos).allSatisfy(r -> {
            assertThat(r.inputs()).containsEntry("imageTagMutability", "IMMUTABLE");
            assertThat(Stacks.<Boolean>at(r.inputs(), "imageScanningConfiguration", "scanOnPush")).isTrue();
        });

        List<PlannedResource> endpoints = plan.ofType("aws:ec2/vpcEndpoint:VpcEndpoint");
        assertThat(endpoints).extracting(e -> e.inputs().get("serviceName") + " " + e.inputs().get("vpcEndpointType"))
                .containsExactlyInAnyOrder("com.amazonaws.us-east-1.ecr.api Interface",
                        "com.amazonaws.us-east-1.ecr.dkr Interface", "com.amazonaws.us-east-1.s3 Gateway");
        PlannedResource s3 = plan.one("aws:ec2/vpcEndpoint:VpcEndpoint", e -> "Gateway".equals(e.inputs().get("vpcEndpointType")));
        assertThat(Stacks.<List<?>>at(s3.inputs(), "routeTableIds")).hasSize(3);
        assertThat(plan.ofType("aws:ec2/vpcEndpoint:VpcEndpoint")).filteredOn(e -> "Interface".equals(e.inputs().get("vpcEndpointType")))
                .allSatisfy(e -> assertThat(e.inputs()).containsEntry("privateDnsEnabled", true));

        // Workers pull with their instance role, from this stack's repositories only.
        assertThat(plan.ofType("aws:iam/rolePolicy:RolePolicy")).filteredOn(r -> String.valueOf(r.inputs().get("policy"))
                        .contains("PullStackImages"))
                .hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(r -> assertThat((String) r.inputs().get("policy"))
                        .contains("\"Resource\":[\"arn:aws:ecr:us-east-1:*:repository/kilonode-scale/*\"]"));
    }
}
