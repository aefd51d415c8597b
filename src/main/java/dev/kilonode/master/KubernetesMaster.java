package dev.kilonode.master;

import com.pulumi.aws.ec2.Instance;
import com.pulumi.aws.lb.TargetGroupAttachment;
import com.pulumi.aws.lb.TargetGroupAttachmentArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.NodeIdentity;
import dev.kilonode.master.kubeadm.KubeadmConfig;
import dev.kilonode.node.ControlPlaneMachine;
import dev.kilonode.tuning.TuningProfile;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes masters: 1 or 3 instances with fixed private addresses (etcd peers and the TF config name them up
 * front), etcd on the instance-store SSD, and a user-data that bootstraps them with no human (report 000's
 * `kubeadm init` and copied join command). Behind {@link ApiLoadBalancer}.
 */
public class KubernetesMaster extends ComponentResource {

    public static final String TYPE = "kilonode:master:KubernetesMaster";

    public record Args(ClusterSpec spec, TuningProfile tuning, List<Output<String>> privateSubnetIds,
                       Output<String> securityGroupId, ApiLoadBalancer api, String caCertHash,
                       Output<String> backupBucketName, Output<String> backupBucketArn, String backupPrefix,
                       List<Output<String>> readableSecretArns) {
    }

    private final List<Instance> instances = new ArrayList<>();

    public KubernetesMaster(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        ClusterSpec spec = args.spec();
        NodeIdentity identity = new NodeIdentity(name, statements(spec, args), spec.tagsFor("master"), this);

        Output<String> publicHost = args.api().publicDnsName().orElse(Output.of(""));
        for (int i = 0; i < spec.masters().count(); i++) {
            final int index = i;
            Output<String> userData = Output.tuple(args.api().internalDnsName(), publicHost, args.backupBucketName())
                    .applyValue(t -> UserData.encode(MasterUserData.render(new MasterUserData.Inputs(spec, args.tuning(),
                            new KubeadmConfig.Endpoints(t.t1, t.t2.isEmpty() ? null : t.t2), args.caCertHash(),
                            t.t3, args.backupPrefix(), index))));
            Instance master = ControlPlaneMachine.create(spec, new ControlPlaneMachine.Args(name + "-" + i, "master",
                    spec.masters(), spec.masterIp(i), args.privateSubnetIds().get(i % args.privateSubnetIds().size()),
                    args.securityGroupId(), identity.profileName(), userData), this);
            instances.add(master);
            new TargetGroupAttachment(name + "-" + i + "-api", TargetGroupAttachmentArgs.builder()
                    .targetGroupArn(args.api().apiTargetGroupArn())
                    .targetId(master.id())
                    .port(6443)
                    .build(), CustomResourceOptions.builder().parent(this).build());
        }
        registerOutputs(Map.of("privateIps", privateIps()));
    }

    private static List<NodeIdentity.Statement> statements(ClusterSpec spec, Args args) {
        String asgArns = "arn:aws:autoscaling:" + spec.region() + ":*:autoScalingGroup:*:autoScalingGroupName/kilonode-"
                + spec.stack() + "-*";
        return List.of(
                new NodeIdentity.Statement("ReadClusterSecrets", List.of("ssm:GetParameter"), args.readableSecretArns()),
                new NodeIdentity.Statement("WriteEtcdSnapshots", List.of("s3:PutObject", "s3:GetObject"),
                        List.of(args.backupBucketArn().applyValue(arn -> arn + "/" + args.backupPrefix() + "/*"))),
                new NodeIdentity.Statement("ListEtcdSnapshots", List.of("s3:ListBucket"), List.of(args.backupBucketArn())),
                // Describe calls take no resource-level permissions (AWS service authorization reference).
                new NodeIdentity.Statement("SeeWorkerGroups", List.of("autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeAutoScalingGroups"), List.of(Output.of("*"))),
                new NodeIdentity.Statement("DrainWorkers", List.of("autoscaling:CompleteLifecycleAction"),
                        List.of(Output.of(asgArns))));
    }

    public Output<List<String>> privateIps() {
        return Output.all(instances.stream().map(Instance::privateIp).toList());
    }

    public List<Instance> instances() {
        return List.copyOf(instances);
    }

    public Optional<Instance> first() {
        return instances.stream().findFirst();
    }
}
