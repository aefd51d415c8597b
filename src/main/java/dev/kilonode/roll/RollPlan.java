package dev.kilonode.roll;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.plan.PlannedResource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one-at-a-time replacement of a stack's control-plane machines (masters or TF controllers), as shell commands.
 *
 * <p>Why it is needed: control-plane machines ignore changes that would stop or replace them in place (ami,
 * instanceType, keyName, subnet, private IP, user-data; see {@code ControlPlaneMachine}), so `pulumi up` never takes
 * down every master at once (delete-before-replace on all three is lost etcd quorum). The engine applies ignoreChanges
 * by reusing the old inputs from the state (pulumi/pulumi#2657: "the engine simply replaces the values of input
 * properties in the goal state with old inputs"), which a {@code --replace} alone would re-create with; so each step
 * names its machine in {@code kilonode:rollMachines}, which lifts the ignore for that machine only, and targets only
 * it and its dependents (the load-balancer attachment).
 */
public final class RollPlan {

    public enum Role {
        masters("kilonode:master:KubernetesMaster", "master"),
        controllers("kilonode:controller:TungstenFabricController", "tf-controller");

        final String componentType;
        final String label;

        Role(String componentType, String label) {
            this.componentType = componentType;
            this.label = label;
        }
    }

    /** One machine to roll: its resource name, URN and fixed address. */
    public record Machine(String name, String urn, String privateIp) {
    }

    static final String INSTANCE = "aws:ec2/instance:Instance";
    static final String ROOT = "pulumi:pulumi:Stack";

    private RollPlan() {
    }

    /**
     * The machines of a role, in index order, with URNs built the way the engine builds them:
     * {@code urn:pulumi:<stack>::<project>::<parent types, root stack excluded, joined by $>$<type>::<name>}
     * (pulumi/pulumi sdk/go/common/resource/urn.go NewURN).
     */
    public static List<Machine> machines(String project, String stack, Role role, ClusterSpec spec,
                                         List<PlannedResource> resources) {
        Map<String, PlannedResource> byName = resources.stream().filter(r -> !r.type().startsWith("aws:"))
                .collect(Collectors.toMap(PlannedResource::name, Function.identity(), (a, b) -> a));
        List<String> ips = role == Role.masters ? spec.masterIps() : spec.controllerIps();
        List<Machine> out = new ArrayList<>();
        List<PlannedResource> instances = resources.stream()
                .filter(r -> r.type().equals(INSTANCE) && role.label.equals(r.tags().get("kilonode:role")))
                .sorted(java.util.Comparator.comparing(PlannedResource::name))
                .toList();
        for (PlannedResource r : instances) {
            List<String> chain = new ArrayList<>();
            chain.add(r.type());
            String parent = r.parent();
            while (parent != null && byName.containsKey(parent) && !byName.get(parent).type().equals(ROOT)) {
                PlannedResource p = byName.get(parent);
                chain.add(0, p.type());
                parent = p.parent();
            }
            String ip = String.valueOf(r.inputs().get("privateIp"));
            if (!ips.contains(ip)) {
                throw new IllegalStateException(r.name() + " has address " + ip + ", not one of " + ips);
            }
            out.add(new Machine(r.name(), "urn:pulumi:" + stack + "::" + project + "::" + String.join("$", chain)
                    + "::" + r.name(), ip));
        }
        return out;
    }

    /** The runbook: checks, one targeted replace per machine, checks again; stops at the first failure. */
    public static String render(String stack, Role role, List<Machine> machines) {
        StringBuilder s = new StringBuilder();
        int n = machines.size();
        s.append("#!/usr/bin/env bash\n");
        s.append("# shellcheck disable=SC2016 # URNs carry a literal '$' (the engine's type delimiter): single quotes on purpose\n");
        s.append("# kilonode roll ").append(role.name()).append(" --stack ").append(stack).append(": replace the ")
                .append(n).append(' ').append(role.label).append(n == 1 ? "" : "s")
                .append(" one at a time with the stack's current settings.\n");
        s.append("# Run from a host that reaches the API (admin CIDR or inside the VPC), with the stack's AWS credentials.\n");
        s.append("# Each replace is delete-before-replace (fixed private IP): the machine is gone until its successor boots.\n");
        s.append("set -euo pipefail\n\n");
        s.append("# Wait (bounded, 30 min) until N control-plane nodes are Ready and the API server's etcd check passes.\n");
        s.append("kn_wait_control_plane() {\n");
        s.append("  local want=$1 ready=0\n");
        s.append("  for _ in $(seq 1 180); do\n");
        s.append("    ready=$(kubectl get nodes -l node-role.kubernetes.io/control-plane --no-headers 2>/dev/null | awk '$2 == \"Ready\"' | wc -l) || ready=0\n");
        s.append("    if [[ $ready -eq $want ]] && kubectl get --raw='/readyz/etcd' >/dev/null 2>&1; then return 0; fi\n");
        s.append("    sleep 10\n");
        s.append("  done\n");
        s.append("  echo \"control plane not healthy after 30 min ($ready of $want nodes Ready): stopping the roll\" >&2\n");
        s.append("  return 1\n");
        s.append("}\n");
        s.append("# Wait (bounded, 30 min) until the Tungsten Fabric config API answers on the controller's address (8082;\n");
        s.append("# run from inside the VPC, e.g. a Session Manager shell on a master).\n");
        s.append("kn_wait_tf_controller() {\n");
        s.append("  local ip=$1\n");
        s.append("  for _ in $(seq 1 180); do\n");
        s.append("    if kubectl get --raw='/readyz' >/dev/null 2>&1 && nc -z -w 5 \"$ip\" 8082; then return 0; fi\n");
        s.append("    sleep 10\n");
        s.append("  done\n");
        s.append("  echo \"TF controller $ip not answering on 8082 after 30 min: stopping the roll\" >&2\n");
        s.append("  return 1\n");
        s.append("}\n\n");
        int masters = role == Role.masters ? n : -1;
        for (int i = 0; i < n; i++) {
            Machine m = machines.get(i);
            s.append("# --- ").append(i + 1).append('/').append(n).append(": ").append(m.name()).append(" (")
                    .append(m.privateIp()).append(") ---\n");
            s.append("# Before: everything healthy.\n");
            s.append(role == Role.masters ? "kn_wait_control_plane " + masters + "\n"
                    : "kn_wait_tf_controller " + m.privateIp() + "\n");
            if (role == Role.masters && n > 1) {
                String other = machines.get(i == 0 ? 1 : 0).name();
                s.append("# etcd: remove this master's member first, from a healthy master (README, restore runbook step 3).\n");
                s.append("# In a Session Manager shell on ").append(other).append(" (aws ssm start-session --target <its instance id>):\n");
                s.append("#   ETCDCTL='crictl exec $(crictl ps --name ^etcd$ -q) etcdctl --endpoints https://127.0.0.1:2379 "
                        + "--cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/server.crt "
                        + "--key /etc/kubernetes/pki/etcd/server.key'\n");
                s.append("#   id=$($ETCDCTL member list | awk -F', ' '$4 == \"https://").append(m.privateIp())
                        .append(":2380\" {print $1}'); [ -n \"$id\" ] && $ETCDCTL member remove \"$id\"\n");
                s.append("read -r -p 'etcd member of ").append(m.privateIp()).append(" removed? [y/N] ' ok; [[ $ok == y ]]\n");
            }
            s.append("pulumi up --stack ").append(stack).append(" --yes --config kilonode:rollMachines=").append(m.name())
                    .append(" \\\n  --replace '").append(m.urn()).append("' \\\n  --target '").append(m.urn())
                    .append("' --target-dependents\n");
            s.append("# After: the new machine is healthy before the next one is touched.\n");
            s.append(role == Role.masters ? "kn_wait_control_plane " + masters + "\n"
                    : "kn_wait_tf_controller " + m.privateIp() + "\n");
            s.append('\n');
        }
        s.append("# Done: machines follow `pulumi up` again only through the next roll.\n");
        s.append("pulumi config rm --stack ").append(stack).append(" kilonode:rollMachines\n");
        s.append("pulumi preview --stack ").append(stack).append(" --diff\n");
        return s.toString();
    }
}
