package dev.kilonode.network;

import com.pulumi.aws.ec2.Eip;
import com.pulumi.aws.ec2.EipArgs;
import com.pulumi.aws.ec2.InternetGateway;
import com.pulumi.aws.ec2.InternetGatewayArgs;
import com.pulumi.aws.ec2.NatGateway;
import com.pulumi.aws.ec2.NatGatewayArgs;
import com.pulumi.aws.ec2.RouteTable;
import com.pulumi.aws.ec2.RouteTableArgs;
import com.pulumi.aws.ec2.RouteTableAssociation;
import com.pulumi.aws.ec2.RouteTableAssociationArgs;
import com.pulumi.aws.ec2.SecurityGroup;
import com.pulumi.aws.ec2.SecurityGroupArgs;
import com.pulumi.aws.ec2.Subnet;
import com.pulumi.aws.ec2.SubnetArgs;
import com.pulumi.aws.ec2.Vpc;
import com.pulumi.aws.ec2.VpcArgs;
import com.pulumi.aws.ec2.inputs.RouteTableRouteArgs;
import com.pulumi.aws.vpc.SecurityGroupEgressRule;
import com.pulumi.aws.vpc.SecurityGroupEgressRuleArgs;
import com.pulumi.aws.vpc.SecurityGroupIngressRule;
import com.pulumi.aws.vpc.SecurityGroupIngressRuleArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The VPC: a public and a private subnet per zone, an internet gateway, NAT for the private subnets, route tables,
 * and one security group per role with the least-privilege flows of {@link SecurityRules}. Machines live in the
 * private subnets; only NAT gateways and the public API load balancer use the public ones.
 */
public class Network extends ComponentResource {

    public static final String TYPE = "kilonode:network:Network";

    private final Output<String> vpcId;
    private final List<Output<String>> publicSubnetIds = new ArrayList<>();
    private final List<Output<String>> privateRouteTableIds = new ArrayList<>();
    private final List<Output<String>> privateSubnetIds = new ArrayList<>();
    private final Map<Role, Output<String>> securityGroupIds = new EnumMap<>(Role.class);

    public Network(String name, NetworkArgs args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        var child = CustomResourceOptions.builder().parent(this).build();
        var net = args.network();

        Vpc vpc = new Vpc(name + "-vpc", VpcArgs.builder()
                .cidrBlock(net.vpcCidr().toString())
                .enableDnsSupport(true)
                .enableDnsHostnames(true)
                .tags(withName(args, null, name + "-vpc"))
                .build(), child);
        this.vpcId = vpc.id();

        InternetGateway igw = new InternetGateway(name + "-igw", InternetGatewayArgs.builder()
                .vpcId(vpc.id())
                .tags(withName(args, null, name + "-igw"))
                .build(), child);

        RouteTable publicRoutes = new RouteTable(name + "-public", RouteTableArgs.builder()
                .vpcId(vpc.id())
                .routes(RouteTableRouteArgs.builder().cidrBlock("0.0.0.0/0").gatewayId(igw.id()).build())
                .tags(withName(args, null, name + "-public"))
                .build(), child);

        List<NatGateway> nats = new ArrayList<>();
        List<String> zones = args.availabilityZones();
        for (int i = 0; i < zones.size(); i++) {
            String zone = zones.get(i);
            Subnet pub = new Subnet(name + "-public-" + zone, SubnetArgs.builder()
                    .vpcId(vpc.id())
                    .availabilityZone(zone)
                    .cidrBlock(net.publicSubnet(i).toString())
                    .mapPublicIpOnLaunch(false)
                    .tags(withName(args, null, name + "-public-" + zone))
                    .build(), child);
            publicSubnetIds.add(pub.id());
            new RouteTableAssociation(name + "-public-" + zone, RouteTableAssociationArgs.builder()
                    .subnetId(pub.id()).routeTableId(publicRoutes.id()).build(), child);
            if (args.natPerZone() || i == 0) {
                Eip eip = new Eip(name + "-nat-" + zone, EipArgs.builder()
                        .domain("vpc")
                        .tags(withName(args, null, name + "-nat-" + zone))
                        .build(), child);
                nats.add(new NatGateway(name + "-nat-" + zone, NatGatewayArgs.builder()
                        .allocationId(eip.id())
                        .subnetId(pub.id())
                        .tags(withName(args, null, name + "-nat-" + zone))
                        .build(), CustomResourceOptions.builder().parent(this).dependsOn(igw).build()));
            }
        }
        for (int i = 0; i < zones.size(); i++) {
            String zone = zones.get(i);
            Subnet priv = new Subnet(name + "-private-" + zone, SubnetArgs.builder()
                    .vpcId(vpc.id())
                    .availabilityZone(zone)
                    .cidrBlock(net.privateSubnet(i).toString())
                    .tags(withName(args, null, name + "-private-" + zone))
                    .build(), child);
            privateSubnetIds.add(priv.id());
            NatGateway nat = nats.get(args.natPerZone() ? i : 0);
            RouteTable routes = new RouteTable(name + "-private-" + zone, RouteTableArgs.builder()
                    .vpcId(vpc.id())
                    .routes(RouteTableRouteArgs.builder().cidrBlock("0.0.0.0/0").natGatewayId(nat.id()).build())
                    .tags(withName(args, null, name + "-private-" + zone))
                    .build(), child);
            new RouteTableAssociation(name + "-private-" + zone, RouteTableAssociationArgs.builder()
                    .subnetId(priv.id()).routeTableId(routes.id()).build(), child);
            privateRouteTableIds.add(routes.id());
        }

        for (Role role : Role.values()) {
            SecurityGroup sg = new SecurityGroup(name + "-" + role.tag(), SecurityGroupArgs.builder()
                    .vpcId(vpc.id())
                    .description("kilonode " + role.tag())
                    .tags(withName(args, role.tag(), name + "-" + role.tag()))
                    .build(), child);
            securityGroupIds.put(role, sg.id());
            // Egress stays open: nodes pull packages and images and reach AWS APIs through NAT.
            new SecurityGroupEgressRule(name + "-" + role.tag() + "-egress", SecurityGroupEgressRuleArgs.builder()
                    .securityGroupId(sg.id())
                    .ipProtocol("-1")
                    .cidrIpv4("0.0.0.0/0")
                    .description("all egress")
                    .tags(args.tagsForRole().apply(role.tag()))
                    .build(), child);
        }
        for (IngressRule rule : SecurityRules.forNetwork(net)) {
            registerIngress(name, rule, args, child);
        }

        registerOutputs(Map.of(
                "vpcId", vpcId,
                "publicSubnetIds", Output.all(publicSubnetIds),
                "privateSubnetIds", Output.all(privateSubnetIds)));
    }

    private void registerIngress(String name, IngressRule rule, NetworkArgs args, CustomResourceOptions child) {
        boolean portless = "-1".equals(rule.protocol()) || "47".equals(rule.protocol());
        if (rule.sourceRole().isPresent()) {
            var b = SecurityGroupIngressRuleArgs.builder()
                    .securityGroupId(securityGroupIds.get(rule.target()))
                    .referencedSecurityGroupId(securityGroupIds.get(rule.sourceRole().get()))
                    .ipProtocol(rule.protocol())
                    .description(rule.description())
                    .tags(args.tagsForRole().apply(rule.target().tag()));
            if (!portless) {
                b.fromPort(rule.fromPort()).toPort(rule.toPort());
            }
            new SecurityGroupIngressRule(name + "-" + rule.nameStem(), b.build(), child);
            return;
        }
        for (String cidr : rule.sourceCidrs()) {
            var b = SecurityGroupIngressRuleArgs.builder()
                    .securityGroupId(securityGroupIds.get(rule.target()))
                    .cidrIpv4(cidr)
                    .ipProtocol(rule.protocol())
                    .description(rule.description())
                    .tags(args.tagsForRole().apply(rule.target().tag()));
            if (!portless) {
                b.fromPort(rule.fromPort()).toPort(rule.toPort());
            }
            new SecurityGroupIngressRule(name + "-" + rule.nameStem() + "-" + cidr.replace('/', '-').replace('.', '-'),
                    b.build(), child);
        }
    }

    private static Map<String, String> withName(NetworkArgs args, String role, String resourceName) {
        Map<String, String> tags = new java.util.LinkedHashMap<>(args.tagsForRole().apply(role));
        tags.put("Name", resourceName);
        return tags;
    }

    public Output<String> vpcId() {
        return vpcId;
    }

    public List<Output<String>> publicSubnetIds() {
        return List.copyOf(publicSubnetIds);
    }

    public List<Output<String>> privateSubnetIds() {
        return List.copyOf(privateSubnetIds);
    }

    /** For gateway endpoints (S3): the private subnets' route tables. */
    public List<Output<String>> privateRouteTableIds() {
        return List.copyOf(privateRouteTableIds);
    }

    public Output<String> securityGroupId(Role role) {
        return securityGroupIds.get(role);
    }
}
