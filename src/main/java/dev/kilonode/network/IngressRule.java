package dev.kilonode.network;

import java.util.List;
import java.util.Optional;

/**
 * One allowed flow into a role: a protocol and port range from another role's security group or from CIDR blocks.
 * Descriptions starting {@code public-listener:} mark the only flows from outside the VPC (admin CIDRs to the load
 * balancer); the policy pack allows nothing else from outside.
 *
 * @param protocol "tcp", "udp", "47" (GRE) or "-1" (all)
 */
public record IngressRule(Role target, String protocol, int fromPort, int toPort, Optional<Role> sourceRole,
                          List<String> sourceCidrs, String description) {

    public static IngressRule fromRole(Role target, String protocol, int from, int to, Role source, String description) {
        return new IngressRule(target, protocol, from, to, Optional.of(source), List.of(), description);
    }

    public static IngressRule fromCidrs(Role target, String protocol, int from, int to, List<String> cidrs, String description) {
        return new IngressRule(target, protocol, from, to, Optional.empty(), List.copyOf(cidrs), description);
    }

    /** A short, stable resource-name stem for this rule. */
    public String nameStem() {
        String ports = fromPort == toPort ? String.valueOf(fromPort) : fromPort + "-" + toPort;
        String proto = switch (protocol) {
            case "-1" -> "all";
            case "47" -> "gre";
            default -> protocol;
        };
        String from = sourceRole.map(Role::tag).orElse("cidr");
        return target.tag() + "-from-" + from + "-" + proto + ("-1".equals(protocol) || "47".equals(protocol) ? "" : "-" + ports);
    }
}
