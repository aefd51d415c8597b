package dev.kilonode.plan;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.WorkerGroupSpec;
import dev.kilonode.cost.CostEstimate;
import dev.kilonode.cost.Pricing;
import dev.kilonode.scaleout.JoinPacing;
import dev.kilonode.scaleout.RampSimulation;
import dev.kilonode.secrets.CaCertHash;
import dev.kilonode.tuning.ClusterSize;
import dev.kilonode.tuning.TuningProfile;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** {@code summary.json} and the short human summary: counts, validated settings, tuning, workers, cost, warnings. */
final class PlanSummary {

    private PlanSummary() {
    }

    static Map<String, Object> of(ClusterSpec spec, dev.kilonode.images.BringUp bringUp, List<PlannedResource> resources,
                                  List<String> warnings) {
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("stack", spec.stack());
        // "images": only the network and the image supply (no complete image lock yet); "cluster": everything.
        summary.put("bringUpPhase", bringUp.phase());
        summary.put("resourceCount", resources.size());
        Map<String, Integer> counts = new TreeMap<>();
        resources.forEach(r -> counts.merge(r.type(), 1, Integer::sum));
        summary.put("resourceCounts", counts);
        summary.put("settings", settings(spec));
        summary.put("tuning", TuningProfile.forCluster(ClusterSize.of(spec)));
        summary.put("workers", workers(spec));
        summary.put("scaleOut", scaleOut(spec));
        summary.put("images", images(spec, bringUp));
        summary.put("credentialProvider", credentialProvider(bringUp));
        summary.put("nodeImage", nodeImage(spec, resources));
        Pricing pricing = Pricing.load();
        CostEstimate cost = CostEstimate.of(spec, pricing);
        summary.put("cost", cost.toMap());
        List<String> all = new java.util.ArrayList<>(warnings);
        pricing.problem().ifPresent(p -> all.add("cost: " + p + "; every cost is unknown"));
        if (cost.partial() && pricing.problem().isEmpty()) {
            all.add("cost: no on-demand price for " + String.join(", ", cost.missingPrices()) + " in "
                    + Pricing.RESOURCE.substring(1) + "; the estimated total is partial");
        }
        all.addAll(NetworkReleaseWarnings.of(spec));
        summary.put("warnings", all);
        return summary;
    }

    private static Map<String, Object> settings(ClusterSpec spec) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("region", spec.region());
        s.put("availabilityZones", spec.availabilityZones());
        s.put("vpcCidr", spec.network().vpcCidr().toString());
        s.put("podCidr", spec.network().podCidr().toString());
        s.put("serviceCidr", spec.network().serviceCidr().toString());
        s.put("apiAllowedCidrs", spec.network().apiAllowedCidrs());
        s.put("webUiAllowedCidrs", spec.network().webUiAllowedCidrs());
        s.put("amiId", spec.amiId());
        s.put("sshKeyName", spec.sshKeyName().orElse(null));
        s.put("controllers", Map.of("count", spec.controllers().count(), "instanceType", spec.controllers().instanceType().name(),
                "ips", spec.controllerIps()));
        s.put("masters", Map.of("count", spec.masters().count(), "instanceType", spec.masters().instanceType().name(),
                "ips", spec.masterIps()));
        s.put("workerGroups", spec.workerGroups().stream().map(g -> Map.of("name", g.name(), "count", g.count(),
                "instanceType", g.instanceType().name(), "labels", g.labels())).toList());
        s.put("parked", spec.parked());
        s.put("kubernetesVersion", spec.kubernetesVersion());
        var tf = spec.tungstenFabric();
        Map<String, Object> network = new LinkedHashMap<>();
        network.put("networkRelease", tf.release().project() + " " + tf.release().id());
        network.put("ubuntuRelease", tf.ubuntuRelease());
        network.put("registry", tf.registry());
        network.put("tag", tf.tag());
        network.put("deployer", tf.deployerRepo() + "@" + tf.deployerRef());
        network.put("jvmExtraOpts", tf.jvmExtraOpts());
        s.put("tungstenFabric", network);
        s.put("etcd", Map.of("writeBarrier", spec.etcd().writeBarrier(), "eventsEtcd", spec.eventsEtcdEnabled(),
                "backupIntervalMinutes", spec.etcd().backupIntervalMinutes(),
                "backupRetentionDays", spec.etcd().backupRetentionDays()));
        s.put("podsPerWorker", spec.podsPerWorker());
        s.put("costTags", spec.costTags().asMap());
        s.put("production", spec.production());
        s.put("expiresOn", spec.expiresOn().map(Object::toString).orElse(null));
        s.put("expiryAction", spec.expiryAction().name().toLowerCase());
        s.put("caCertHash", CaCertHash.of(spec.pki().caCertificate()));
        return s;
    }

    /** Every image the nodes run: its source, the stack's ECR repository, and the digest `images sync` recorded. */
    private static List<Map<String, Object>> images(ClusterSpec spec, dev.kilonode.images.BringUp bringUp) {
        java.util.Optional<dev.kilonode.images.ImageLock> lock = bringUp.lock();
        List<Map<String, Object>> out = new java.util.ArrayList<>();
        for (dev.kilonode.images.PinnedImage image : dev.kilonode.images.ImageCatalog.of(spec)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("component", image.component());
            m.put("source", image.source());
            m.put("repository", image.repository());
            m.put("digest", lock.flatMap(l -> l.digestOf(image)).orElse(null));
            out.add(m);
        }
        return out;
    }

    /** Where nodes get the kubelet's ecr-credential-provider: the locked object, or (older lock) upstream through NAT. */
    private static Map<String, Object> credentialProvider(dev.kilonode.images.BringUp bringUp) {
        Map<String, Object> m = new LinkedHashMap<>();
        var locked = bringUp.lock().map(dev.kilonode.images.ImageLock::credentialProvider);
        if (locked.isPresent()) {
            var b = locked.get();
            m.put("version", b.version());
            m.put("object", b.s3Uri());
            m.put("sha256", b.sha256());
            m.put("bytes", b.size());
            m.put("summary", "ecr-credential-provider " + b.version() + " from " + b.s3Uri() + " through the S3 gateway "
                    + "endpoint, checked against the lock's sha256 " + b.sha256() + " (" + b.size() + " bytes)");
        } else {
            m.put("version", dev.kilonode.images.CredentialProvider.VERSION);
            m.put("object", null);
            m.put("summary", "ecr-credential-provider " + dev.kilonode.images.CredentialProvider.VERSION
                    + " from artifacts.k8s.io through the NAT gateway on every node (no credentialProvider entry in the "
                    + "image lock; `kilonode images sync` records one)");
        }
        return m;
    }

    /** What masters and workers boot from (kilonode:nodeImage), in the words the printout uses. */
    private static Map<String, Object> nodeImage(ClusterSpec spec, List<PlannedResource> resources) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("setting", spec.nodeImage().name().toLowerCase(java.util.Locale.ROOT));
        m.put("parentAmi", spec.amiId());
        if (spec.nodeImage() == ClusterSpec.NodeImage.BAKED) {
            PlannedResource recipe = resources.stream().filter(r -> r.type().equals("aws:imagebuilder/imageRecipe:ImageRecipe"))
                    .findFirst().orElseThrow(() -> new IllegalStateException("nodeImage baked but no image recipe planned"));
            String label = recipe.inputs().get("name") + " " + recipe.inputs().get("version");
            m.put("recipe", label);
            m.put("summary", "masters and workers boot from the baked image " + label + " (EC2 Image Builder on "
                    + spec.amiId() + "; cloud-init configures and joins); TF controllers boot " + spec.amiId());
        } else {
            m.put("summary", "nodes boot from the stock Ubuntu AMI " + spec.amiId() + " and install at boot "
                    + "(containerd, kubelet/kubeadm/kubectl, held kernel and headers; images pulled, vrouter.ko built)");
        }
        return m;
    }

    /** The paced scale-out: the bound, where it comes from, and the simulated ramp for this stack's workers. */
    private static Map<String, Object> scaleOut(ClusterSpec spec) {
        JoinPacing p = JoinPacing.forCluster(TuningProfile.forCluster(ClusterSize.of(spec)), spec.masters().count());
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("mechanism", "desired-capacity ramp driven by master 0 (kilonode-scale-out-ramp.timer)");
        s.put("maxJoiningAtOnce", p.joinBound());
        s.put("ec2RunInstancesBucket", Map.of("tokens", p.ec2BucketTokens(), "refillPerSecond", p.ec2RefillPerSecond(),
                "reserved", p.ec2ReserveTokens()));
        s.put("stepTimeoutSeconds", p.stepTimeoutSeconds());
        s.put("firstStep", spec.workerGroups().stream().collect(java.util.stream.Collectors.toMap(
                WorkerGroupSpec::name, g -> p.firstStep(spec.desiredCount(g), spec.workerGroups().size()),
                (a, b) -> a, java.util.TreeMap::new)));
        int workers = spec.workerGroups().stream().mapToInt(spec::desiredCount).sum();
        s.put("ramp", RampSimulation.planEstimate(p, workers));
        return s;
    }

    private static Map<String, Object> workers(ClusterSpec spec) {
        int count = 0;
        int vcpus = 0;
        double mem = 0;
        for (WorkerGroupSpec g : spec.workerGroups()) {
            int n = spec.desiredCount(g);
            count += n;
            vcpus += n * g.instanceType().vcpus();
            mem += n * g.instanceType().memoryGiB();
        }
        Map<String, Object> w = new LinkedHashMap<>();
        w.put("count", count);
        w.put("vcpus", vcpus);
        w.put("memoryGiB", mem);
        return w;
    }

    static void print(PrintStream out, ClusterSpec spec, List<PlannedResource> resources, Map<String, Object> summary,
                      Path dir, long millis) {
        TuningProfile t = TuningProfile.forCluster(ClusterSize.of(spec));
        @SuppressWarnings("unchecked")
        Map<String, Object> w = (Map<String, Object>) summary.get("workers");
        out.printf("kilonode plan: stack %s, %d resources in %d ms -> %s%n", spec.stack(), resources.size(), millis, dir);
        out.printf("  bring-up phase: %s%n", summary.get("bringUpPhase"));
        out.printf("  TF controllers: %d x %s   masters: %d x %s   workers: %s (%s vCPU, %.1f GiB)%s%n",
                spec.controllers().count(), spec.controllers().instanceType().name(),
                spec.masters().count(), spec.masters().instanceType().name(),
                w.get("count"), w.get("vcpus"), (Double) w.get("memoryGiB"), spec.parked() ? "  [parked]" : "");
        out.printf("  tuning tier %d: apiserver inflight %d/%d, etcd quota %d GiB, events etcd %s%n", t.tier(),
                t.apiServer().maxRequestsInflight(), t.apiServer().maxMutatingRequestsInflight(),
                t.etcd().quotaBackendBytes() >> 30, spec.eventsEtcdEnabled() ? "on" : "off");
        out.println("  " + CostEstimate.of(spec, Pricing.load()).summaryLine());
        @SuppressWarnings("unchecked")
        Map<String, Object> nodeImage = (Map<String, Object>) summary.get("nodeImage");
        out.println("  node image: " + nodeImage.get("summary"));
        @SuppressWarnings("unchecked")
        Map<String, Object> ramp = (Map<String, Object>) ((Map<String, Object>) summary.get("scaleOut")).get("ramp");
        out.println("  " + JoinPacing.forCluster(t, spec.masters().count()).summaryLine());
        out.printf("  ramp: %s workers in %s steps, all Ready after ~%s min (simulated with the stock AMI's boot inputs)%n",
                ramp.get("workers"), ramp.get("steps"), ramp.get("minutesToAllReady"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> images = (List<Map<String, Object>>) summary.get("images");
        long synced = images.stream().filter(i -> i.get("digest") != null).count();
        out.printf("  images: %d in ECR repositories %s/*, %d with a recorded digest (images/%s.lock.json; "
                + "`kilonode images sync`)%n", images.size(), dev.kilonode.images.ImageCatalog.prefix(spec),
                synced, spec.stack());
        @SuppressWarnings("unchecked")
        Map<String, Object> provider = (Map<String, Object>) summary.get("credentialProvider");
        out.println("  credential provider: " + provider.get("summary"));
        @SuppressWarnings("unchecked")
        List<String> warnings = (List<String>) summary.get("warnings");
        warnings.forEach(x -> out.println("  warning: " + x));
    }
}
