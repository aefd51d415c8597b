package dev.kilonode.nodegroup;

import com.pulumi.aws.autoscaling.Group;
import com.pulumi.aws.autoscaling.GroupArgs;
import com.pulumi.aws.autoscaling.LifecycleHook;
import com.pulumi.aws.autoscaling.LifecycleHookArgs;
import com.pulumi.aws.autoscaling.inputs.GroupInstanceRefreshArgs;
import com.pulumi.aws.autoscaling.inputs.GroupInstanceRefreshPreferencesArgs;
import com.pulumi.aws.autoscaling.inputs.GroupLaunchTemplateArgs;
import com.pulumi.aws.autoscaling.inputs.GroupTagArgs;
import com.pulumi.aws.ec2.LaunchTemplate;
import com.pulumi.aws.ec2.LaunchTemplateArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateBlockDeviceMappingArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateBlockDeviceMappingEbsArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateIamInstanceProfileArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateMetadataOptionsArgs;
import com.pulumi.aws.ec2.inputs.LaunchTemplateTagSpecificationArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.WorkerGroupSpec;
import dev.kilonode.iam.NodeIdentity;
import dev.kilonode.master.MasterUserData;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.scaleout.JoinPacing;
import dev.kilonode.tuning.TuningProfile;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One group of workers: a launch template and an Auto Scaling group across every zone's private subnet, with its
 * own least-privilege role. Any number of workers (0 to 5,000) is the same six resources, so `pulumi up` and the
 * offline plan take as long for 1,000 workers as for 3.
 *
 * <p>Living with 1,000 instances:
 * <ul>
 * <li>{@code waitForCapacityTimeout = "0"}: `pulumi up` does not wait for instances to be InService. Launching 1,000
 *     takes many minutes, and a zone short of m3.medium capacity must not fail or hang the update; the group keeps
 *     launching on its own and nodes register with the API when they join.</li>
 * <li>EC2 health checks replace dead instances; a worker whose join keeps failing marks itself Unhealthy.</li>
 * <li>A launch-template change rolls out by instance refresh, {@value #MIN_HEALTHY_PERCENT} % kept healthy (batches
 *     of 100 at 1,000 workers); masters and controllers are separate resources and never replaced by it.</li>
 * <li>Scale-in drains first: a termination lifecycle hook holds the instance in Terminating:Wait while the node
 *     drainer on master 0 (components/KubernetesMaster/node-drainer.sh) drains and deletes the node, then continues.
 *     The hook is its own {@code aws:autoscaling/lifecycleHook:LifecycleHook}: the group's inline
 *     {@code initialLifecycleHooks} is create-time only and a change to it replaces the group (all workers). A
 *     termination hook needs no instance to exist first, so the separate resource's caveat (pulumi-aws docs for
 *     LifecycleHook: hooks "will not be added until the autoscaling group has been created") does not apply. With no
 *     drainer alive (master broken) the heartbeat timeout ends the wait with CONTINUE; on destroy the hook is deleted
 *     before its group, and non-production groups are force-deleted (DeleteAutoScalingGroup ForceDelete "deletes any
 *     outstanding lifecycle actions").</li>
 * <li>Cost tags that people edit (Owner, CostCenter, kilonode:expires-on) are not in the launch template's tag
 *     specifications - a change there is a new template version and an instance refresh of every worker - but on the
 *     group with propagate-at-launch: existing instances keep their tags, new ones get the new values.</li>
 * </ul>
 */
public class NodeGroup extends ComponentResource {

    public static final String TYPE = "kilonode:nodegroup:NodeGroup";
    public static final String NODE_GROUP_TAG = "kilonode:node-group";
    static final int MIN_HEALTHY_PERCENT = 90;
    static final int DRAIN_HEARTBEAT_SECONDS = 600;
    /** Tags whose values people change during a cluster's life; kept out of the launch template. */
    static final java.util.Set<String> VOLATILE_TAGS = java.util.Set.of("Owner", "CostCenter", "kilonode:expires-on");

    public record Args(ClusterSpec spec, WorkerGroupSpec group, TuningProfile tuning,
                       List<Output<String>> privateSubnetIds, Output<String> securityGroupId,
                       Output<String> apiHost, String caCertHash, Output<String> bootstrapTokenArn,
                       Output<String> amiId) {

        /** Booting the stack's {@code amiId}. */
        public Args(ClusterSpec spec, WorkerGroupSpec group, TuningProfile tuning, List<Output<String>> privateSubnetIds,
                    Output<String> securityGroupId, Output<String> apiHost, String caCertHash,
                    Output<String> bootstrapTokenArn) {
            this(spec, group, tuning, privateSubnetIds, securityGroupId, apiHost, caCertHash, bootstrapTokenArn,
                    Output.of(spec.amiId()));
        }
    }

    private final Group group;

    public NodeGroup(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        ClusterSpec spec = args.spec();
        WorkerGroupSpec g = args.group();
        String asgName = asgName(spec, g);
        Map<String, String> tags = new LinkedHashMap<>(spec.tagsFor("worker"));
        tags.put(NODE_GROUP_TAG, g.name());

        List<NodeIdentity.Statement> statements = new ArrayList<>(List.of(
                new NodeIdentity.Statement("ReadBootstrapToken", List.of("ssm:GetParameter"), List.of(args.bootstrapTokenArn())),
                new NodeIdentity.Statement("ReportOwnHealth", List.of("autoscaling:SetInstanceHealth"), List.of(Output.of(
                        "arn:aws:autoscaling:" + spec.region() + ":*:autoScalingGroup:*:autoScalingGroupName/" + asgName)))));
        // Pull the stack's mirrored images with the instance role (images.ImageSupply).
        statements.addAll(dev.kilonode.images.ImageSupply.pullStatements(spec));
        statements.addAll(dev.kilonode.images.ImageSupply.credentialProviderStatements(spec));
        statements.addAll(NodeIdentity.denyControlPlaneSecrets(spec.region(), spec.ssmPrefix()));
        NodeIdentity identity = new NodeIdentity(name, statements, tags, this);
        var child = CustomResourceOptions.builder().parent(this).build();

        Output<String> userData = args.apiHost().applyValue(host -> UserData.encode(WorkerUserData.render(
                spec, g, args.tuning(), new KubeadmConfig.Endpoints(host), args.caCertHash())));
        Map<String, String> instanceTags = new LinkedHashMap<>(tags);
        instanceTags.put("Name", asgName);
        Map<String, String> stableInstanceTags = stable(instanceTags);
        var lt = LaunchTemplateArgs.builder()
                .namePrefix(asgName + "-")
                .description("kilonode " + spec.stack() + " worker group " + g.name())
                // amiId, or the baked node image's: a new AMI is a new template version, rolled by instance refresh.
                .imageId(args.amiId())
                .instanceType(g.instanceType().name())
                .userData(userData)
                .vpcSecurityGroupIds(Output.all(List.of(args.securityGroupId())))
                .iamInstanceProfile(LaunchTemplateIamInstanceProfileArgs.builder().arn(identity.profileArn()).build())
                // IMDSv2 only, hop limit 1: pods (one hop further through the vRouter) cannot reach the role's credentials.
                .metadataOptions(LaunchTemplateMetadataOptionsArgs.builder()
                        .httpEndpoint("enabled").httpTokens("required").httpPutResponseHopLimit(1).build())
                .blockDeviceMappings(LaunchTemplateBlockDeviceMappingArgs.builder()
                        .deviceName("/dev/sda1")
                        .ebs(LaunchTemplateBlockDeviceMappingEbsArgs.builder()
                                .encrypted("true").volumeType("gp3").volumeSize(g.rootVolumeGb())
                                .deleteOnTermination("true").build())
                        .build())
                .tagSpecifications(
                        LaunchTemplateTagSpecificationArgs.builder().resourceType("instance").tags(stableInstanceTags).build(),
                        LaunchTemplateTagSpecificationArgs.builder().resourceType("volume").tags(stable(tags)).build())
                .updateDefaultVersion(true)
                .tags(tags);
        spec.sshKeyName().ifPresent(lt::keyName);
        LaunchTemplate template = new LaunchTemplate(name, lt.build(), child);

        int desired = spec.desiredCount(g);
        // Paced scale-out: the group starts at its share of the join bound and master 0 raises desired capacity
        // toward maxSize batch by batch (scale-out-ramp.sh), so Pulumi ignores desiredCapacity after creation.
        // Lowering maxSize below the running count makes AWS lower desired capacity itself (UpdateAutoScalingGroup).
        int firstStep = JoinPacing.forCluster(args.tuning(), spec.masters().count())
                .firstStep(desired, spec.workerGroups().size());
        List<GroupTagArgs> asgTags = new ArrayList<>();
        instanceTags.forEach((k, v) -> asgTags.add(GroupTagArgs.builder().key(k).value(v).propagateAtLaunch(true).build()));
        this.group = new Group(name, GroupArgs.builder()
                .name(asgName)
                .vpcZoneIdentifiers(Output.all(args.privateSubnetIds()))
                .minSize(0)
                .maxSize(desired)
                .desiredCapacity(firstStep)
                .launchTemplate(GroupLaunchTemplateArgs.builder()
                        .id(template.id())
                        .version(template.latestVersion().applyValue(String::valueOf))
                        .build())
                .healthCheckType("EC2")
                .healthCheckGracePeriod(900)
                .waitForCapacityTimeout("0")
                .instanceRefresh(GroupInstanceRefreshArgs.builder()
                        .strategy("Rolling")
                        .preferences(GroupInstanceRefreshPreferencesArgs.builder()
                                .minHealthyPercentage(MIN_HEALTHY_PERCENT)
                                .instanceWarmup("300")
                                .skipMatching(true)
                                .build())
                        .build())
                .forceDelete(!spec.production())
                .tags(asgTags)
                .build(), CustomResourceOptions.builder().parent(this).ignoreChanges(List.of("desiredCapacity")).build());
        new LifecycleHook(name + "-drain", LifecycleHookArgs.builder()
                .autoscalingGroupName(group.name())
                .name(MasterUserData.LIFECYCLE_HOOK_NAME)
                .lifecycleTransition("autoscaling:EC2_INSTANCE_TERMINATING")
                .heartbeatTimeout(DRAIN_HEARTBEAT_SECONDS)
                .defaultResult("CONTINUE")
                .build(), child);
        registerOutputs(Map.of("autoScalingGroupName", group.name()));
    }

    private static Map<String, String> stable(Map<String, String> tags) {
        Map<String, String> out = new LinkedHashMap<>(tags);
        out.keySet().removeAll(VOLATILE_TAGS);
        return out;
    }

    /** Predictable, so IAM statements can name the group before it exists. */
    public static String asgName(ClusterSpec spec, WorkerGroupSpec group) {
        return spec.namePrefix() + "-" + group.name();
    }

    public Output<String> autoScalingGroupName() {
        return group.name();
    }
}
