package dev.kilonode.controller;

import com.pulumi.aws.ec2.Instance;
import com.pulumi.aws.lb.TargetGroupAttachment;
import com.pulumi.aws.lb.TargetGroupAttachmentArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import dev.kilonode.cloudinit.CloudConfig;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.NodeIdentity;
import dev.kilonode.node.ControlPlaneMachine;
import dev.kilonode.node.NodeBootstrap;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Tungsten Fabric control plane: 1 or 3 instances (report 000: one m3.xlarge) at fixed private addresses, each
 * installing itself with the TF ansible deployer from a rendered instances file at first boot
 * ({@code components/TungstenFabricController/}). Their addresses are known before they exist, so the CNI's
 * ConfigMap is complete in the same `pulumi up`.
 */
public class TungstenFabricController extends ComponentResource {

    public static final String TYPE = "kilonode:controller:TungstenFabricController";
    public static final String COMPONENT = "TungstenFabricController";

    public record Args(ClusterSpec spec, List<Output<String>> privateSubnetIds, Output<String> securityGroupId,
                       Optional<Output<String>> webUiTargetGroupArn) {
    }

    private final List<Instance> instances = new ArrayList<>();

    public TungstenFabricController(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        ClusterSpec spec = args.spec();
        // The controllers need no AWS API beyond Session Manager and ECR pulls, and never the cluster's secrets.
        // They pull the network release's images from the stack's ECR (images.ImageSupply).
        List<NodeIdentity.Statement> statements = new ArrayList<>(
                dev.kilonode.images.ImageSupply.pullStatements(spec));
        statements.addAll(NodeIdentity.denyControlPlaneSecrets(spec.region(), spec.ssmPrefix()));
        NodeIdentity identity = new NodeIdentity(name, statements, spec.tagsFor("tf-controller"), this);
        for (int i = 0; i < spec.controllers().count(); i++) {
            Instance controller = ControlPlaneMachine.create(spec, new ControlPlaneMachine.Args(name + "-" + i,
                    "tf-controller", spec.controllers(), spec.controllerIp(i),
                    args.privateSubnetIds().get(i % args.privateSubnetIds().size()), args.securityGroupId(),
                    identity.profileName(), Output.of(UserData.encode(userData(spec, i)))), this);
            instances.add(controller);
            final int index = i;
            args.webUiTargetGroupArn().ifPresent(tg -> new TargetGroupAttachment(name + "-" + index + "-webui",
                    TargetGroupAttachmentArgs.builder().targetGroupArn(tg).targetId(controller.id()).port(8143).build(),
                    CustomResourceOptions.builder().parent(this).build()));
        }
        registerOutputs(Map.of("privateIps", Output.of(spec.controllerIps())));
    }

    static String userData(ClusterSpec spec, int index) {
        Map<String, String> env = NodeBootstrap.commonEnv(spec, "tf-controller", null);
        env.put("TF_CONTROLLER_INDEX", String.valueOf(index));
        env.put("TF_CONTROLLER_IPS", String.join(",", spec.controllerIps()));
        env.put("TF_DEPLOYER_REPO", spec.tungstenFabric().deployerRepo());
        env.put("TF_DEPLOYER_REF", spec.tungstenFabric().deployerRef());
        var release = spec.tungstenFabric().release();
        env.put("TF_DEPLOYER_PLAYBOOKS", String.join(",", release.deployer().playbooks()));
        // The release's CI installs Ansible with pip into a virtualenv (tf-devstack ansible/run.sh): same pins here.
        env.put("TF_ANSIBLE_MIN", release.ansible().minVersion());
        env.put("TF_ANSIBLE_BELOW", release.ansible().belowVersion());
        env.put("TF_JINJA2_VERSION", release.ansible().jinja2());
        // The deployer's docker logs in to the stack's ECR with a token from the instance role, fetched at boot.
        spec.images().repositoryBase().ifPresent(r -> env.put("ECR_REGISTRY", spec.images().registry()));
        CloudConfig cc = NodeBootstrap.start(env, false)
                .file(InstancesFile.PATH, "0644", InstancesFile.render(spec));
        NodeBootstrap.script(cc, COMPONENT, "install-tf-controller.sh");
        cc.run("/opt/kilonode/install-tf-controller.sh");
        return cc.render();
    }

    /** The controllers' private addresses (fixed by the spec; resolve once the instances exist). */
    public Output<List<String>> privateIps() {
        return Output.all(instances.stream().map(Instance::privateIp).toList());
    }

}
