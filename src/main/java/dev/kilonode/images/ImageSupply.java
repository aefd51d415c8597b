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
import com.pulumi.aws.s3.BucketOwnershipControls;
import com.pulumi.aws.s3.BucketOwnershipControlsArgs;
import com.pulumi.aws.s3.BucketPublicAccessBlock;
import com.pulumi.aws.s3.BucketPublicAccessBlockArgs;
import com.pulumi.aws.s3.BucketServerSideEncryptionConfigurationV2;
import com.pulumi.aws.s3.BucketServerSideEncryptionConfigurationV2Args;
import com.pulumi.aws.s3.BucketV2;
import com.pulumi.aws.s3.BucketV2Args;
import com.pulumi.aws.s3.inputs.BucketOwnershipControlsRuleArgs;
import com.pulumi.aws.s3.inputs.BucketServerSideEncryptionConfigurationV2RuleArgs;
import com.pulumi.aws.s3.inputs.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs;
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
 *
 * <p>And the artifacts bucket: binaries nodes run that are not images ({@code kilonode images sync} copies the
 * kubelet's {@code ecr-credential-provider} there, {@link CredentialProvider}). Its own bucket, not the etcd backup
 * bucket (only masters may read that, and it holds the cluster's data): created with the repositories in the images
 * phase, so the sync has somewhere to copy to before the cluster exists. Nodes reach it through the same S3 gateway
 * endpoint; their roles may read exactly the locked object ({@link #credentialProviderStatements}).
 */
public class ImageSupply extends ComponentResource {

    public static final String TYPE = "kilonode:images:ImageSupply";

    public record Args(String stack, String namePrefix, String region, List<PinnedImage> images, Output<String> vpcId, String vpcCidr,
                       List<Output<String>> privateSubnetIds, List<Output<String>> privateRouteTableIds,
                       Map<String, String> tags, boolean production) {
    }

    private final List<Repository> repositories = new ArrayList<>();
    private final Output<String> artifactBucket;

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

        // "-bin-": pulumi-aws BucketV2 bucketPrefix is at most 37 characters, and namePrefix may be up to 31
        // (ClusterSpecReader.MAX_NAME_PREFIX, set by the etcd bucket's "-etcd-").
        BucketV2 artifacts = new BucketV2(name + "-artifacts", BucketV2Args.builder()
                .bucketPrefix(args.namePrefix() + "-bin-")
                // Everything in it is a copy of a public upstream file the next sync can copy again; production
                // keeps it (protected, like every bucket there): nodes that boot later fetch the locked object.
                .forceDestroy(!args.production())
                .tags(args.tags())
                .build(), CustomResourceOptions.builder().parent(this).protect(args.production()).build());
        new BucketPublicAccessBlock(name + "-artifacts", BucketPublicAccessBlockArgs.builder()
                .bucket(artifacts.id())
                .blockPublicAcls(true).blockPublicPolicy(true).ignorePublicAcls(true).restrictPublicBuckets(true)
                .build(), child);
        new BucketOwnershipControls(name + "-artifacts", BucketOwnershipControlsArgs.builder()
                .bucket(artifacts.id())
                .rule(BucketOwnershipControlsRuleArgs.builder().objectOwnership("BucketOwnerEnforced").build())
                .build(), child);
        // SSE-S3, not KMS: the binaries are public, and a KMS key would need kms:Decrypt on every node role.
        new BucketServerSideEncryptionConfigurationV2(name + "-artifacts", BucketServerSideEncryptionConfigurationV2Args.builder()
                .bucket(artifacts.id())
                .rules(BucketServerSideEncryptionConfigurationV2RuleArgs.builder()
                        .applyServerSideEncryptionByDefault(
                                BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs.builder()
                                        .sseAlgorithm("AES256").build())
                        .build())
                .build(), child);
        this.artifactBucket = artifacts.bucket();
        registerOutputs(Map.of("registry", registry(), "artifactBucket", artifactBucket));
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

    /** The artifacts bucket's name ({@code kilonode images sync} reads it from the stack output {@code artifactBucket}). */
    public Output<String> artifactBucket() {
        return artifactBucket;
    }

    /**
     * What a Kubernetes node (master, worker, image build instance) needs to fetch the kubelet's credential provider:
     * {@code s3:GetObject} on exactly the object the lock names, nothing else in the bucket. None without the entry
     * (an older lock: nodes download from artifacts.k8s.io, {@link CredentialProvider}).
     */
    public static List<dev.kilonode.iam.NodeIdentity.Statement> credentialProviderStatements(dev.kilonode.config.ClusterSpec spec) {
        return spec.images().credentialProviderObject().map(b -> List.of(new dev.kilonode.iam.NodeIdentity.Statement(
                "ReadCredentialProvider", List.of("s3:GetObject"), List.of(Output.of(b.objectArn())))))
                .orElse(List.of());
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
