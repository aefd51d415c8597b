package dev.kilonode.network;

import dev.kilonode.config.NetworkSpec;

import java.util.ArrayList;
import java.util.List;

import static dev.kilonode.network.IngressRule.fromCidrs;
import static dev.kilonode.network.IngressRule.fromRole;
import static dev.kilonode.network.Role.API_LB;
import static dev.kilonode.network.Role.MASTER;
import static dev.kilonode.network.Role.TF_CONTROLLER;
import static dev.kilonode.network.Role.WORKER;

/**
 * Every flow the cluster needs between roles, and nothing more. Sources:
 * Kubernetes "Ports and Protocols" (kubernetes.io/docs/reference/networking/ports-and-protocols/): API 6443,
 * etcd 2379-2380 (control plane only), kubelet 10250, NodePort 30000-32767;
 * Tungsten Fabric / Contrail "Roles, Daemons, Ports" (Juniper contrail-controller wiki): config API 8082,
 * analytics API 8081, collector 8086, control XMPP 5269, DNS XMPP 8093, named 53, BGP 179 between control nodes,
 * web UI 8143, vRouter agent introspect 8085, config database (Cassandra 9161/9041, ZooKeeper 2181, RabbitMQ 5673)
 * read by contrail-kube-manager; vRouter overlay between computes: MPLS over UDP 6635, VXLAN 4789, MPLS over GRE.
 * The kube-scheduler (10259) and controller-manager (10257) listen on localhost only and need no rule.
 * The vRouter agent runs on masters too (ContrailCni), so masters get the agent's flows: XMPP and DNS to the
 * controllers, introspect from them, and the overlay with every other node. The overlay ports are the network
 * release's ({@code overlay} in release/network-releases.json; SecurityGroupRulesTest keeps them equal).
 */
public final class SecurityRules {

    /** MPLS over UDP and VXLAN destination ports (tf-vrouter include/vr_mpls.h), control XMPP port (common.sh). */
    public static final int MPLS_OVER_UDP = 6635;
    public static final int VXLAN = 4789;
    public static final int XMPP = 5269;

    private SecurityRules() {
    }

    public static List<IngressRule> forNetwork(NetworkSpec network) {
        List<IngressRule> rules = new ArrayList<>();
        String vpc = network.vpcCidr().toString();

        // API load balancer: the only listeners reachable from outside the VPC, and only from the admin CIDRs.
        if (!network.apiAllowedCidrs().isEmpty()) {
            rules.add(fromCidrs(API_LB, "tcp", 6443, 6443, network.apiAllowedCidrs(), "public-listener: Kubernetes API from admin networks"));
        }
        if (!network.webUiAllowedCidrs().isEmpty()) {
            rules.add(fromCidrs(API_LB, "tcp", 8143, 8143, network.webUiAllowedCidrs(), "public-listener: Tungsten Fabric web UI from admin networks"));
        }
        rules.add(fromRole(API_LB, "tcp", 6443, 6443, WORKER, "Kubernetes API from kubelets and pods on workers"));
        rules.add(fromRole(API_LB, "tcp", 6443, 6443, MASTER, "Kubernetes API from masters (joining control-plane nodes)"));

        // Masters.
        rules.add(fromRole(MASTER, "tcp", 6443, 6443, API_LB, "Kubernetes API through the load balancers"));
        rules.add(fromRole(MASTER, "tcp", 6443, 6443, MASTER, "Kubernetes API between masters"));
        rules.add(fromRole(MASTER, "tcp", 6443, 6443, WORKER, "Kubernetes API direct from workers"));
        rules.add(fromRole(MASTER, "tcp", 2379, 2380, MASTER, "etcd client and peer, masters only"));
        // Always present (masters only), so the resource count does not change when the events etcd turns on.
        rules.add(fromRole(MASTER, "tcp", 2382, 2383, MASTER, "events etcd client and peer, masters only (report 001)"));
        rules.add(fromRole(MASTER, "tcp", 10250, 10250, MASTER, "kubelet API from the API servers"));

        // Workers.
        rules.add(fromRole(WORKER, "tcp", 10250, 10250, MASTER, "kubelet API (logs, exec) from the API servers"));
        // vRouter overlay between every pair of node roles that run the agent (workers and masters).
        for (Role to : List.of(WORKER, MASTER)) {
            for (Role from : List.of(WORKER, MASTER)) {
                String pair = from.tag() + " to " + to.tag();
                rules.add(fromRole(to, "udp", MPLS_OVER_UDP, MPLS_OVER_UDP, from, "vRouter overlay: MPLS over UDP, " + pair));
                rules.add(fromRole(to, "udp", VXLAN, VXLAN, from, "vRouter overlay: VXLAN, " + pair));
                rules.add(fromRole(to, "47", 0, 0, from, "vRouter overlay: MPLS over GRE, " + pair));
            }
            rules.add(fromRole(to, "tcp", 8085, 8085, TF_CONTROLLER, "vRouter agent introspect on " + to.tag()
                    + ", polled by analytics and the web UI"));
        }
        rules.add(fromCidrs(WORKER, "tcp", 30000, 32767, List.of(vpc), "Kubernetes NodePort services from inside the VPC"));

        // Tungsten Fabric controllers.
        for (Role agent : List.of(WORKER, MASTER)) {
            rules.add(fromRole(TF_CONTROLLER, "tcp", XMPP, XMPP, agent, "XMPP from vRouter agents on " + agent.tag() + " to the control node"));
            rules.add(fromRole(TF_CONTROLLER, "tcp", 8093, 8093, agent, "DNS XMPP from vRouter agents on " + agent.tag() + " to contrail-dns"));
            rules.add(fromRole(TF_CONTROLLER, "udp", 53, 53, agent, "DNS (contrail-named) from " + agent.tag()));
            rules.add(fromRole(TF_CONTROLLER, "tcp", 53, 53, agent, "DNS over TCP (contrail-named) from " + agent.tag()));
        }
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8082, 8082, WORKER, "config API: vRouter registration at start"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8086, 8086, WORKER, "analytics collector from vRouter agents and node managers"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8082, 8082, MASTER, "config API from contrail-kube-manager"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8081, 8081, MASTER, "analytics API from contrail-kube-manager and operators on masters"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8086, 8086, MASTER, "analytics collector from node managers on masters"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 2181, 2181, MASTER, "ZooKeeper from contrail-kube-manager"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 9161, 9161, MASTER, "config Cassandra (thrift) from contrail-kube-manager"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 9041, 9041, MASTER, "config Cassandra (CQL) from contrail-kube-manager"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 5673, 5673, MASTER, "RabbitMQ from contrail-kube-manager"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 179, 179, TF_CONTROLLER, "BGP between control nodes"));
        rules.add(fromRole(TF_CONTROLLER, "-1", 0, 0, TF_CONTROLLER,
                "TF cluster traffic between controllers (Cassandra, ZooKeeper, RabbitMQ, Redis, Kafka)"));
        rules.add(fromRole(TF_CONTROLLER, "tcp", 8143, 8143, API_LB, "web UI through the public load balancer"));
        return List.copyOf(rules);
    }
}
