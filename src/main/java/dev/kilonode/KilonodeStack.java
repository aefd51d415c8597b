package dev.kilonode;

import com.pulumi.Context;
import com.pulumi.aws.Provider;
import com.pulumi.aws.ProviderArgs;
import com.pulumi.core.Output;
import com.pulumi.exceptions.RunException;
import com.pulumi.resources.ComponentResourceOptions;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.config.SecretKeys;
import dev.kilonode.config.WorkerGroupSpec;
import dev.kilonode.backup.EtcdBackupBucket;
import dev.kilonode.bake.BakedNodeImage;
import dev.kilonode.cni.ClusterAddons;
import dev.kilonode.controller.TungstenFabricController;
import dev.kilonode.master.ApiLoadBalancer;
import dev.kilonode.master.ApiName;
import dev.kilonode.master.KubernetesMaster;
import dev.kilonode.nodegroup.NodeGroup;
import dev.kilonode.images.BringUp;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.images.ImageSupply;
import dev.kilonode.pki.ClusterSecrets;
import dev.kilonode.kubernetes.ControlPlaneChange;
import dev.kilonode.kubernetes.ReadinessGate;
import dev.kilonode.scaleout.JoinPacing;
import dev.kilonode.scaleout.ScaleOutRamp;
import dev.kilonode.secrets.CaCertHash;
import dev.kilonode.network.Network;
import dev.kilonode.network.NetworkArgs;
import dev.kilonode.network.Role;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack program. Data flows one way: stack config -> {@link ClusterSpec} (all validation) -> {@link TuningProfile}
 * (derived from size) -> components -> stack outputs. Components get what they need as arguments.
 */
public final class KilonodeStack {

    private KilonodeStack() {
    }

    /** "kilonode:caKey" -> "caKey" (Config instances are per namespace). */
    private static String key(String fullKey) {
        return fullKey.substring(fullKey.indexOf(':') + 1);
    }

    /** The program {@code pulumi up} runs: the image lock is read from the project directory (the working directory). */
    public static void define(Context ctx) {
        define(ctx, BringUp.lockDirectory(java.nio.file.Path.of("")));
    }

    /** The program with {@code images/<stack>.lock.json} read from {@code lockDir}. */
    public static void define(Context ctx, java.nio.file.Path lockDir) {
        ClusterSpec spec;
        try {
            spec = ClusterSpecReader.read(ConfigSource.of(ctx), ctx.projectName(), ctx.stackName());
        } catch (ConfigValidationException e) {
            // One clear message, no stack trace, before any resource is registered.
            throw new RunException(e.getMessage());
        }
        ClusterSpecReader.warnings(spec, java.time.LocalDate.now(java.time.ZoneOffset.UTC)).forEach(w -> ctx.log().warn(w));
        BringUp bringUp;
        try {
            bringUp = BringUp.decide(spec, lockDir);
        } catch (BringUp.LockException e) {
            throw new RunException(e.getMessage());
        }
        if (System.getenv(BringUp.LOCK_DIR_ENV) != null && lockDir.equals(BringUp.lockDirectory(lockDir))) {
            ctx.log().warn("image lock read from " + lockDir + " (" + BringUp.LOCK_DIR_ENV + ", test fixtures only)");
        }
        TuningProfile tuning = TuningProfile.forCluster(ClusterSize.of(spec));

        // An explicit provider: the region comes from our validated config, not from ambient aws:region. With an image
        // lock, only the lock registry's account may be changed (allowedAccountIds, pulumi-aws provider argument; the
        // provider refuses to plan or apply with credentials of any other account), so a lock made in another account
        // can never render references nodes here could not pull.
        var providerArgs = ProviderArgs.builder().region(spec.region());
        bringUp.lock().flatMap(l -> dev.kilonode.images.ImageRefs.accountOf(l.registry()))
                .ifPresent(account -> providerArgs.allowedAccountIds(List.of(account)));
        Provider aws = new Provider("aws", providerArgs.build());
        var inAws = ComponentResourceOptions.builder().providers(aws).build();

        Network network = new Network("kilonode", new NetworkArgs(spec.network(), spec.availabilityZones(),
                spec.production(), spec::tagsFor), inAws);

        // Private image supply: the stack's ECR repositories (filled by `kilonode images sync`) and VPC endpoints.
        ImageSupply imageSupply = new ImageSupply("kilonode-images", new ImageSupply.Args(spec.stack(), spec.namePrefix(), spec.region(),
                ImageCatalog.of(spec), network.vpcId(), spec.network().vpcCidr().toString(), network.privateSubnetIds(),
                network.privateRouteTableIds(), spec.tagsFor(null), spec.production()), inAws);
        ctx.export("bringUpPhase", bringUpPhase(ctx, spec.stack(), bringUp));
        ctx.export("imageRegistry", imageSupply.registry());
        ctx.export("artifactBucket", imageSupply.artifactBucket());
        ctx.export("region", Output.of(spec.region()));
        ctx.export("vpcId", network.vpcId());
        if (!bringUp.complete()) {
            ctx.log().warn(bringUp.nextSteps(spec.stack()));
            return;
        }
        bringUp.warnings(spec.stack()).forEach(w -> ctx.log().warn(w));
        // From here on every image reference renders from the lock: registry/repository@sha256:...
        spec = spec.withImages(bringUp.images());

        // Masters and workers boot amiId (install at boot) or the AMI the stack bakes from it (kilonode:nodeImage).
        Output<String> nodeAmi = Output.of(spec.amiId());
        if (spec.nodeImage() == ClusterSpec.NodeImage.BAKED) {
            BakedNodeImage baked = new BakedNodeImage("kilonode-node-image", new BakedNodeImage.Args(spec,
                    BakedNodeImage.contents(spec, bringUp.lock().orElseThrow()), network.vpcId(), network.privateSubnetIds().get(0),
                    spec.tagsFor(null)), inAws);
            nodeAmi = baked.amiId();
            ctx.export("nodeImage", Output.tuple(Output.of(baked.recipeName() + " " + baked.version()), nodeAmi)
                    .applyValue(t -> Map.of("recipe", t.t1, "amiId", t.t2 == null ? "" : t.t2)));
        }

        var kilonode = ctx.config("kilonode");
        ClusterSecrets secrets = new ClusterSecrets("kilonode-secrets", new ClusterSecrets.Args(spec.ssmPrefix(), spec.pki(),
                new ClusterSecrets.SecretValues(kilonode.requireSecret(key(SecretKeys.CA_KEY)),
                        kilonode.requireSecret(key(SecretKeys.FRONT_PROXY_CA_KEY)),
                        kilonode.requireSecret(key(SecretKeys.ETCD_CA_KEY)),
                        kilonode.requireSecret(key(SecretKeys.SERVICE_ACCOUNT_KEY)),
                        kilonode.requireSecret(key(SecretKeys.BOOTSTRAP_TOKEN))),
                spec.tagsFor(null), spec.production()), inAws);

        EtcdBackupBucket backups = new EtcdBackupBucket("kilonode-etcd-backups", new EtcdBackupBucket.Args(spec.stack(), spec.namePrefix(),
                spec.etcd().backupRetentionDays(), spec.etcd().backupIntervalMinutes(), spec.tagsFor("master"),
                spec.production()), inAws);

        ApiLoadBalancer api = new ApiLoadBalancer("kilonode-api", new ApiLoadBalancer.Args(network.vpcId(),
                network.privateSubnetIds(), network.publicSubnetIds(), network.securityGroupId(Role.API_LB),
                !spec.network().apiAllowedCidrs().isEmpty(), !spec.network().webUiAllowedCidrs().isEmpty(),
                tuning.apiLoadBalancerIdleTimeoutSeconds(), spec.tagsFor("api-lb")), inAws);
        // Everything that talks to the API uses its one name, api.<apiDomain>, not a load balancer's (ApiName).
        ApiName apiName = new ApiName("kilonode-api-name", new ApiName.Args(spec.apiName(), network.vpcId(), api,
                spec.tagsFor("api-lb")), inAws);

        TungstenFabricController controllers = new TungstenFabricController("kilonode-tf-controller",
                new TungstenFabricController.Args(spec, network.privateSubnetIds(),
                        network.securityGroupId(Role.TF_CONTROLLER), api.webUiTargetGroupArn()), inAws);

        // Workers come up batch by batch: master 0 raises the groups' desired capacity (scaleout.RampController).
        JoinPacing pacing = JoinPacing.forCluster(tuning, spec.masters().count());
        ScaleOutRamp ramp = new ScaleOutRamp("kilonode-scale-out", new ScaleOutRamp.Args(spec.ssmPrefix(), pacing,
                spec.tagsFor("master")), inAws);
        List<Output<String>> masterReadable = new java.util.ArrayList<>(secrets.masterReadableArns());
        masterReadable.add(ramp.parameterArn());

        String caCertHash = CaCertHash.of(spec.pki().caCertificate());
        KubernetesMaster masters = new KubernetesMaster("kilonode-master", new KubernetesMaster.Args(spec, tuning,
                network.privateSubnetIds(), network.securityGroupId(Role.MASTER), api, apiName.publishedHost(), caCertHash,
                backups.bucketName(), backups.bucketArn(), backups.prefix(), masterReadable, nodeAmi), inAws);

        secrets.restrictDecryptTo("kilonode-secrets-pki", masters.roleArn(), spec.region(), spec.stack());

        Map<String, Output<String>> groupNames = new LinkedHashMap<>();
        for (WorkerGroupSpec group : spec.workerGroups()) {
            NodeGroup nodes = new NodeGroup("kilonode-" + group.name(), new NodeGroup.Args(spec, group, tuning,
                    network.privateSubnetIds(), network.securityGroupId(Role.WORKER), apiName.publishedHost(), caCertHash,
                    secrets.bootstrapTokenArn(), nodeAmi), inAws);
            groupNames.put(group.name(), nodes.autoScalingGroupName());
        }

        // The stack's own Kubernetes provider, kube-manager and every node use the same URL, https://api.<apiDomain>:6443:
        // inside the VPC the private zone answers (internal load balancer), outside the public zone while admin CIDRs
        // open the public endpoint. The kubeconfig then never changes with a load balancer (pulumi-kubernetes would
        // replace the provider and every in-cluster object).
        Output<String> apiUrl = apiName.publishedUrl();
        // The provider waits for /readyz only when the masters are new or replaced (and never in a preview), and never
        // before every record of the name exists (a runner outside the VPC needs the public one).
        ReadinessGate gate = ReadinessGate.after(com.pulumi.core.internal.Internal.of(apiName.recordIds()).getValueNullable(),
                ControlPlaneChange.gate(ctx, masters.instanceIds(), java.time.Duration.ofMinutes(spec.apiReadyTimeoutMinutes())));
        List<com.pulumi.resources.Resource> before = new java.util.ArrayList<>(List.of(masters, api));
        before.addAll(apiName.records());
        ClusterAddons.deploy(spec, tuning, apiUrl, apiUrl, kilonode.requireSecret(key(SecretKeys.ADMIN_CLIENT_KEY)),
                before, ComponentResourceOptions.Empty, gate);
        ctx.export(ControlPlaneChange.OUTPUT, masters.instanceIds().applyValue(ControlPlaneChange::key));

        ctx.export("publicSubnetIds", Output.all(network.publicSubnetIds()));
        ctx.export("privateSubnetIds", Output.all(network.privateSubnetIds()));
        Map<String, Output<String>> groups = new LinkedHashMap<>();
        for (Role role : Role.values()) {
            groups.put(role.tag(), network.securityGroupId(role));
        }
        ctx.export("securityGroupIds", Output.all(groups.values()).applyValue(ids -> {
            Map<String, String> out = new LinkedHashMap<>();
            int i = 0;
            for (String role : groups.keySet()) {
                out.put(role, ids.get(i++));
            }
            return out;
        }));
        ctx.export("apiEndpoint", apiUrl);
        // The load balancers' own names, for debugging only (the API server certificate does not name them).
        ctx.export("apiInternalLoadBalancer", api.internalDnsName());
        api.publicDnsName().ifPresent(h -> ctx.export("apiPublicLoadBalancer", h));
        if (!spec.network().webUiAllowedCidrs().isEmpty()) {
            api.publicLoadBalancerDnsName().ifPresent(h -> ctx.export("tfWebUiEndpoint", h.applyValue(x -> "https://" + x + ":8143")));
        }
        ctx.export("tfControllerIps", controllers.privateIps());
        ctx.export("masterIps", masters.privateIps());
        ctx.export("etcdBackupBucket", backups.bucketName());
        ctx.export("etcdSnapshotAlarm", backups.snapshotAlarmName());
        ctx.export("caCertHash", Output.of(caCertHash));
        ctx.export("workerGroups", Output.all(groupNames.values()));
        ctx.export("workerCount", Output.of(spec.workerCount()));
        ctx.export("tuningTier", Output.of(tuning.tier()));
        ctx.export("scaleOutJoinBound", Output.of(pacing.joinBound()));
    }


    /**
     * The phase to export. In the images phase under a real engine (preview too), the stack's previous
     * {@code bringUpPhase} is read first: if it ran a cluster, the run fails (BringUp#refuseToLeaveCluster) before
     * the engine could delete the cluster's resources.
     */
    static Output<String> bringUpPhase(Context ctx, String stack, BringUp bringUp) {
        if (bringUp.complete() || !ControlPlaneChange.underRealEngine()) {
            return Output.of(bringUp.phase());
        }
        return ControlPlaneChange.previousOutput(ctx, "bringUpPhase").applyValue(previous -> {
            try {
                return bringUp.refuseToLeaveCluster(stack, previous);
            } catch (BringUp.LockException e) {
                throw new RunException(e.getMessage());
            }
        });
    }
}
