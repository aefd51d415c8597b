package dev.kilonode.images;

import com.pulumi.aws.ec2.SecurityGroup;
import com.pulumi.aws.ec2.SecurityGroupArgs;
import com.pulumi.aws.ec2.VpcEndpoint;
import com.pulumi.aws.ec2.VpcEndpointArgs;
import com.pulumi.aws.vpc.SecurityGroupIngressRule;
import com.pulumi.aws.vpc.SecurityGroupIngressRuleArgs;
import com.pulumi.aws.ecr.Repository;
import com.pulumi.aws.ecr.RepositoryArgs;
import com.pulumi.aws.ecr.inputs.RepositoryEncryptionConfigurationArgs;
import com.pulumi.aws.ecr.inputs.RepositoryImageScanningConfigurationArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack's private image supply: one ECR repository per {@link PinnedImage} (immutable tags, scan on push;
 * {@code kilonode images sync} fills them), and the VPC endpoints that keep pulls off the NAT gateway — interface
 * endpoints for {@code com.amazonaws.<region>.ecr.api} and {@code .ecr.dkr} (private DNS, so the registry's normal
 * name resolves to them) and a gateway endpoint for S3, where ECR keeps the layers (AWS, "Amazon ECR interface VPC
 * endpoints": image layers are downloaded from S3, which needs the gateway endpoint).
 */
public class ImageSupply extends ComponentResource {

    public static final String TYPE = "kilonode:images:ImageSupply";

    public record Args(String stack, String namePrefix, String region, List<PinnedImage> images, Output<String> vpcId, String vpcCidr,
                       List<Output<String>> privateSubnetIds, List<Output<String>> privateRouteTableIds,
                       Map<String, String> tags, boolean production) {
    }

    private final List<Repository> repositories = new ArrayList<>();

    public ImageSupply(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        var child = CustomResourceOptions.builder().parent(this).build();
        for (PinnedImage image : args.images()) {
            repositories.add(new Repository(name + "-" + image.repository().replace('/', '-'), RepositoryArgs.builder()
                    .name(image.repository())
                    // A tag, once pushed, always names the same bytes: nodes pin digests, the sync refuses to move a tag.
                    .imageTagMutability("IMMUTABLE")
                    .imageScanningConfiguration(RepositoryImageScanningConfigurationArgs.builder().scanOnPush(true).build())
                    .encryptionConfigurations(RepositoryEncryptionConfigurationArgs.builder().encryptionType("AES256").build())
                    // Outside production a destroy takes the mirrored images with it.
                    .forceDelete(!args.production())
                    .tags(args.tags())
                    .build(), child));
        }

        // Rules as their own resources, like every other group of the stack (network.SecurityRules).
        SecurityGroup endpoints = new SecurityGroup(name + "-endpoints", SecurityGroupArgs.builder()
                .vpcId(args.vpcId())
                .description("kilonode " + args.stack() + " ECR interface endpoints: HTTPS from the VPC")
                .tags(args.tags())
                .build(), child);
        new SecurityGroupIngressRule(name + "-endpoints-from-cidr-tcp-443", SecurityGroupIngressRuleArgs.builder()
                .securityGroupId(endpoints.id())
                .ipProtocol("tcp").fromPort(443).toPort(443)
                .cidrIpv4(args.vpcCidr())
                .description("HTTPS to the ECR endpoints from the VPC")
                .tags(args.tags())
                .build(), child);
        for (String service : List.of("ecr.api", "ecr.dkr")) {
            new VpcEndpoint(name + "-" + service.replace('.', '-'), VpcEndpointArgs.builder()
                    .vpcId(args.vpcId())
                    .serviceName("com.amazonaws." + args.region() + "." + service)
                    .vpcEndpointType("Interface")
                    .privateDnsEnabled(true)
                    .subnetIds(Output.all(args.privateSubnetIds()))
                    .securityGroupIds(Output.all(List.of(endpoints.id())))
                    .tags(withName(args.tags(), args.namePrefix() + "-" + service))
                    .build(), child);
        }
        new VpcEndpoint(name + "-s3", VpcEndpointArgs.builder()
                .vpcId(args.vpcId())
                .serviceName("com.amazonaws." + args.region() + ".s3")
                .vpcEndpointType("Gateway")
                .routeTableIds(Output.all(args.privateRouteTableIds()))
                .tags(withName(args.tags(), args.namePrefix() + "-s3"))
                .build(), child);
        registerOutputs(Map.of("registry", registry()));
    }

    private static Map<String, String> withName(Map<String, String> tags, String name) {
        Map<String, String> t = new LinkedHashMap<>(tags);
        t.put("Name", name);
        return t;
    }

    /** {@code <account>.dkr.ecr.<region>.amazonaws.com}, from the first repository's URL. */
    public Output<String> registry() {
        return repositories.isEmpty() ? Output.of("")
                : repositories.get(0).repositoryUrl().applyValue(u -> u == null || u.indexOf('/') < 0 ? "" : u.substring(0, u.indexOf('/')));
    }

    /** What a node needs to pull from the stack's repositories with its instance role. */
    public static List<dev.kilonode.iam.NodeIdentity.Statement> pullStatements(dev.kilonode.config.ClusterSpec spec) {
        return List.of(
                // GetAuthorizationToken takes no resource (AWS service authorization reference for ECR).
                new dev.kilonode.iam.NodeIdentity.Statement("EcrLogin", List.of("ecr:GetAuthorizationToken"),
                        List.of(Output.of("*"))),
                new dev.kilonode.iam.NodeIdentity.Statement("PullStackImages", List.of("ecr:BatchGetImage",
                        "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"),
                        List.of(Output.of("arn:aws:ecr:" + spec.region() + ":*:repository/" + ImageCatalog.prefix(spec) + "/*"))));
    }
}
