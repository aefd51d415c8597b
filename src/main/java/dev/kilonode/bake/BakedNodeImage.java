package dev.kilonode.bake;

import com.pulumi.aws.ec2.SecurityGroup;
import com.pulumi.aws.ec2.SecurityGroupArgs;
import com.pulumi.aws.iam.RolePolicyAttachment;
import com.pulumi.aws.iam.RolePolicyAttachmentArgs;
import com.pulumi.aws.imagebuilder.Component;
import com.pulumi.aws.imagebuilder.ComponentArgs;
import com.pulumi.aws.imagebuilder.DistributionConfiguration;
import com.pulumi.aws.imagebuilder.DistributionConfigurationArgs;
import com.pulumi.aws.imagebuilder.Image;
import com.pulumi.aws.imagebuilder.ImageArgs;
import com.pulumi.aws.imagebuilder.ImageRecipe;
import com.pulumi.aws.imagebuilder.ImageRecipeArgs;
import com.pulumi.aws.imagebuilder.InfrastructureConfiguration;
import com.pulumi.aws.imagebuilder.InfrastructureConfigurationArgs;
import com.pulumi.aws.imagebuilder.inputs.DistributionConfigurationDistributionAmiDistributionConfigurationArgs;
import com.pulumi.aws.imagebuilder.inputs.DistributionConfigurationDistributionArgs;
import com.pulumi.aws.imagebuilder.inputs.ImageImageTestsConfigurationArgs;
import com.pulumi.aws.imagebuilder.inputs.ImageRecipeBlockDeviceMappingArgs;
import com.pulumi.aws.imagebuilder.inputs.ImageRecipeBlockDeviceMappingEbsArgs;
import com.pulumi.aws.imagebuilder.inputs.ImageRecipeComponentArgs;
import com.pulumi.aws.imagebuilder.inputs.ImageRecipeSystemsManagerAgentArgs;
import com.pulumi.aws.imagebuilder.inputs.InfrastructureConfigurationInstanceMetadataOptionsArgs;
import com.pulumi.aws.imagebuilder.outputs.ImageOutputResource;
import com.pulumi.aws.imagebuilder.outputs.ImageOutputResourceAmi;
import com.pulumi.aws.vpc.SecurityGroupEgressRule;
import com.pulumi.aws.vpc.SecurityGroupEgressRuleArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.CustomTimeouts;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.NodeIdentity;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.images.ImageSupply;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The baked node AMI, built once by {@code pulumi up} with EC2 Image Builder from the stack's Ubuntu AMI
 * ({@code amiId}): an AWSTOE component ({@link NodeImageDocument}), an image recipe on {@code amiId}, an
 * infrastructure configuration (a build instance in a private subnet, egress only through the NAT and the VPC's
 * endpoints, with its own least-privilege instance profile), a distribution configuration (this region), and an
 * {@code aws:imagebuilder/image:Image}, whose AMI id masters and workers boot from.
 *
 * <p>Image Builder components and recipes are immutable versions: a change of the document or the parent AMI is a
 * new version ({@link #version}, from their content), hence a new image and a new AMI id — a new launch-template
 * version (workers roll by instance refresh) that control-plane machines ignore until {@code kilonode roll}.
 * No ImagePipeline: nothing rebuilds the image on a schedule behind the stack's back; a rebuild is a change the
 * plan shows.
 */
public class BakedNodeImage extends ComponentResource {

    public static final String TYPE = "kilonode:bake:BakedNodeImage";
    /** Root volume of the build instance, hence the AMI's snapshot: at most the smallest root volume a node gets (20 GB). */
    static final int ROOT_VOLUME_GB = 20;
    /** Provider default for Image create is 60 minutes; a bake with a reboot, a DKMS build and an AMI snapshot may take longer. */
    static final Duration CREATE_TIMEOUT = Duration.ofMinutes(120);
    /**
     * What Image Builder's build instance needs (AWS, "Use AWS managed policies for EC2 Image Builder",
     * EC2InstanceProfileForImageBuilder: imagebuilder:GetComponent, the AWSTOE downloads from ec2imagebuilder* buckets,
     * CloudWatch Logs under /aws/imagebuilder/) — scoped to this stack's component — and the Systems Manager agent
     * that runs AWSTOE (AmazonSSMManagedInstanceCore, which Image Builder requires on the instance profile).
     */
    public static final String SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

    public record Args(ClusterSpec spec, BakeContents contents, Output<String> vpcId, Output<String> subnetId,
                       Map<String, String> tags) {
    }

    private final Image image;
    private final String name;
    private final String version;

    public BakedNodeImage(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        ClusterSpec spec = args.spec();
        var child = CustomResourceOptions.builder().parent(this).build();
        this.name = ImageCatalog.prefix(spec) + "-node";
        String document = NodeImageDocument.render(spec, args.contents(), this.name);
        this.version = version(document, spec.amiId());
        Map<String, String> tags = new LinkedHashMap<>(args.tags());
        tags.put("kilonode:role", "image-builder");

        Component component = new Component(name, ComponentArgs.builder()
                .name(this.name)
                .version(version)
                .platform("Linux")
                // No supportedOsVersions: Image Builder prefix-matches it against the parent's OS version string, whose
                // form for Ubuntu AMIs could not be checked here; amiId is validated as the release's Ubuntu already.
                .description("kilonode " + spec.stack() + " node: Kubernetes " + spec.kubernetesVersion()
                        + ", held kernel, vrouter.ko, locked images")
                .data(document)
                .tags(tags)
                .build(), child);

        ImageRecipe recipe = new ImageRecipe(name, ImageRecipeArgs.builder()
                .name(this.name)
                .version(version)
                .parentImage(spec.amiId())
                .components(ImageRecipeComponentArgs.builder().componentArn(component.arn()).build())
                .blockDeviceMappings(ImageRecipeBlockDeviceMappingArgs.builder()
                        .deviceName("/dev/sda1")
                        .ebs(ImageRecipeBlockDeviceMappingEbsArgs.builder()
                                .volumeType("gp3").volumeSize(ROOT_VOLUME_GB).encrypted("true")
                                .deleteOnTermination("true").build())
                        .build())
                // Operators reach nodes through Session Manager: the AMI keeps the agent.
                .systemsManagerAgent(ImageRecipeSystemsManagerAgentArgs.builder().uninstallAfterBuild(false).build())
                .tags(tags)
                .build(), child);

        List<NodeIdentity.Statement> statements = new ArrayList<>(ImageSupply.pullStatements(spec));
        // The bake runs install-kubernetes.sh, which installs the kubelet's credential provider from the stack's bucket.
        statements.addAll(ImageSupply.credentialProviderStatements(spec));
        statements.add(new NodeIdentity.Statement("ReadOwnComponent", List.of("imagebuilder:GetComponent"),
                List.of(Output.of("arn:aws:imagebuilder:" + spec.region() + ":*:component/" + this.name + "/*"))));
        statements.add(new NodeIdentity.Statement("DownloadAwstoe", List.of("s3:GetObject"),
                List.of(Output.of("arn:aws:s3:::ec2imagebuilder*"))));
        statements.add(new NodeIdentity.Statement("BuildLogs", List.of("logs:CreateLogGroup", "logs:CreateLogStream",
                "logs:PutLogEvents"), List.of(Output.of("arn:aws:logs:" + spec.region() + ":*:log-group:/aws/imagebuilder/*"))));
        // The managed policy allows ssm:GetParameter on *: the explicit deny keeps the cluster's PKI out of reach.
        statements.addAll(NodeIdentity.denyControlPlaneSecrets(spec.region(), spec.ssmPrefix()));
        NodeIdentity identity = new NodeIdentity(name + "-build", statements, tags, this);
        new RolePolicyAttachment(name + "-build-ssm", RolePolicyAttachmentArgs.builder()
                .role(identity.roleName())
                .policyArn(SSM_CORE)
                .build(), child);

        // Egress only: HTTP(S) to the Ubuntu archive and pkgs.k8s.io through the NAT gateway, ECR/S3/SSM over 443.
        // DNS to the VPC resolver, IMDS and NTP are link-local and not filtered by security groups.
        SecurityGroup sg = new SecurityGroup(name + "-build", SecurityGroupArgs.builder()
                .vpcId(args.vpcId())
                .description("kilonode " + spec.stack() + " image build instance: HTTP(S) out only")
                .tags(tags)
                .build(), child);
        for (int port : new int[]{80, 443}) {
            new SecurityGroupEgressRule(name + "-build-to-any-tcp-" + port, SecurityGroupEgressRuleArgs.builder()
                    .securityGroupId(sg.id())
                    .ipProtocol("tcp").fromPort(port).toPort(port)
                    .cidrIpv4("0.0.0.0/0")
                    .description(port == 80 ? "Ubuntu archive (apt over HTTP, signed)" : "HTTPS: pkgs.k8s.io, ECR, S3, SSM")
                    .tags(tags)
                    .build(), child);
        }

        InfrastructureConfiguration infrastructure = new InfrastructureConfiguration(name, InfrastructureConfigurationArgs.builder()
                .name(this.name)
                .description("kilonode " + spec.stack() + " node image build instance")
                // The masters' type: the DKMS build of vrouter.ko gets their vCPUs instead of a worker's one.
                .instanceTypes(spec.masters().instanceType().name())
                .instanceProfileName(identity.profileName())
                .subnetId(args.subnetId())
                .securityGroupIds(Output.all(List.of(sg.id())))
                .instanceMetadataOptions(InfrastructureConfigurationInstanceMetadataOptionsArgs.builder()
                        .httpTokens("required").httpPutResponseHopLimit(1).build())
                .terminateInstanceOnFailure(true)
                .resourceTags(tags)
                .tags(tags)
                .build(), child);

        DistributionConfiguration distribution = new DistributionConfiguration(name, DistributionConfigurationArgs.builder()
                .name(this.name)
                .description("kilonode " + spec.stack() + " node AMI in " + spec.region())
                .distributions(DistributionConfigurationDistributionArgs.builder()
                        .region(spec.region())
                        .amiDistributionConfiguration(DistributionConfigurationDistributionAmiDistributionConfigurationArgs.builder()
                                // AMI names are unique per account and region: the build date makes each one new.
                                .name(this.name + "-" + version + "-{{ imagebuilder:buildDate }}")
                                .description("kilonode " + spec.stack() + " node image " + version)
                                .amiTags(tags)
                                .build())
                        .build())
                .tags(tags)
                .build(), child);

        this.image = new Image(name, ImageArgs.builder()
                .imageRecipeArn(recipe.arn())
                .infrastructureConfigurationArn(infrastructure.arn())
                .distributionConfigurationArn(distribution.arn())
                // The validate phase checks the instance before the snapshot; no second test instance.
                .imageTestsConfiguration(ImageImageTestsConfigurationArgs.builder().imageTestsEnabled(false).build())
                .tags(tags)
                .build(), CustomResourceOptions.builder().parent(this)
                .customTimeouts(CustomTimeouts.builder().create(CREATE_TIMEOUT).build()).build());
        registerOutputs(Map.of("amiId", amiId()));
    }

    /**
     * What to bake: the node images at the digests of the image lock the program already read ({@code images.BringUp},
     * the one lock every rendered reference comes from). The program reaches this only with a lock that covers the
     * catalog (the cluster phase), so a missing digest here is a programming error, not a user's.
     */
    public static BakeContents contents(ClusterSpec spec, dev.kilonode.images.ImageLock lock) {
        BakeContents contents = BakeContents.of(spec, java.util.Optional.of(lock));
        if (!contents.complete()) {
            throw new IllegalStateException("the image lock covers the catalog but not the node images: missing "
                    + String.join(", ", contents.missing()));
        }
        return contents;
    }

    /** The AMI the image produced in this region. */
    public Output<String> amiId() {
        return image.outputResources().applyValue(BakedNodeImage::firstAmi);
    }

    static String firstAmi(List<ImageOutputResource> resources) {
        if (resources == null) {
            return null;
        }
        for (ImageOutputResource r : resources) {
            for (ImageOutputResourceAmi ami : r.amis()) {
                if (ami.image().isPresent()) {
                    return ami.image().get();
                }
            }
        }
        return null;
    }

    public String recipeName() {
        return name;
    }

    public String version() {
        return version;
    }

    /**
     * 1.0.N, N from the document and the parent AMI: Image Builder semantic versions allow up to 2^30-1 per node
     * (CreateComponent semanticVersion), and an unchanged bake keeps its version (no rebuild).
     */
    static String version(String document, String parentAmi) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((document + "\n" + parentAmi).getBytes(StandardCharsets.UTF_8));
            long n = ((d[0] & 0xffL) << 24 | (d[1] & 0xffL) << 16 | (d[2] & 0xffL) << 8 | (d[3] & 0xffL)) % 1_073_741_823L;
            return "1.0." + n;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
