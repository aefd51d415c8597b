package dev.kilonode.master;

import com.pulumi.aws.lb.Listener;
import com.pulumi.aws.lb.ListenerArgs;
import com.pulumi.aws.lb.LoadBalancer;
import com.pulumi.aws.lb.LoadBalancerArgs;
import com.pulumi.aws.lb.TargetGroup;
import com.pulumi.aws.lb.TargetGroupArgs;
import com.pulumi.aws.lb.inputs.ListenerDefaultActionArgs;
import com.pulumi.aws.lb.inputs.TargetGroupHealthCheckArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Kubernetes API endpoint: an internal network load balancer that every node reaches through the API's stable
 * name ({@link ApiName}: kubeadm's controlPlaneEndpoint, so masters can be replaced and a third can join), and an
 * internet-facing one only when the config names admin CIDRs (its security group admits only them). Both keep idle TCP connections for the tuning
 * profile's idle timeout (report 002: a proxy that cut idle watches after 3 s drove the API servers to 2,000 % CPU).
 * The public one also carries the Tungsten Fabric web UI (8143) when webUiAllowedCidrs is set.
 */
public class ApiLoadBalancer extends ComponentResource {

    public static final String TYPE = "kilonode:master:ApiLoadBalancer";

    public record Args(Output<String> vpcId, List<Output<String>> privateSubnetIds, List<Output<String>> publicSubnetIds,
                       Output<String> securityGroupId, boolean publicApi, boolean publicWebUi, int idleTimeoutSeconds,
                       Map<String, String> tags) {
    }

    private final Output<String> internalDnsName;
    private final Output<String> internalZoneId;
    private final Optional<Output<String>> publicZoneId;
    private final Optional<Output<String>> publicDnsName;
    private final Optional<Output<String>> publicLoadBalancerDnsName;
    private final Output<String> apiTargetGroupArn;
    private final Optional<Output<String>> webUiTargetGroupArn;

    public ApiLoadBalancer(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        var opts = CustomResourceOptions.builder().parent(this).build();

        TargetGroup api = new TargetGroup(name + "-api", TargetGroupArgs.builder()
                .port(6443).protocol("TCP").targetType("instance").vpcId(args.vpcId())
                // Without this a master that dials the endpoint can be sent to itself and the hairpinned
                // connection fails; the masters' security group admits the load balancer's group instead.
                .preserveClientIp("false")
                .connectionTermination(true)
                .deregistrationDelay(60)
                .healthCheck(TargetGroupHealthCheckArgs.builder()
                        .protocol("HTTPS").path("/readyz").port("6443").matcher("200")
                        .interval(10).healthyThreshold(2).unhealthyThreshold(2).build())
                .tags(args.tags())
                .build(), opts);
        this.apiTargetGroupArn = api.arn();

        LoadBalancer internal = nlb(name + "-internal", true, args.privateSubnetIds(), args, opts);
        listener(name + "-internal-api", internal, 6443, api, args, opts);
        this.internalDnsName = internal.dnsName();
        this.internalZoneId = internal.zoneId();

        if (args.publicApi() || args.publicWebUi()) {
            LoadBalancer pub = nlb(name + "-public", false, args.publicSubnetIds(), args, opts);
            // The public API endpoint exists only with a 6443 listener: a load balancer opened for the web UI alone
            // is no API endpoint, and the provider, readiness gate and certificate names must not use it.
            this.publicDnsName = args.publicApi() ? Optional.of(pub.dnsName()) : Optional.empty();
            this.publicZoneId = args.publicApi() ? Optional.of(pub.zoneId()) : Optional.empty();
            this.publicLoadBalancerDnsName = Optional.of(pub.dnsName());
            if (args.publicApi()) {
                listener(name + "-public-api", pub, 6443, api, args, opts);
            }
            if (args.publicWebUi()) {
                TargetGroup webUi = new TargetGroup(name + "-webui", TargetGroupArgs.builder()
                        .port(8143).protocol("TCP").targetType("instance").vpcId(args.vpcId())
                        .preserveClientIp("false")
                        .healthCheck(TargetGroupHealthCheckArgs.builder().protocol("TCP").port("8143").build())
                        .tags(args.tags())
                        .build(), opts);
                listener(name + "-public-webui", pub, 8143, webUi, args, opts);
                this.webUiTargetGroupArn = Optional.of(webUi.arn());
            } else {
                this.webUiTargetGroupArn = Optional.empty();
            }
        } else {
            this.publicDnsName = Optional.empty();
            this.publicZoneId = Optional.empty();
            this.publicLoadBalancerDnsName = Optional.empty();
            this.webUiTargetGroupArn = Optional.empty();
        }
        registerOutputs(Map.of("internalDnsName", internalDnsName));
    }

    private static LoadBalancer nlb(String name, boolean internal, List<Output<String>> subnets, Args args,
                                    CustomResourceOptions opts) {
        return new LoadBalancer(name, LoadBalancerArgs.builder()
                .loadBalancerType("network")
                .internal(internal)
                .subnets(Output.all(subnets))
                .securityGroups(Output.all(List.of(args.securityGroupId())))
                // Masters may sit in fewer zones than clients.
                .enableCrossZoneLoadBalancing(true)
                .tags(args.tags())
                .build(), opts);
    }

    private static void listener(String name, LoadBalancer lb, int port, TargetGroup target, Args args,
                                 CustomResourceOptions opts) {
        new Listener(name, ListenerArgs.builder()
                .loadBalancerArn(lb.arn())
                .port(port)
                .protocol("TCP")
                .tcpIdleTimeoutSeconds(args.idleTimeoutSeconds())
                .defaultActions(ListenerDefaultActionArgs.builder().type("forward").targetGroupArn(target.arn()).build())
                .tags(args.tags())
                .build(), opts);
    }

    public Output<String> internalDnsName() {
        return internalDnsName;
    }

    /** The internal load balancer's Route 53 hosted zone (the alias target's zone, ELB's canonical hosted zone). */
    public Output<String> internalZoneId() {
        return internalZoneId;
    }

    /** The public load balancer's Route 53 hosted zone, when it is the public API endpoint. */
    public Optional<Output<String>> publicZoneId() {
        return publicZoneId;
    }

    /** The public API endpoint's host: present only when admin CIDRs open the API (apiAllowedCidrs). */
    public Optional<Output<String>> publicDnsName() {
        return publicDnsName;
    }

    /** The internet-facing load balancer's host, when there is one (public API and/or web UI). */
    public Optional<Output<String>> publicLoadBalancerDnsName() {
        return publicLoadBalancerDnsName;
    }

    public Output<String> apiTargetGroupArn() {
        return apiTargetGroupArn;
    }

    public Optional<Output<String>> webUiTargetGroupArn() {
        return webUiTargetGroupArn;
    }
}
