package dev.kilonode.status;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingGroup;
import software.amazon.awssdk.services.autoscaling.model.DescribeAutoScalingGroupsRequest;

import java.util.ArrayList;
import java.util.List;

/** Reads one {@link Progress}: the worker groups from the Auto Scaling API, the rest from the Kubernetes API. */
public final class ClusterObserver {

    static final String CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
    static final String NAMESPACE = "kube-system";
    /** The DaemonSets of cni/ContrailCni. */
    static final String AGENT = "contrail-agent";
    static final String KUBE_MANAGER = "contrail-kube-manager";

    private final AutoScalingClient autoscaling;
    private final KubernetesClient kubernetes;
    private final StackOutputs outputs;

    public ClusterObserver(AutoScalingClient autoscaling, KubernetesClient kubernetes, StackOutputs outputs) {
        this.autoscaling = autoscaling;
        this.kubernetes = kubernetes;
        this.outputs = outputs;
    }

    public Progress look() {
        List<String> problems = new ArrayList<>();
        int target = outputs.workerCount();
        int requested = Progress.UNKNOWN;
        int running = Progress.UNKNOWN;
        if (!outputs.workerGroups().isEmpty()) {
            try {
                List<AutoScalingGroup> groups = autoscaling.describeAutoScalingGroupsPaginator(
                        DescribeAutoScalingGroupsRequest.builder().autoScalingGroupNames(outputs.workerGroups()).build())
                        .autoScalingGroups().stream().toList();
                if (groups.size() != outputs.workerGroups().size()) {
                    problems.add("Auto Scaling: found " + groups.size() + " of the stack's " + outputs.workerGroups().size()
                            + " worker groups " + outputs.workerGroups());
                }
                requested = groups.stream().mapToInt(AutoScalingGroup::desiredCapacity).sum();
                running = (int) groups.stream().flatMap(g -> g.instances().stream())
                        .filter(i -> "InService".equals(i.lifecycleStateAsString())).count();
                target = Math.max(0, groups.stream().mapToInt(AutoScalingGroup::maxSize).sum());
            } catch (RuntimeException e) {
                problems.add("Auto Scaling: " + oneLine(e));
            }
        } else {
            requested = 0;
            running = 0;
        }
        int registered = Progress.UNKNOWN;
        int ready = Progress.UNKNOWN;
        try {
            List<Node> workers = kubernetes.nodes().list().getItems().stream()
                    .filter(n -> n.getMetadata().getLabels() == null
                            || !n.getMetadata().getLabels().containsKey(CONTROL_PLANE_LABEL))
                    .toList();
            registered = workers.size();
            ready = (int) workers.stream().filter(ClusterObserver::isReady).count();
        } catch (RuntimeException e) {
            problems.add("Kubernetes nodes: " + oneLine(e));
        }
        int[] agents = daemonSet(AGENT, problems);
        int[] controllers = daemonSet(KUBE_MANAGER, problems);
        return new Progress(target, requested, running, registered, ready, agents[0], agents[1], controllers[0],
                controllers[1], List.copyOf(problems));
    }

    /** {ready, desired}; {0, 0} when the DaemonSet is not there yet (the stack deploys it after the API is up). */
    private int[] daemonSet(String name, List<String> problems) {
        try {
            DaemonSet ds = kubernetes.apps().daemonSets().inNamespace(NAMESPACE).withName(name).get();
            if (ds == null || ds.getStatus() == null) {
                return new int[]{0, 0};
            }
            return new int[]{nz(ds.getStatus().getNumberReady()), nz(ds.getStatus().getDesiredNumberScheduled())};
        } catch (RuntimeException e) {
            problems.add("Kubernetes " + name + ": " + oneLine(e));
            return new int[]{Progress.UNKNOWN, Progress.UNKNOWN};
        }
    }

    static boolean isReady(Node n) {
        return n.getStatus() != null && n.getStatus().getConditions() != null && n.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private static int nz(Integer i) {
        return i == null ? 0 : i;
    }

    static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
