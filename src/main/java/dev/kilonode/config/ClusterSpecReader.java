package dev.kilonode.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.kilonode.release.NetworkRelease;
import dev.kilonode.release.NetworkReleases;

/**
 * Turns raw stack settings into a {@link ClusterSpec}. Every problem is collected, each naming the key, the value and
 * what is allowed, and reported together in one {@link ConfigValidationException} before any resource exists.
 * The defaults here are the ones documented in Pulumi.yaml's {@code config:} block (a test keeps the two in step).
 */
public final class ClusterSpecReader {

    public static final int MAX_WORKERS = 5_000;
    public static final String DEFAULT_REGION = "us-east-1";
    /**
     * 1.33: the newest minor kilonode renders and inside the default network release's range. No minor is inside
     * both upstream support today (1.35-1.37) and OpenSDN R25.1's range (CI-tested 1.28); 1.33 is the closest, past
     * its end of life (2026-06-28), and the plan warns (README, "Network release"). 1.33.10: kubernetes.io/releases/1.33.
     */
    public static final String DEFAULT_KUBERNETES_VERSION = "1.33.10";
    /** Oldest and newest Kubernetes minor we render kubeadm configuration for (v1beta3 up to 1.30, v1beta4 from 1.31).
     * 1.29 is the floor because the admin client certificate uses kubeadm's kubeadm:cluster-admins group (added in 1.29). */
    public static final int MIN_KUBERNETES_MINOR = 29;
    public static final int MAX_KUBERNETES_MINOR = 33;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern AMI = Pattern.compile("ami-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-gov)?-[a-z]+-\\d");
    private static final Pattern K8S_VERSION = Pattern.compile("1\\.(\\d{1,2})\\.(\\d{1,3})");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,20}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");
    private static final Pattern TAG_VALUE = Pattern.compile("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,256}");
    private static final Pattern IMAGE_PART = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9._/:-]{0,200}");
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9]{6}\\.[a-z0-9]{16}");
    private static final Pattern DOMAIN_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** Route 53 hosted zone ids: "Z" and uppercase alphanumerics, 32 characters at most (CreateHostedZone's Id). */
    private static final Pattern ROUTE53_ZONE_ID = Pattern.compile("Z[A-Z0-9]{1,31}");
    /** Special-use top-level names that are never delegated in public DNS (RFC 6761, RFC 6762, ICANN .internal). */
    private static final Set<String> NON_PUBLIC_TLDS = Set.of("internal", "local", "localhost", "test", "invalid", "arpa");

    private final ConfigSource source;
    private final String project;
    private final String stack;
    private final List<ConfigProblem> problems = new ArrayList<>();
    private String kubernetesVersion = DEFAULT_KUBERNETES_VERSION;

    /** Every key the reader asked for: known by construction, even before Pulumi.yaml declares it. */
    private final Set<String> asked = new HashSet<>();

    private ClusterSpecReader(ConfigSource source, String project, String stack) {
        this.source = new ConfigSource() {
            @Override
            public Optional<String> get(String fullKey) {
                asked.add(fullKey);
                return source.get(fullKey);
            }

            @Override
            public Set<String> keys() {
                return source.keys();
            }
        };
        this.project = project;
        this.stack = stack;
    }

    /**
     * Reads and validates; throws {@link ConfigValidationException} listing every problem. {@code project} is the
     * Pulumi project's name (Pulumi.yaml {@code name}, {@code ctx.projectName()} under the engine): with the stack it
     * makes every physical name ({@link ClusterSpec#namePrefix()}, {@link ClusterSpec#ssmPrefix()}).
     */
    public static ClusterSpec read(ConfigSource source, String project, String stack) {
        return new ClusterSpecReader(source, project, stack).read();
    }

    /** {@link #read(ConfigSource, String, String)} for the project of the Pulumi.yaml shipped with this build. */
    public static ClusterSpec read(ConfigSource source, String stack) {
        return read(source, DeclaredSettings.project().projectName(), stack);
    }

    /** A project or stack name part: what S3 bucket names and ECR repository names both accept, no dots. */
    private static final Pattern NAME_PART = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
    /**
     * Longest {@code <project>-<stack>}. The binding limit is the etcd bucket's {@code bucketPrefix}
     * ({@code <project>-<stack>-etcd-}): pulumi-aws's s3 BucketV2 {@code bucketPrefix} "must be lowercase and less than
     * or equal to 37 characters in length" (the provider appends a 26-character unique suffix to reach S3's 63,
     * docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). Every other name built from the prefix
     * has more room: launch-template name prefixes {@code <prefix>-<group>-} (+26 -> 128, EC2 CreateLaunchTemplate
     * LaunchTemplateName), Auto Scaling group names (255, CreateAutoScalingGroup AutoScalingGroupName), alarm names
     * (255, PutMetricAlarm AlarmName), ECR repository names (256, CreateRepository repositoryName). IAM role, load
     * balancer and target group names are not built from it (Pulumi auto-names them from resource names), so the
     * 64- and 32-character limits there do not move with the project or stack.
     */
    public static final int MAX_NAME_PREFIX = 37 - "-etcd-".length();

    /** One problem for a project/stack pair AWS names cannot carry; names the pair, the rule and the limit. */
    private void checkNames() {
        String prefix = project + "-" + stack;
        List<String> wrong = new ArrayList<>();
        if (!NAME_PART.matcher(project).matches()) {
            wrong.add("project name '" + project + "' (Pulumi.yaml name)");
        }
        if (!NAME_PART.matcher(stack).matches()) {
            wrong.add("stack name '" + stack + "'");
        }
        if (!wrong.isEmpty()) {
            problems.add(new ConfigProblem("project/stack", "\"" + abbreviate(project + "/" + stack) + "\"",
                    String.join(" and ", wrong) + ": lowercase letters, digits and single hyphens inside, since every "
                            + "physical name is '<project>-<stack>' and S3 bucket and ECR repository names allow no other "
                            + "characters (docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html)"));
        } else if (prefix.length() > MAX_NAME_PREFIX) {
            problems.add(new ConfigProblem("project/stack", "\"" + abbreviate(project + "/" + stack) + "\"",
                    "'" + prefix + "' is " + prefix.length() + " characters; at most " + MAX_NAME_PREFIX + " (the etcd "
                            + "backup bucket's prefix '" + prefix + "-etcd-' must be at most 37, pulumi-aws s3.BucketV2 "
                            + "bucketPrefix; S3 bucket names at most 63): shorten the project or the stack name"));
        } else if (prefix.startsWith("sthree-") || prefix.startsWith("amzn-s3-demo-")) {
            problems.add(new ConfigProblem("project/stack", "\"" + project + "/" + stack + "\"",
                    "'" + prefix + "' starts with a prefix S3 reserves (docs.aws.amazon.com/AmazonS3/latest/userguide/"
                            + "bucketnamingrules.html): rename the project or the stack"));
        }
    }

    private ClusterSpec read() {
        checkNames();
        String region = string("region", DEFAULT_REGION);
        if (!REGION.matcher(region).matches()) {
            problem("region", region, "an AWS region name such as us-east-1");
        }
        List<String> zones = stringList("availabilityZones", List.of());
        if (zones.isEmpty()) {
            // Pulumi.yaml's default is [] ("not chosen"): three zones of the region.
            zones = List.of(region + "a", region + "b", region + "c");
        }
        validateZones(region, zones);

        NetworkSpec network = readNetwork();
        String ami = optional("amiId").orElse(null);
        if (ami == null) {
            problem("amiId", null, "required: the id of an Ubuntu " + NetworkReleases.table().defaultRow().ubuntuRelease()
                    + " LTS amd64 AMI in " + region + " (ami-...)");
        } else if (!AMI.matcher(ami).matches()) {
            problem("amiId", ami, "an AMI id: ami- followed by 8 or 17 hex digits");
        }
        Optional<String> sshKey = optional("sshKeyName");
        sshKey.ifPresent(k -> {
            if (k.isBlank() || k.length() > 255) {
                problem("sshKeyName", k, "the name of an existing EC2 key pair (1 to 255 characters) or unset");
            }
        });

        RoleSpec controllers = readRole("controller", "m3.xlarge", false);
        RoleSpec masters = readRole("master", "m3.xlarge", true);
        boolean parked = bool("parked", false);
        List<WorkerGroupSpec> groups = readWorkerGroups();
        int totalWorkers = groups.stream().mapToInt(WorkerGroupSpec::count).sum();
        if (totalWorkers > MAX_WORKERS) {
            problem("workerCount", String.valueOf(totalWorkers),
                    "at most " + MAX_WORKERS + " workers in all groups together");
        }
        if (network != null && !zones.isEmpty() && zones.size() <= NetworkSpec.MAX_ZONES) {
            long capacity = network.usablePrivateAddresses() * zones.size();
            long needed = totalWorkers + controllers.count() + masters.count() + 32L;
            if (needed > capacity) {
                problem("vpcCidr", network.vpcCidr().toString(), "a VPC whose private subnets hold " + needed
                        + " nodes; this one holds " + capacity + " (use a shorter prefix such as /16)");
            }
        }

        TungstenFabricSpec tf = readNetworkStack();

        EtcdSpec etcd = new EtcdSpec(
                bool("etcdWriteBarrier", true),
                toggle("eventsEtcd"),
                integer("etcdBackupIntervalMinutes", 15, 5, 1440),
                integer("etcdBackupRetentionDays", 14, 1, 3650));
        int podsPerWorker = integer("podsPerWorker", 20, 1, 250);

        CostTags tags = new CostTags(
                tag("environment", stack),
                tag("owner", null),
                tag("costCenter", null));
        boolean production = bool("production", false);
        Optional<LocalDate> expiresOn = optional("expiresOn").flatMap(this::date);
        ClusterSpec.ExpiryAction expiryAction = expiryAction();
        if (production && expiresOn.isPresent()) {
            problem("expiresOn", expiresOn.get().toString(), "unset on a production stack (production never expires)");
        }

        PkiSpec pki = readPki();
        for (String key : SecretKeys.ALL) {
            Optional<String> value = source.get(key);
            if (value.isEmpty() || value.get().isBlank()) {
                problems.add(new ConfigProblem(key, "(not set)",
                        "a secret; run `java -jar target/kilonode.jar secrets init --stack " + stack + "` once"));
            } else if (key.equals(SecretKeys.BOOTSTRAP_TOKEN) && !value.get().equals(PLACEHOLDER_SECRET)
                    && !TOKEN.matcher(value.get()).matches()) {
                // Never echo a secret, even a malformed one.
                problems.add(new ConfigProblem(key, "[secret]", "a kubeadm bootstrap token [a-z0-9]{6}.[a-z0-9]{16}"));
            }
        }

        if (masters.instanceType() != null && groups.stream().allMatch(g -> g.instanceType() != null)) {
            // The control plane's requests must fit the master's allocatable, or kubeadm init cannot start it
            // (tuning/ControlPlaneBudget). Checked here so a bad size/type pair stops before any resource exists.
            var size = new dev.kilonode.tuning.ClusterSize(totalWorkers, podsPerWorker, masters.count(),
                    masters.instanceType(), groups.stream().map(WorkerGroupSpec::instanceType).distinct().toList(),
                    etcd.eventsEtcdEnabled(totalWorkers));
            var fit = dev.kilonode.tuning.ControlPlaneBudget.check(size);
            if (!fit.fits()) {
                problem("masterInstanceType", masters.instanceType().name(), fit.explanation());
            }
        }
        crossChecks(podsPerWorker, groups, expiresOn);
        Set<String> rollMachines = rollMachines(controllers, masters);
        int apiReadyTimeoutMinutes = integer("apiReadyTimeoutMinutes", 20, 1, 120);
        ClusterSpec.NodeImage nodeImage = nodeImage();
        ApiNameSpec apiName = readApiName(network);
        checkKeys();

        if (!problems.isEmpty()) {
            throw new ConfigValidationException(problems);
        }
        ClusterSpec spec = new ClusterSpec(project, stack, region, List.copyOf(zones), network, ami, sshKey, controllers, masters,
                List.copyOf(groups), parked, kubernetesVersion, tf, etcd, podsPerWorker, tags, production, expiresOn, expiryAction, pki,
                rollMachines, apiReadyTimeoutMinutes, nodeImage, null, apiName);
        return spec.withImages(dev.kilonode.images.ImageRefs.upstream(dev.kilonode.images.ImageCatalog.of(spec),
                dev.kilonode.images.ImageCatalog.prefix(spec)));
    }

    /**
     * kilonode:apiDomain (default {@code <stack>.<project>.internal}: .internal is reserved for private use, ICANN board
     * resolution 2024.07.29.06) and kilonode:apiPublicZoneId, which a public endpoint needs: without a public answer
     * for api.<apiDomain>, the provider and kubectl outside the VPC could only use the public load balancer's own
     * name, which changes whenever it is replaced or the endpoint is toggled (and a new name replaces the provider).
     */
    private ApiNameSpec readApiName(NetworkSpec network) {
        Optional<String> explicit = optional("apiDomain");
        String domain = explicit.orElseGet(this::defaultApiDomain);
        if (explicit.isPresent() && !validApiDomain(domain)) {
            problem("apiDomain", domain, "a DNS name of two or more labels such as " + defaultApiDomain()
                    + ": lowercase letters, digits and '-', labels of 1-63 characters, at most 249 in all "
                    + "(api.<apiDomain> must fit DNS's 253)");
        } else if (domain.equals("cluster.local") || domain.endsWith(".cluster.local")) {
            problem("apiDomain", domain, "a name outside cluster.local (the cluster's own DNS zone: CoreDNS answers it "
                    + "inside the cluster and api." + domain + " would not resolve for pods)");
        }
        Optional<String> zone = optional("apiPublicZoneId");
        boolean publicApi = network != null && !network.apiAllowedCidrs().isEmpty();
        if (zone.isPresent() && !ROUTE53_ZONE_ID.matcher(zone.get()).matches()) {
            problem("apiPublicZoneId", zone.get(), "the id of a public Route 53 hosted zone: Z followed by up to 31 "
                    + "uppercase letters and digits, such as Z0123456789ABCDEFGHIJ (without /hostedzone/)");
        } else if (zone.isEmpty() && publicApi) {
            problem("apiPublicZoneId", null, "the id of the public Route 53 hosted zone of kilonode:apiDomain " + domain
                    + " (or of a parent domain), required while kilonode:apiAllowedCidrs opens the public endpoint: api."
                    + domain + " must answer outside the VPC too, or the Kubernetes provider would follow the public "
                    + "load balancer's own name, and replacing it or closing the endpoint would replace the provider "
                    + "and every in-cluster object (README, \"API endpoint\")");
        } else if (zone.isPresent() && publicApi && validApiDomain(domain)
                && NON_PUBLIC_TLDS.contains(domain.substring(domain.lastIndexOf('.') + 1))) {
            problem("apiDomain", domain, "a domain that resolves on the internet while kilonode:apiPublicZoneId "
                    + "publishes it (." + domain.substring(domain.lastIndexOf('.') + 1) + " is reserved for private "
                    + "or special use and is never delegated): a subdomain of a domain you own, such as dev.k8s.example.com");
        }
        // The zone may stay configured while the endpoint is closed: opening and closing it is then one setting.
        return new ApiNameSpec(domain, publicApi ? zone : Optional.empty());
    }

    /**
     * {@code <stack>.<project>.internal}: unique per project and stack, and a DNS name whenever the pair is valid at
     * all (both are lowercase letters, digits and inner hyphens, {@link #NAME_PART}).
     */
    private String defaultApiDomain() {
        return stack + "." + project + ".internal";
    }

    static boolean validApiDomain(String domain) {
        if (domain.length() > 249 || !domain.contains(".")) {
            return false;
        }
        for (String label : domain.split("\\.", -1)) {
            if (!DOMAIN_LABEL.matcher(label).matches()) {
                return false;
            }
        }
        // A top-level label of digits only would read as an IPv4 address (RFC 3696 section 2).
        return !domain.substring(domain.lastIndexOf('.') + 1).matches("[0-9]+");
    }

    /**
     * The network release row and everything that must fit it: Kubernetes version, node OS, image tag, deployer.
     * One problem per key, each naming kilonode:networkRelease and the row's allowed values.
     */
    private TungstenFabricSpec readNetworkStack() {
        NetworkReleases table = NetworkReleases.table();
        String releaseId = string("networkRelease", table.defaultRelease());
        NetworkRelease row = table.find(releaseId).orElse(null);
        if (row == null) {
            problem("networkRelease", releaseId, "one of " + String.join(", ", table.ids())
                    + " (the network compatibility table, " + NetworkReleases.RESOURCE.substring(1) + ")");
            row = table.defaultRow();
        }
        String in = " for kilonode:networkRelease " + row.id();

        String k8s = string("kubernetesVersion", DEFAULT_KUBERNETES_VERSION);
        int lo = Math.max(MIN_KUBERNETES_MINOR, row.kubernetesMinors().minMinor());
        int hi = Math.min(MAX_KUBERNETES_MINOR, row.kubernetesMinors().maxMinor());
        var km = K8S_VERSION.matcher(k8s);
        if (!km.matches() || Integer.parseInt(km.group(1)) < lo || Integer.parseInt(km.group(1)) > hi) {
            problem("kubernetesVersion", k8s, "a Kubernetes release 1." + lo + ".x to 1." + hi + ".x" + in
                    + " (its range " + row.kubernetesMinors().min() + "-" + row.kubernetesMinors().max()
                    + ", kilonode renders 1." + MIN_KUBERNETES_MINOR + "-1." + MAX_KUBERNETES_MINOR
                    + "), written MAJOR.MINOR.PATCH such as " + DEFAULT_KUBERNETES_VERSION);
        }

        String ubuntu = string("ubuntuRelease", row.ubuntuRelease());
        if (!ubuntu.equals(row.ubuntuRelease())) {
            problem("ubuntuRelease", ubuntu, row.ubuntuRelease() + in + " (the Ubuntu LTS its vRouter builder "
                    + "compiles for; kilonode:amiId must be such an AMI)");
        }

        String registry = imagePart("tfRegistry", row.registry());
        String tag = imagePart("tfTag", row.defaultTag());
        if (IMAGE_PART.matcher(tag).matches() && !row.tagAllowed(tag)) {
            problem("tfTag", tag, "a tag matching " + row.tagPattern() + in + ", such as " + row.defaultTag());
        }
        String jvm = string("tfJvmExtraOpts", "-Xms128m -Xmx1g");
        if (!jvm.matches("(-X[A-Za-z:]+[0-9A-Za-z=:+-]*\\s*)+")) {
            problem("tfJvmExtraOpts", jvm, "JVM -X options separated by spaces, such as -Xms128m -Xmx1g");
        }
        String repo = string("tfDeployerRepo", row.deployer().repo());
        if (!repo.matches("https://[A-Za-z0-9.-]+/[A-Za-z0-9._/-]+")) {
            problem("tfDeployerRepo", repo, "an https:// git URL");
        }
        String ref = string("tfDeployerRef", row.deployer().ref());
        if (!ref.matches("[0-9a-f]{40}")) {
            problem("tfDeployerRef", ref, "a full commit id (40 hex digits)" + in + ", such as " + row.deployer().ref()
                    + "; a branch such as master moves under a running cluster");
        }
        this.kubernetesVersion = k8s;
        return new TungstenFabricSpec(row, registry, tag, jvm, repo, ref, ubuntu);
    }

    /** kilonode:rollMachines: comma-separated control-plane machine names, set by `kilonode roll` one step at a time. */
    private Set<String> rollMachines(RoleSpec controllers, RoleSpec masters) {
        String raw = string("rollMachines", "");
        Set<String> known = new java.util.LinkedHashSet<>();
        for (int i = 0; masters != null && i < masters.count(); i++) {
            known.add("kilonode-master-" + i);
        }
        for (int i = 0; controllers != null && i < controllers.count(); i++) {
            known.add("kilonode-tf-controller-" + i);
        }
        Set<String> out = new java.util.LinkedHashSet<>();
        for (String name : raw.split(",")) {
            String n = name.trim();
            if (n.isEmpty()) {
                continue;
            }
            if (!known.contains(n)) {
                problem("rollMachines", raw, "empty, or control-plane machine names separated by commas: "
                        + String.join(", ", known));
                return Set.of();
            }
            out.add(n);
        }
        return out;
    }

    /**
     * Settings that contradict each other, each valid alone. Warnings (true but not fatal) are in {@link #warnings}.
     */
    private void crossChecks(int podsPerWorker, List<WorkerGroupSpec> groups, Optional<LocalDate> expiresOn) {
        Set<String> reported = new HashSet<>();
        for (WorkerGroupSpec g : groups) {
            if (g.instanceType() != null && podsPerWorker > g.instanceType().maxPods()
                    && reported.add(g.instanceType().name())) {
                String typeKey = WorkerGroupSpec.DEFAULT_NAME.equals(g.name()) ? "kilonode:workerInstanceType"
                        : "worker group " + g.name();
                problem("podsPerWorker", String.valueOf(podsPerWorker), "at most " + g.instanceType().maxPods()
                        + ", the kubelet's maxPods on " + g.instanceType().name() + " (" + typeKey + "); the control plane "
                        + "would be sized for pods no worker can run (lower podsPerWorker or pick a larger type)");
            }
        }
        if (expiresOn.isEmpty() && source.get("kilonode:expiryAction").filter("destroy"::equals).isPresent()) {
            problem("expiryAction", "destroy", "only together with kilonode:expiresOn (without a date nothing is ever destroyed)");
        }
    }

    /**
     * Every key of the stack must be a declared setting ({@link DeclaredSettings}: Pulumi.yaml, structured, PKI) or
     * belong to another namespace (aws:, pulumi:, ...). A typo is otherwise silently ignored and the default used.
     * Also: an empty value for a setting whose declared default is not empty (such as {@code tfTag: ""}).
     */
    private void checkKeys() {
        DeclaredSettings declared = DeclaredSettings.project();
        Set<String> known = new java.util.TreeSet<>(declared.keys());
        known.addAll(asked);
        for (String key : source.keys()) {
            int colon = key.indexOf(':');
            if (colon <= 0) {
                String guess = DeclaredSettings.closest(DeclaredSettings.NAMESPACE + ":" + key, known)
                        .orElse(DeclaredSettings.NAMESPACE + ":" + key);
                problems.add(new ConfigProblem(key, "(no namespace)", "a key written namespace:name; did you mean `"
                        + guess + "`?"));
            } else if (key.substring(0, colon).equals(DeclaredSettings.NAMESPACE) && !known.contains(key)) {
                problems.add(new ConfigProblem(key, "(unknown setting)", DeclaredSettings.closest(key, known)
                        .map(k -> "did you mean `" + k + "`?")
                        .orElse("a setting declared in Pulumi.yaml's config: block (or workerGroups, workerLabels, the PKI)")));
            } else if (key.substring(0, colon).equals(DeclaredSettings.NAMESPACE)) {
                String shortKey = key.substring(colon + 1);
                Optional<String> def = declared.scalarDefault(shortKey);
                if (def.isPresent() && source.get(key).filter(String::isEmpty).isPresent()) {
                    problems.add(new ConfigProblem(key, "\"\"", "a value; remove the line to use the default " + def.get()));
                }
            }
        }
    }

    /** True but not fatal: printed by {@code plan} and logged by the program under {@code pulumi up}. */
    public static List<String> warnings(ClusterSpec spec, LocalDate today) {
        List<String> warnings = new ArrayList<>();
        // Not an error: cost-control's park runs `pulumi up` on exactly such a stack, and a committed stack keeps planning.
        spec.expiresOn().filter(d -> d.isBefore(today) && !spec.production()).ifPresent(d -> warnings.add(
                "kilonode:expiresOn = \"" + d + "\" is past: cost-control " + (spec.expiryAction() == ClusterSpec.ExpiryAction.DESTROY
                        ? "destroys" : "parks") + " this stack on its next run; move the date to keep it"));
        return warnings;
    }

    /** The value the offline plan stands in for a secret (see PlanCommand); accepted, never deployed. */
    public static final String PLACEHOLDER_SECRET = "[secret]";

    private NetworkSpec readNetwork() {
        Optional<Cidr> vpc = cidr("vpcCidr", "10.0.0.0/16");
        Optional<Cidr> pods = cidr("podCidr", "10.32.0.0/12");
        Optional<Cidr> services = cidr("serviceCidr", "10.96.0.0/12");
        vpc.ifPresent(v -> {
            if (v.prefix() < 16 || v.prefix() > 20) {
                problem("vpcCidr", v.toString(), "a prefix from /16 to /20 (AWS allows /16 at most)");
            }
        });
        pods.ifPresent(p -> {
            if (p.prefix() > 20) {
                problem("podCidr", p.toString(), "a block of /20 or larger for pod addresses");
            }
        });
        services.ifPresent(s -> {
            if (s.prefix() < 12 || s.prefix() > 24) {
                problem("serviceCidr", s.toString(), "a prefix from /12 to /24 (kube-apiserver's limit)");
            }
        });
        if (vpc.isPresent() && pods.isPresent() && vpc.get().overlaps(pods.get())) {
            problem("podCidr", pods.get().toString(), "a range that does not overlap vpcCidr " + vpc.get());
        }
        if (vpc.isPresent() && services.isPresent() && vpc.get().overlaps(services.get())) {
            problem("serviceCidr", services.get().toString(), "a range that does not overlap vpcCidr " + vpc.get());
        }
        if (pods.isPresent() && services.isPresent() && pods.get().overlaps(services.get())) {
            problem("serviceCidr", services.get().toString(), "a range that does not overlap podCidr " + pods.get());
        }
        List<String> api = adminCidrs("apiAllowedCidrs");
        List<String> webUi = adminCidrs("webUiAllowedCidrs");
        if (vpc.isEmpty() || pods.isEmpty() || services.isEmpty()
                || vpc.get().prefix() < 16 || vpc.get().prefix() > 20) {
            return null;
        }
        return new NetworkSpec(vpc.get(), pods.get(), services.get(), api, webUi);
    }

    private List<String> adminCidrs(String key) {
        List<String> cidrs = stringList(key, List.of());
        for (String c : cidrs) {
            Optional<Cidr> parsed = Cidr.parse(c);
            if (parsed.isEmpty()) {
                problem(key, c, "IPv4 CIDR blocks such as 203.0.113.0/24 (no host bits set)");
            } else if (parsed.get().prefix() < 8) {
                problem(key, c, "admin networks of /8 or narrower; the world (0.0.0.0/0) is never allowed");
            }
        }
        return List.copyOf(cidrs);
    }

    private void validateZones(String region, List<String> zones) {
        if (zones.size() > NetworkSpec.MAX_ZONES) {
            problem("availabilityZones", zones.toString(), "1 to " + NetworkSpec.MAX_ZONES + " zones of " + region);
        }
        Set<String> seen = new HashSet<>();
        for (String z : zones) {
            if (!z.matches(Pattern.quote(region) + "[a-z]")) {
                problem("availabilityZones", z, "zones of region " + region + ", such as " + region + "a");
            } else if (!seen.add(z)) {
                problem("availabilityZones", z, "each zone once");
            }
        }
    }

    private RoleSpec readRole(String role, String defaultType, boolean needsInstanceStore) {
        int count = integer(role + "Count", 1, 1, 3);
        if (count == 2) {
            problem(role + "Count", "2", "1 or 3 (a quorum of 2 survives no failure; use 3 for high availability)");
        }
        InstanceType type = instanceType(role + "InstanceType", defaultType);
        if (type != null && needsInstanceStore && !type.hasInstanceStore()) {
            problem(role + "InstanceType", type.name(), "a type with an instance-store SSD for etcd (report 001): "
                    + String.join(", ", InstanceTypes.withInstanceStore()));
        }
        int root = integer(role + "RootVolumeGb", 40, 20, 1000);
        return new RoleSpec(count, type, root);
    }

    private List<WorkerGroupSpec> readWorkerGroups() {
        List<WorkerGroupSpec> groups = new ArrayList<>();
        int count = integer("workerCount", 3, 0, MAX_WORKERS);
        InstanceType type = instanceType("workerInstanceType", "m3.medium");
        Map<String, String> labels = labels("workerLabels", json("workerLabels").orElse(null));
        int root = integer("workerRootVolumeGb", 30, 20, 1000);
        groups.add(new WorkerGroupSpec(WorkerGroupSpec.DEFAULT_NAME, count, type, labels, root));

        Optional<JsonNode> extra = json("workerGroups");
        if (extra.isPresent()) {
            JsonNode list = extra.get();
            if (!list.isArray()) {
                problem("workerGroups", list.toString(), "a list of {name, count, instanceType, labels, rootVolumeGb}");
                return groups;
            }
            Set<String> names = new HashSet<>(Set.of(WorkerGroupSpec.DEFAULT_NAME));
            for (int i = 0; i < list.size(); i++) {
                groups.add(workerGroup("workerGroups[" + i + "]", list.get(i), names));
            }
        }
        return groups;
    }

    private WorkerGroupSpec workerGroup(String key, JsonNode node, Set<String> names) {
        if (!node.isObject()) {
            problem(key, node.toString(), "an object {name, count, instanceType, labels, rootVolumeGb}");
            return new WorkerGroupSpec("invalid", 0, null, Map.of(), 30);
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!Set.of("name", "count", "instanceType", "labels", "rootVolumeGb").contains(field)) {
                problem(key + "." + field, node.get(field).toString(), "one of name, count, instanceType, labels, rootVolumeGb");
            }
        }
        String name = node.path("name").asText("");
        if (!DNS_LABEL.matcher(name).matches()) {
            problem(key + ".name", name, "a lowercase DNS label of up to 22 characters");
        } else if (!names.add(name)) {
            problem(key + ".name", name, "a name no other worker group has (\"worker\" is the default group)");
        }
        JsonNode countNode = node.path("count");
        int count = 0;
        if (!countNode.canConvertToInt() || countNode.asInt() < 0 || countNode.asInt() > MAX_WORKERS
                || !(countNode.isIntegralNumber() || countNode.asText().matches("\\d+"))) {
            problem(key + ".count", countNode.isMissingNode() ? "(not set)" : countNode.asText(), "an integer from 0 to " + MAX_WORKERS);
        } else {
            count = countNode.asInt();
        }
        InstanceType type = checkInstanceType(key + ".instanceType", node.path("instanceType").asText(""));
        Map<String, String> labels = labels(key + ".labels", node.get("labels"));
        int root = node.has("rootVolumeGb") ? node.get("rootVolumeGb").asInt(-1) : 30;
        if (root < 20 || root > 1000) {
            problem(key + ".rootVolumeGb", node.path("rootVolumeGb").asText(), "an integer from 20 to 1000");
        }
        return new WorkerGroupSpec(name, count, type, labels, root);
    }

    private Map<String, String> labels(String key, JsonNode node) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (node == null || node.isNull()) {
            return labels;
        }
        if (!node.isObject()) {
            problem(key, node.toString(), "a map of Kubernetes node labels, such as {\"pool\": \"general\"}");
            return labels;
        }
        node.fields().forEachRemaining(e -> {
            String value = e.getValue().asText();
            if (!LABEL_KEY.matcher(e.getKey()).matches() || e.getKey().startsWith("kubernetes.io/")
                    || e.getKey().startsWith("node-role.kubernetes.io/")) {
                problem(key + "." + e.getKey(), value, "a Kubernetes label key outside the kubernetes.io/ namespaces");
            } else if (!e.getValue().isValueNode() || !LABEL_VALUE.matcher(value).matches()) {
                problem(key + "." + e.getKey(), e.getValue().toString(), "a label value: up to 63 letters, digits, '-', '_' or '.'");
            } else {
                labels.put(e.getKey(), value);
            }
        });
        return labels;
    }

    private PkiSpec readPki() {
        return new PkiSpec(pem(SecretKeys.CA_CERT, "CERTIFICATE"), pem(SecretKeys.FRONT_PROXY_CA_CERT, "CERTIFICATE"),
                pem(SecretKeys.ETCD_CA_CERT, "CERTIFICATE"), pem(SecretKeys.SERVICE_ACCOUNT_PUB, "PUBLIC KEY"),
                pem(SecretKeys.ADMIN_CLIENT_CERT, "CERTIFICATE"));
    }

    private String pem(String fullKey, String kind) {
        Optional<String> value = source.get(fullKey);
        if (value.isEmpty()) {
            problems.add(new ConfigProblem(fullKey, "(not set)",
                    "a PEM " + kind.toLowerCase(Locale.ROOT) + "; run `java -jar target/kilonode.jar secrets init --stack " + stack + "` once"));
            return null;
        }
        String text = value.get().trim();
        if (!text.startsWith("-----BEGIN " + kind + "-----") || !text.endsWith("-----END " + kind + "-----")) {
            problems.add(new ConfigProblem(fullKey, abbreviate(text), "a PEM block -----BEGIN " + kind + "-----"));
            return null;
        }
        return text + "\n";
    }

    // ---- typed accessors: each records a problem and returns a usable stand-in, so reading continues ----

    private Optional<String> optional(String key) {
        return source.get("kilonode:" + key).filter(v -> !v.isEmpty());
    }

    private String string(String key, String defaultValue) {
        return optional(key).orElse(defaultValue);
    }

    private String imagePart(String key, String defaultValue) {
        String v = string(key, defaultValue);
        if (!IMAGE_PART.matcher(v).matches()) {
            problem(key, v, "a container registry or tag: letters, digits, '.', '_', '-', '/', ':'");
        }
        return v;
    }

    private String tag(String key, String defaultValue) {
        Optional<String> v = optional(key);
        if (v.isEmpty() && defaultValue == null) {
            problem(key, null, "required: a cost tag value (letters, digits, spaces and _.:/=+-@, up to 256)");
            return "";
        }
        String value = v.orElse(defaultValue);
        if (!TAG_VALUE.matcher(value).matches()) {
            problem(key, value, "an AWS tag value: letters, digits, spaces and _.:/=+-@, 1 to 256 characters");
        }
        return value;
    }

    private int integer(String key, int defaultValue, int min, int max) {
        Optional<String> v = optional(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        try {
            int n = Integer.parseInt(v.get().trim());
            if (n < min || n > max) {
                problem(key, v.get(), "an integer from " + min + " to " + max);
                return Math.max(min, Math.min(max, n));
            }
            return n;
        } catch (NumberFormatException e) {
            problem(key, v.get(), "an integer from " + min + " to " + max);
            return defaultValue;
        }
    }

    private boolean bool(String key, boolean defaultValue) {
        Optional<String> v = optional(key);
        if (v.isEmpty()) {
            return defaultValue;
        }
        return switch (v.get().trim()) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                problem(key, v.get(), "true or false");
                yield defaultValue;
            }
        };
    }

    private EtcdSpec.Toggle toggle(String key) {
        String v = string(key, "auto");
        return switch (v) {
            case "auto" -> EtcdSpec.Toggle.AUTO;
            case "true" -> EtcdSpec.Toggle.ON;
            case "false" -> EtcdSpec.Toggle.OFF;
            default -> {
                problem(key, v, "auto, true or false (auto: on from " + EtcdSpec.EVENTS_ETCD_AUTO_WORKERS + " workers)");
                yield EtcdSpec.Toggle.AUTO;
            }
        };
    }

    private ClusterSpec.ExpiryAction expiryAction() {
        String v = string("expiryAction", "park");
        return switch (v) {
            case "park" -> ClusterSpec.ExpiryAction.PARK;
            case "destroy" -> ClusterSpec.ExpiryAction.DESTROY;
            default -> {
                problem("expiryAction", v, "park (scale workers to zero) or destroy");
                yield ClusterSpec.ExpiryAction.PARK;
            }
        };
    }

    private ClusterSpec.NodeImage nodeImage() {
        String v = string("nodeImage", "stock");
        return switch (v) {
            case "stock" -> ClusterSpec.NodeImage.STOCK;
            case "baked" -> ClusterSpec.NodeImage.BAKED;
            default -> {
                problem("nodeImage", v, "stock (boot amiId and install at boot) or baked (an EC2 Image Builder AMI the "
                        + "stack builds from amiId)");
                yield ClusterSpec.NodeImage.STOCK;
            }
        };
    }

    private Optional<LocalDate> date(String v) {
        try {
            return Optional.of(LocalDate.parse(v));
        } catch (DateTimeParseException e) {
            problem("expiresOn", v, "a date written YYYY-MM-DD");
            return Optional.empty();
        }
    }

    private Optional<Cidr> cidr(String key, String defaultValue) {
        String v = string(key, defaultValue);
        Optional<Cidr> c = Cidr.parse(v);
        if (c.isEmpty()) {
            problem(key, v, "an IPv4 CIDR block such as " + defaultValue + " (no host bits set)");
        }
        return c;
    }

    private InstanceType instanceType(String key, String defaultValue) {
        return checkInstanceType(key, string(key, defaultValue));
    }

    private InstanceType checkInstanceType(String key, String name) {
        Optional<InstanceType> type = InstanceTypes.find(name);
        if (type.isPresent()) {
            return type.get();
        }
        // Every accepted type, not only the family's: m3.meduim is a typo of m3.medium, m4.large may want m5.large.
        String all = "one of " + String.join(", ", InstanceTypes.names())
                + DeclaredSettings.closest(name, InstanceTypes.names()).map(c -> "; did you mean `" + c + "`?").orElse("");
        String family = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
        if (!InstanceTypes.families().contains(family)) {
            problem(key, name, "an instance type of a supported family (" + String.join(", ", InstanceTypes.families()) + "): " + all);
        } else {
            problem(key, name, all);
        }
        return null;
    }

    private Optional<JsonNode> json(String key) {
        Optional<String> v = optional(key);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(v.get()));
        } catch (JsonProcessingException e) {
            problem(key, v.get(), "structured YAML/JSON (a list or a map)");
            return Optional.empty();
        }
    }

    private List<String> stringList(String key, List<String> defaultValue) {
        Optional<JsonNode> node = json(key);
        if (node.isEmpty()) {
            return source.get("kilonode:" + key).isPresent() ? List.of() : defaultValue;
        }
        if (!node.get().isArray()) {
            problem(key, node.get().toString(), "a list of strings");
            return List.of();
        }
        List<String> out = new ArrayList<>();
        node.get().forEach(n -> {
            if (n.isTextual()) {
                out.add(n.asText());
            } else {
                problem(key, n.toString(), "a list of strings");
            }
        });
        return out;
    }

    private void problem(String key, String value, String allowed) {
        problems.add(new ConfigProblem("kilonode:" + key, value == null ? "(not set)" : "\"" + abbreviate(value) + "\"", allowed));
    }

    private static String abbreviate(String v) {
        return v.length() > 80 ? v.substring(0, 77) + "..." : v;
    }
}
