package dev.kilonode.master;

import com.pulumi.aws.ec2.Instance;
import com.pulumi.aws.ssm.Parameter;
import com.pulumi.aws.ssm.ParameterArgs;
import com.pulumi.aws.lb.TargetGroupAttachment;
import com.pulumi.aws.lb.TargetGroupAttachmentArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.backup.EtcdBackupBucket;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.NodeIdentity;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.node.ControlPlaneMachine;
import dev.kilonode.tuning.TuningProfile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes masters: 1 or 3 instances with fixed private addresses (etcd peers and the TF config name them up
 * front), etcd on the instance-store SSD, and a user-data that bootstraps them with no human (report 000's
 * `kubeadm init` and copied join command). Behind {@link ApiLoadBalancer}.
 */
public class KubernetesMaster extends ComponentResource {

    public static final String TYPE = "kilonode:master:KubernetesMaster";

    public record Args(ClusterSpec spec, TuningProfile tuning, List<Output<String>> privateSubnetIds,
                       Output<String> securityGroupId, ApiLoadBalancer api, Output<String> apiHost, String caCertHash,
                       Output<String> backupBucketName, Output<String> backupBucketArn, String backupPrefix,
                       List<Output<String>> readableSecretArns, Output<String> amiId) {

        /** Booting the stack's {@code amiId}. */
        public Args(ClusterSpec spec, TuningProfile tuning, List<Output<String>> privateSubnetIds,
                    Output<String> securityGroupId, ApiLoadBalancer api, Output<String> apiHost, String caCertHash,
                    Output<String> backupBucketName, Output<String> backupBucketArn, String backupPrefix,
                    List<Output<String>> readableSecretArns) {
            this(spec, tuning, privateSubnetIds, securityGroupId, api, apiHost, caCertHash, backupBucketName,
                    backupBucketArn, backupPrefix, readableSecretArns, Output.of(spec.amiId()));
        }
    }

    /** kubeadm, etcd-events and files under {@code <ssmPrefix>/control-plane/master-<i>/}. */
    private static final int PARAMETERS_PER_MASTER = 3;

    private final List<Instance> instances = new ArrayList<>();
    private final Output<String> roleArn;

    public KubernetesMaster(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        ClusterSpec spec = args.spec();
        // Each master's desired control-plane configuration, in SSM: user-data is read only at first boot, these
        // follow the stack (kilonode-reconcile-control-plane.timer applies changes, e.g. after scaling up).
        List<Parameter> desired = new ArrayList<>();
        for (int i = 0; i < spec.masters().count(); i++) {
            Output<MasterUserData.Inputs> inputs = inputs(args, i);
            desired.add(configParameter(name + "-" + i + "-kubeadm", spec, i, "kubeadm",
                    inputs.applyValue(MasterUserData::desiredKubeadm)));
            desired.add(configParameter(name + "-" + i + "-etcd-events", spec, i, "etcd-events",
                    inputs.applyValue(MasterUserData::desiredEventsEtcd)));
            desired.add(configParameter(name + "-" + i + "-files", spec, i, "files",
                    inputs.applyValue(MasterUserData::desiredFiles)));
        }
        List<Output<String>> scriptArns = new ArrayList<>();
        for (String script : MasterUserData.SSM_SCRIPTS) {
            scriptArns.add(new Parameter(name + "-" + script.replace(".sh", "") + "-script", ParameterArgs.builder()
                    .name(spec.ssmPrefix() + "/control-plane/bin/" + script)
                    .type("String")
                    .tier("Intelligent-Tiering")
                    .value(MasterUserData.ssmScript(script))
                    .description("kilonode: " + script + ", installed by etcd-prepare.sh on every master boot")
                    .tags(spec.tagsFor("master"))
                    .build(), CustomResourceOptions.builder().parent(this).build()).arn());
        }
        List<Output<String>> readable = new ArrayList<>(args.readableSecretArns());
        desired.forEach(p -> readable.add(p.arn()));
        readable.addAll(scriptArns);
        NodeIdentity identity = new NodeIdentity(name, statements(spec, args, readable), spec.tagsFor("master"), this);
        this.roleArn = identity.roleArn();

        for (int i = 0; i < spec.masters().count(); i++) {
            // The user-data waits for this master's parameters, so they exist before its first reconcile.
            Output<String> userData = Output.tuple(inputs(args, i), desired.get(PARAMETERS_PER_MASTER * i).arn(),
                            desired.get(PARAMETERS_PER_MASTER * i + 1).arn(), desired.get(PARAMETERS_PER_MASTER * i + 2).arn())
                    .applyValue(t -> UserData.encode(MasterUserData.render(t.t1)))
                    // ... and for the scripts its etcd-prepare.sh installs from SSM.
                    .apply(u -> Output.all(scriptArns).applyValue(arns -> u));
            Instance master = ControlPlaneMachine.create(spec, new ControlPlaneMachine.Args(name + "-" + i, "master",
                    spec.masters(), spec.masterIp(i), args.privateSubnetIds().get(i % args.privateSubnetIds().size()),
                    args.securityGroupId(), identity.profileName(), userData), this, args.amiId());
            instances.add(master);
            new TargetGroupAttachment(name + "-" + i + "-api", TargetGroupAttachmentArgs.builder()
                    .targetGroupArn(args.api().apiTargetGroupArn())
                    .targetId(master.id())
                    .port(6443)
                    .build(), CustomResourceOptions.builder().parent(this).build());
        }
        registerOutputs(Map.of("privateIps", privateIps()));
    }

    /** {@code apiHost} resolves once its DNS record exists: kubeadm init dials it (master.ApiName). */
    private static Output<MasterUserData.Inputs> inputs(Args args, int index) {
        return Output.tuple(args.apiHost(), args.backupBucketName())
                .applyValue(t -> new MasterUserData.Inputs(args.spec(), args.tuning(),
                        new KubeadmConfig.Endpoints(t.t1), args.caCertHash(), t.t2, args.backupPrefix(), index));
    }

    private Parameter configParameter(String resourceName, ClusterSpec spec, int index, String leaf, Output<String> value) {
        return new Parameter(resourceName, ParameterArgs.builder()
                .name(spec.ssmPrefix() + "/control-plane/master-" + index + "/" + leaf)
                .type("String")
                // Standard parameters hold 4 KB; a larger configuration moves to the advanced tier by itself.
                .tier("Intelligent-Tiering")
                .value(value)
                .description("kilonode: desired " + leaf + " of master " + index)
                .tags(spec.tagsFor("master"))
                .build(), CustomResourceOptions.builder().parent(this).build());
    }

    private static List<NodeIdentity.Statement> statements(ClusterSpec spec, Args args, List<Output<String>> readable) {
        // Exactly the stack's groups, by name: a pattern "<prefix>-*" would also match stack "<stack>-x"'s groups
        // (kilonode-a-* covers kilonode-a-x-workers). Group names are unique per account and region, so a name
        // list cannot match another stack's group; adding a group updates this policy in place.
        List<Output<String>> asgArns = spec.workerGroups().stream().map(g -> Output.of("arn:aws:autoscaling:"
                + spec.region() + ":*:autoScalingGroup:*:autoScalingGroupName/" + dev.kilonode.nodegroup.NodeGroup.asgName(spec, g)))
                .toList();
        List<NodeIdentity.Statement> all = new ArrayList<>(List.of(
                new NodeIdentity.Statement("ReadClusterSecretsAndConfig", List.of("ssm:GetParameter"), readable),
                new NodeIdentity.Statement("WriteEtcdSnapshots", List.of("s3:PutObject", "s3:GetObject"),
                        List.of(args.backupBucketArn().applyValue(arn -> arn + "/" + args.backupPrefix() + "/*"))),
                new NodeIdentity.Statement("ListEtcdSnapshots", List.of("s3:ListBucket"), List.of(args.backupBucketArn())),
                // PutMetricData has no resource-level permissions; the namespace condition key scopes it
                // (AWS service authorization reference, Amazon CloudWatch: cloudwatch:namespace).
                new NodeIdentity.Statement("CountEtcdSnapshots", List.of("cloudwatch:PutMetricData"), List.of(Output.of("*")),
                        Map.of("StringEquals", Map.of("cloudwatch:namespace", EtcdBackupBucket.METRIC_NAMESPACE))),
                // Describe calls take no resource-level permissions (AWS service authorization reference).
                new NodeIdentity.Statement("SeeWorkerGroups", List.of("autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeAutoScalingGroups"), List.of(Output.of("*")))));
        if (!asgArns.isEmpty()) {
            all.add(new NodeIdentity.Statement("DrainWorkers", List.of("autoscaling:CompleteLifecycleAction"), asgArns));
            // The paced scale-out (scale-out-ramp.sh) raises this stack's worker groups' desired capacity.
            all.add(new NodeIdentity.Statement("PaceWorkerScaleOut", List.of("autoscaling:SetDesiredCapacity"), asgArns));
        }
        all.addAll(dev.kilonode.images.ImageSupply.pullStatements(spec));
        all.addAll(dev.kilonode.images.ImageSupply.credentialProviderStatements(spec));
        return all;
    }

    /** The masters' instance role: the only principal the PKI key lets decrypt. */
    public Output<String> roleArn() {
        return roleArn;
    }

    /** The master instance ids: what tells a new or replaced control plane from an unchanged one. */
    public Output<List<String>> instanceIds() {
        return Output.all(instances.stream().map(Instance::id).toList());
    }

    public Output<List<String>> privateIps() {
        return Output.all(instances.stream().map(Instance::privateIp).toList());
    }


}
