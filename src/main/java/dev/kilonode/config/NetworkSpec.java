package dev.kilonode.config;

import java.util.List;

/**
 * Address plan. Private subnet i is the i-th /(vpc+3) of the VPC (a /19 in a /16: room for 8,000 nodes per zone);
 * public subnet i is a /(vpc+8) carved from the last /(vpc+3), which holds only NAT gateways and the API load balancer.
 * Pods and services are Tungsten Fabric overlay addresses and never take VPC addresses.
 */
public record NetworkSpec(Cidr vpcCidr, Cidr podCidr, Cidr serviceCidr, List<String> apiAllowedCidrs,
                          List<String> webUiAllowedCidrs) {

    public static final int MAX_ZONES = 6;

    public Cidr privateSubnet(int zoneIndex) {
        return vpcCidr.subnet(3, zoneIndex);
    }

    public Cidr publicSubnet(int zoneIndex) {
        return vpcCidr.subnet(3, 7).subnet(5, zoneIndex);
    }

    /** Usable addresses in a private subnet: AWS reserves the first four and the last one. */
    public long usablePrivateAddresses() {
        return privateSubnet(0).size() - 5;
    }
}
