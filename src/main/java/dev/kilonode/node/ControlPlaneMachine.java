package dev.kilonode.node;

import com.pulumi.aws.ec2.Instance;
import com.pulumi.aws.ec2.InstanceArgs;
import com.pulumi.aws.ec2.inputs.InstanceEphemeralBlockDeviceArgs;
import com.pulumi.aws.ec2.inputs.InstanceMetadataOptionsArgs;
import com.pulumi.aws.ec2.inputs.InstanceRootBlockDeviceArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.RoleSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One control-plane machine (a master or a Tungsten Fabric controller): a fixed private address in its zone's private
 * subnet, IMDSv2 only, an encrypted gp3 root volume, its instance-store SSDs mapped, the role's tags.
 */
public final class ControlPlaneMachine {

    /** What differs between machines; everything else is the same for every control-plane instance. */
    public record Args(String name, String role, RoleSpec size, String privateIp, Output<String> subnetId,
                       Output<String> securityGroupId, Output<String> instanceProfile, Output<String> userDataBase64) {
    }

    private ControlPlaneMachine() {
    }

    public static Instance create(ClusterSpec spec, Args a, Resource parent) {
        return create(spec, a, parent, Output.of(spec.amiId()));
    }

    /** With the AMI to boot: {@code amiId}, or the baked node image's (a change is ignored like any other, see below). */
    public static Instance create(ClusterSpec spec, Args a, Resource parent, Output<String> ami) {
        Map<String, String> tags = new LinkedHashMap<>(spec.tagsFor(a.role()));
        tags.put("Name", a.name());
        var b = InstanceArgs.builder()
                .ami(ami)
                .instanceType(a.size().instanceType().name())
                .subnetId(a.subnetId())
                .privateIp(a.privateIp())
                .vpcSecurityGroupIds(Output.all(List.of(a.securityGroupId())))
                .iamInstanceProfile(a.instanceProfile())
                .userDataBase64(a.userDataBase64())
                // IMDSv2 only; hop limit 1 keeps containers off the instance role's credentials.
                .metadataOptions(InstanceMetadataOptionsArgs.builder()
                        .httpEndpoint("enabled").httpTokens("required").httpPutResponseHopLimit(1).build())
                .rootBlockDevice(InstanceRootBlockDeviceArgs.builder()
                        .encrypted(true).volumeType("gp3").volumeSize(a.size().rootVolumeGb())
                        .deleteOnTermination(true).build())
                .ephemeralBlockDevices(ephemeralDisks(a.size().instanceType().instanceStoreDisks()))
                .tags(tags)
                .volumeTags(spec.tagsFor(a.role()));
        spec.sshKeyName().ifPresent(b::keyName);
        return new Instance(a.name(), b.build(), CustomResourceOptions.builder()
                .parent(parent)
                .protect(spec.production())
                // A fixed private IP cannot be held by the old and the new instance at once.
                .deleteBeforeReplace(true)
                // Changes that would stop/start the machine (wiping its instance store, where etcd lives) or replace
                // it are ignored: with delete-before-replace on every master at once etcd would lose quorum. They
                // roll out one machine at a time with `kilonode roll masters|controllers`, which names the machine
                // in kilonode:rollMachines to lift this for it alone (see RollPlan, README).
                .ignoreChanges(spec.rollMachines().contains(a.name()) ? List.of() : IGNORED_IN_PLACE)
                .build());
    }

    /**
     * Inputs whose change stops or replaces a running aws:ec2/instance:Instance (pulumi-aws 6.x Instance docs:
     * {@code instanceType} and {@code userData*} "Updates to this field will trigger a stop/start of the EC2
     * instance"; {@code ami}, {@code keyName}, {@code subnetId}, {@code privateIp}, {@code ephemeralBlockDevices},
     * {@code availabilityZone} force a new resource in the provider schema).
     */
    public static final List<String> IGNORED_IN_PLACE = List.of("ami", "instanceType", "keyName", "subnetId",
            "privateIp", "ephemeralBlockDevices", "userDataBase64");

    /** m3: ephemeral0 -> /dev/sdb (xvdb), ephemeral1 -> /dev/sdc (xvdc); NVMe types attach theirs anyway. */
    static List<InstanceEphemeralBlockDeviceArgs> ephemeralDisks(int count) {
        List<InstanceEphemeralBlockDeviceArgs> disks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            disks.add(InstanceEphemeralBlockDeviceArgs.builder()
                    .deviceName("/dev/sd" + (char) ('b' + i)).virtualName("ephemeral" + i).build());
        }
        return disks;
    }
}
