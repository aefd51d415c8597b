package dev.kilonode.cni;

import com.pulumi.core.Output;
import dev.kilonode.config.ClusterSpec;

import java.util.List;

/**
 * What the CNI needs from the cluster: the TF controllers' fixed private addresses (known before anything exists),
 * the API endpoint, the overlay ranges and the images.
 *
 * @param apiServerUrl {@code https://api.<apiDomain>:6443}: the API's stable name (the VPC's private zone answers it)
 */
public record ContrailCniArgs(String clusterName, List<String> controllerIps, Output<String> apiServerUrl,
                              String podCidr, String serviceCidr, ContrailImages images) {

    public ContrailCniArgs {
        if (controllerIps.isEmpty()) {
            throw new IllegalArgumentException("the CNI needs at least one Tungsten Fabric controller address");
        }
        controllerIps = List.copyOf(controllerIps);
    }

    public static ContrailCniArgs of(ClusterSpec spec, Output<String> apiServerUrl) {
        // <project>-<stack>, like every other name (ClusterSpec.namePrefix): kilonode-<stack> for project kilonode,
        // so a running cluster keeps its TF cluster name; two projects on one account never share one.
        return new ContrailCniArgs(spec.namePrefix(), spec.controllerIps(), apiServerUrl,
                spec.network().podCidr().toString(), spec.network().serviceCidr().toString(),
                ContrailImages.of(spec));
    }
}
