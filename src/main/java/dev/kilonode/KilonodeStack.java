package dev.kilonode;

import com.pulumi.Context;
import com.pulumi.aws.Provider;
import com.pulumi.aws.ProviderArgs;
import com.pulumi.core.Output;
import com.pulumi.exceptions.RunException;
import com.pulumi.resources.ComponentResourceOptions;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.network.Network;
import dev.kilonode.network.NetworkArgs;
import dev.kilonode.network.Role;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stack program. Data flows one way: stack config -> {@link ClusterSpec} (all validation) -> {@link TuningProfile}
 * (derived from size) -> components -> stack outputs. Components get what they need as arguments.
 */
public final class KilonodeStack {

    private KilonodeStack() {
    }

    public static void define(Context ctx) {
        ClusterSpec spec;
        try {
            spec = ClusterSpecReader.read(ConfigSource.of(ctx), ctx.stackName());
        } catch (ConfigValidationException e) {
            // One clear message, no stack trace, before any resource is registered.
            throw new RunException(e.getMessage());
        }
        TuningProfile tuning = TuningProfile.forCluster(ClusterSize.of(spec));

        // An explicit provider: the region comes from our validated config, not from ambient aws:region.
        Provider aws = new Provider("aws", ProviderArgs.builder().region(spec.region()).build());
        var inAws = ComponentResourceOptions.builder().providers(aws).build();

        Network network = new Network("kilonode", new NetworkArgs(spec.network(), spec.availabilityZones(),
                spec.production(), spec.eventsEtcdEnabled(), spec::tagsFor), inAws);

        ctx.export("vpcId", network.vpcId());
        ctx.export("publicSubnetIds", Output.all(network.publicSubnetIds()));
        ctx.export("privateSubnetIds", Output.all(network.privateSubnetIds()));
        Map<String, Output<String>> groups = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            groups.put(role.tag(), network.securityGroupId(role));
        }
        ctx.export("securityGroupIds", Output.all(groups.values()).applyValue(ids -> {
            Map<String, String> out = new LinkedHashMap<>();
            int i = 0;
            for (String role : groups.keySet()) {
                out.put(role, ids.get(i++));
            }
            return out;
        }));
        ctx.export("workerCount", Output.of(spec.workerCount()));
        ctx.export("tuningTier", Output.of(tuning.tier()));
    }

}
