package dev.kilonode.master;

import com.pulumi.aws.route53.Record;
import com.pulumi.aws.route53.RecordArgs;
import com.pulumi.aws.route53.Zone;
import com.pulumi.aws.route53.ZoneArgs;
import com.pulumi.aws.route53.inputs.RecordAliasArgs;
import com.pulumi.aws.route53.inputs.ZoneVpcArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;
import com.pulumi.resources.Resource;
import dev.kilonode.config.ApiNameSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes API's one stable name, {@code api.<apiDomain>}, in Route 53: a private hosted zone for the domain,
 * associated with the VPC, with an alias A record to the internal load balancer; and, while admin CIDRs open the
 * public endpoint, the same name in the given public zone as an alias to the public load balancer (split horizon:
 * inside the VPC the private zone answers, outside the public one).
 *
 * <p>Why a name and not a load balancer's DNS name: pulumi-kubernetes 4.0.0 replaces its provider - and every object
 * it manages, the vRouter DaemonSet that carries pod networking included - when the active cluster of the kubeconfig
 * changes (provider/pkg/provider/provider.go DiffConfig). A replaced load balancer only updates the alias (the
 * record's alias is updated in place; only zone_id and name are ForceNew: terraform-provider-aws
 * internal/service/route53/record.go), so the kubeconfig and the nodes' configuration stay the same.
 */
public class ApiName extends ComponentResource {

    public static final String TYPE = "kilonode:master:ApiName";

    /**
     * @param vpcId the VPC that resolves the private zone (it has enableDnsSupport and enableDnsHostnames:
     *              network.Network; a private zone answers only in VPCs with both, Route 53 developer guide,
     *              "Considerations when working with a private hosted zone")
     */
    public record Args(ApiNameSpec spec, Output<String> vpcId, ApiLoadBalancer loadBalancers, Map<String, String> tags) {
    }

    private final ApiNameSpec spec;
    private final Record privateRecord;
    private final List<Record> records = new ArrayList<>();

    public ApiName(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        this.spec = args.spec();
        var opts = CustomResourceOptions.builder().parent(this).build();
        ApiLoadBalancer lbs = args.loadBalancers();

        Zone zone = new Zone(name + "-private", ZoneArgs.builder()
                .name(spec.domain())
                .comment("kilonode: the Kubernetes API's name inside the VPC")
                .vpcs(ZoneVpcArgs.builder().vpcId(args.vpcId()).build())
                .tags(args.tags())
                .build(), opts);
        this.privateRecord = alias(name + "-private", zone.zoneId(), lbs.internalDnsName(), lbs.internalZoneId(), opts);
        records.add(privateRecord);

        if (spec.publicZoneId().isPresent()) {
            Output<String> lbName = lbs.publicDnsName().orElseThrow(() -> new IllegalArgumentException(
                    "kilonode:apiPublicZoneId is set but there is no public API load balancer (kilonode:apiAllowedCidrs)"));
            Output<String> lbZone = lbs.publicZoneId().orElseThrow();
            records.add(alias(name + "-public", Output.of(spec.publicZoneId().get()), lbName, lbZone, opts));
        }
        registerOutputs(Map.of("url", Output.of(spec.url())));
    }

    private Record alias(String resourceName, Output<String> zoneId, Output<String> target, Output<String> targetZone,
                         CustomResourceOptions opts) {
        return new Record(resourceName, RecordArgs.builder()
                .zoneId(zoneId)
                .name(spec.host())
                .type("A")
                .aliases(RecordAliasArgs.builder()
                        .name(target)
                        .zoneId(targetZone)
                        // A lone record whose target has no healthy API server is still answered: when no record of
                        // a group is healthy Route 53 treats them all as healthy (Route 53 Developer Guide, "How Amazon
                        // Route 53 chooses records when health checking is configured"), so master 0's kubeadm init,
                        // which dials this name before its target is healthy, resolves it.
                        .evaluateTargetHealth(true)
                        .build())
                .build(), opts);
    }

    /** {@code api.<apiDomain>}. */
    public String host() {
        return spec.host();
    }

    /**
     * {@code api.<apiDomain>}, resolved once the private record exists: what nodes get (a node that asked before
     * the record existed would be answered NXDOMAIN and cache it for the zone's negative TTL). The record's id
     * (zone, name, type) is all it waits for: an alias update (a replaced load balancer) keeps it, and with it this
     * value, known in a preview.
     */
    public Output<String> publishedHost() {
        return privateRecord.id().applyValue(id -> spec.host());
    }

    /** {@code https://api.<apiDomain>:6443}, resolved once the private record exists (see {@link #publishedHost}). */
    public Output<String> publishedUrl() {
        return privateRecord.id().applyValue(id -> spec.url());
    }

    /** Every record of the name (private, and public when there is one): what clients outside the VPC wait for. */
    public List<Resource> records() {
        return List.copyOf(records);
    }

    /** Completes (with the record ids) once every record exists. */
    public Output<List<String>> recordIds() {
        return Output.all(records.stream().map(Record::id).toList());
    }
}
