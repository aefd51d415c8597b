package dev.kilonode.plan;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.TungstenFabricSpec;
import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What the plan says about the chosen network release that the config accepts but a user should know: a Kubernetes
 * minor past upstream end of life or untested by the release's CI, a containerd on the nodes that containerd does
 * not recommend for that minor, a moving image tag, and more workers per
 * controller than the release's guidance. Dates come from the table's {@code asOf}, so the same config always prints
 * the same plan.
 */
public final class NetworkReleaseWarnings {

    private NetworkReleaseWarnings() {
    }

    public static List<String> of(ClusterSpec spec) {
        NetworkReleases table = NetworkReleases.table();
        TungstenFabricSpec tf = spec.tungstenFabric();
        NetworkRelease row = tf.release();
        int minor = spec.kubernetesMinorNumber();
        List<String> warnings = new ArrayList<>();

        List<Integer> supported = table.upstreamSupported();
        if (!supported.contains(minor)) {
            String eol = table.kubernetesUpstream().endOfLife(minor).map(d -> " reached end of life on " + d).orElse(" is not maintained");
            warnings.add("kilonode:kubernetesVersion " + spec.kubernetesVersion() + ": Kubernetes " + spec.kubernetesMinor() + eol
                    + " (upstream maintains " + minors(supported) + " as of " + table.asOf() + "); kilonode:networkRelease "
                    + row.id() + " allows " + row.kubernetesMinors().min() + "-" + row.kubernetesMinors().max()
                    + ", so no supported minor fits both: no security patches for the control plane (README, Network release)");
        }
        if (!row.kubernetesTested(minor)) {
            warnings.add("kilonode:kubernetesVersion " + spec.kubernetesVersion() + ": " + row.project() + " " + row.id()
                    + "'s CI tests Kubernetes " + String.join(", ", row.testedKubernetesMinors()) + " only; "
                    + spec.kubernetesMinor() + " relies on kube-manager's API discovery (README, Network release)");
        }
        table.containerd().warning(spec.kubernetesVersion(), minor).ifPresent(warnings::add);
        if (tf.usesLatestTag()) {
            warnings.add("kilonode:tfTag is '" + tf.tag() + "': a moving tag; pin a dated tag (" + row.tagPattern()
                    + ") for reproducible nodes");
        }
        int controllers = spec.controllers().count();
        int perController = (spec.plannedWorkerCount() + controllers - 1) / controllers;
        if (perController > row.workersPerControllerGuidance()) {
            warnings.add("kilonode:controllerCount " + controllers + " serves " + perController + " workers per controller, more than "
                    + row.workersPerControllerGuidance() + " (field report 000: one controller's analytics collector saturated at 1,000 "
                    + "nodes); use kilonode:controllerCount 3 or a larger kilonode:controllerInstanceType");
        }
        return warnings;
    }

    private static String minors(List<Integer> minors) {
        return minors.stream().map(m -> "1." + m).collect(Collectors.joining(", "));
    }
}
