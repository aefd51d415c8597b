package dev.kilonode.network;

import dev.kilonode.config.NetworkSpec;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the network needs from the spec.
 *
 * @param natPerZone one NAT gateway per zone (production: a zone outage keeps the others' egress) or one shared (cheaper)
 * @param tagsForRole tags for a resource of a role (null role: shared network resources)
 */
public record NetworkArgs(NetworkSpec network, List<String> availabilityZones, boolean natPerZone,
                          Function<String, Map<String, String>> tagsForRole) {
}
