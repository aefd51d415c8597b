package dev.kilonode.status;

import java.util.List;

/**
 * One look at a bring-up. Instances: the worker groups' desired capacity (requested), InService instances
 * (running) and maxSize (target: the paced scale-out raises desired capacity to it). Nodes: worker nodes (no
 * control-plane role) registered and Ready. vRouter agents: the contrail-agent DaemonSet's ready pods of those it
 * should run. Controllers connected: contrail-kube-manager (Tungsten Fabric's Kubernetes controller, which keeps the
 * TF controllers' config in step with the cluster) ready pods of those it should run. {@code problems}: what could
 * not be read this time (then the figures it would give are -1).
 */
public record Progress(int target, int requested, int running, int registered, int ready, int agentsReady,
                       int agentsDesired, int controllersReady, int controllersDesired, List<String> problems) {

    public static final int UNKNOWN = -1;

    /** Done: every target worker Ready, every vRouter agent and kube-manager Ready. */
    public boolean complete() {
        return problems.isEmpty() && ready >= target && agentsDesired >= 0 && agentsReady >= agentsDesired
                && controllersDesired > 0 && controllersReady >= controllersDesired;
    }

    /** What has to move for progress: any counter changing counts. */
    List<Integer> counters() {
        return List.of(requested, running, registered, ready, agentsReady, controllersReady);
    }
}
