package dev.kilonode.network;

import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The security groups as registered: nothing open to the world, and every flow a role needs is there. */
class SecurityGroupRulesTest {

    static final String INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

    record Flow(String target, String protocol, Integer from, Integer to, String sourceGroup, String cidr) {
    }

    static List<Flow> flows(Stacks.Plan plan) {
        Map<String, String> groupIdToRole = new java.util.HashMap<>();
        // MockCloud ids are "sg-<hash>"; map them back through the SecurityGroupIngressRule resource names instead.
        return plan.ofType(INGRESS).stream().map(r -> {
            String name = r.name(); // kilonode-<target>-from-<source>-...
            String target = name.substring("kilonode-".length(), name.indexOf("-from-"));
            String rest = name.substring(name.indexOf("-from-") + 6);
            String source = rest.startsWith("cidr") ? null : roleOf(rest);
            Map<String, Object> in = r.inputs();
            return new Flow(target, (String) in.get("ipProtocol"), (Integer) in.get("fromPort"), (Integer) in.get("toPort"),
                    source, (String) in.get("cidrIpv4"));
        }).toList();
    }

    private static String roleOf(String rest) {
        for (Role role : Role.values()) {
            if (rest.startsWith(role.tag() + "-")) {
                return role.tag();
            }
        }
        throw new AssertionError("unknown source in " + rest);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "scale"})
    void nothingIsOpenToTheWorld(String stack) {
        Stacks.Plan plan = Stacks.plan(stack);
        for (PlannedResource r : plan.ofType(INGRESS)) {
            assertThat(r.inputs().get("cidrIpv4")).as(r.name()).isNotEqualTo("0.0.0.0/0");
            assertThat(r.inputs().get("cidrIpv6")).as(r.name()).isNull();
        }
        for (PlannedResource sg : plan.ofType("aws:ec2/securityGroup:SecurityGroup")) {
            assertThat(sg.inputs()).as("inline rules would hide flows").doesNotContainKey("ingress");
        }
    }

    @Test
    void everyFlowTheRolesNeedIsAllowedAndEtcdOnlyBetweenMasters() {
        List<Flow> flows = flows(Stacks.plan("scale"));
        assertThat(flows).contains(
                new Flow("master", "tcp", 6443, 6443, "worker", null),
                new Flow("master", "tcp", 6443, 6443, "api-lb", null),
                new Flow("master", "tcp", 2379, 2380, "master", null),
                new Flow("master", "tcp", 2382, 2383, "master", null),
                new Flow("worker", "tcp", 10250, 10250, "master", null),
                new Flow("worker", "udp", 4789, 4789, "worker", null),
                new Flow("worker", "udp", 6635, 6635, "worker", null),
                new Flow("worker", "47", null, null, "worker", null),
                new Flow("tf-controller", "tcp", 5269, 5269, "worker", null),
                new Flow("tf-controller", "tcp", 8093, 8093, "worker", null),
                new Flow("tf-controller", "udp", 53, 53, "worker", null),
                new Flow("tf-controller", "tcp", 8082, 8082, "master", null),
                new Flow("tf-controller", "tcp", 8086, 8086, "worker", null),
                new Flow("tf-controller", "tcp", 8081, 8081, "master", null),
                new Flow("tf-controller", "tcp", 179, 179, "tf-controller", null),
                new Flow("tf-controller", "tcp", 8143, 8143, "api-lb", null),
                new Flow("api-lb", "tcp", 6443, 6443, null, "203.0.113.0/24"),
                new Flow("api-lb", "tcp", 8143, 8143, null, "203.0.113.0/24"));
        // etcd's ports admit the master group and nothing else.
        assertThat(flows).filteredOn(f -> f.from() != null && f.from() <= 2383 && f.to() >= 2379)
                .allSatisfy(f -> assertThat(f.sourceGroup()).isEqualTo("master"));
        // Admin CIDRs reach only the load balancer's listeners.
        assertThat(flows).filteredOn(f -> "203.0.113.0/24".equals(f.cidr()))
                .allSatisfy(f -> assertThat(f.target()).isEqualTo("api-lb"));
    }

    /** The vRouter agent runs on masters too: XMPP to the controllers and the overlay in both directions. */
    @Test
    void mastersGetTheVrouterAgentsFlows() {
        List<Flow> flows = flows(Stacks.plan("scale"));
        var overlay = dev.kilonode.release.NetworkReleases.table().defaultRow().overlay();
        assertThat(flows).contains(
                new Flow("tf-controller", "tcp", overlay.xmppPort(), overlay.xmppPort(), "master", null),
                new Flow("tf-controller", "tcp", 8093, 8093, "master", null),
                new Flow("tf-controller", "udp", 53, 53, "master", null),
                new Flow("master", "tcp", 8085, 8085, "tf-controller", null));
        for (String a : List.of("master", "worker")) {
            for (String b : List.of("master", "worker")) {
                assertThat(flows).contains(
                        new Flow(a, "udp", overlay.mplsOverUdpPort(), overlay.mplsOverUdpPort(), b, null),
                        new Flow(a, "udp", overlay.vxlanPort(), overlay.vxlanPort(), b, null),
                        new Flow(a, "47", null, null, b, null));
            }
        }
    }

    @Test
    void withoutAdminCidrsThereIsNoPublicListenerOrLoadBalancer() {
        var config = Stacks.config("dev");
        config.put("kilonode:apiAllowedCidrs", "[]");
        config.put("kilonode:webUiAllowedCidrs", "[]");
        Stacks.Plan plan = Stacks.plan("dev", config);
        assertThat(flows(plan)).noneMatch(f -> f.cidr() != null && !f.cidr().equals("10.0.0.0/16"));
        assertThat(plan.ofType("aws:lb/loadBalancer:LoadBalancer")).singleElement()
                .satisfies(lb -> assertThat(lb.inputs().get("internal")).isEqualTo(true));
    }
}
