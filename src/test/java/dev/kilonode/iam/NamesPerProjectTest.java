package dev.kilonode.iam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 11, names: every physical name comes from {@code <project>-<stack>} / {@code /<project>/<stack>}
 * (ClusterSpec#namePrefix, #ssmPrefix). For project kilonode the scale plan keeps the names of the rule before projects
 * were part of it ({@code "kilonode-" + stack}, {@code "/kilonode/" + stack}), so running stacks need no migration;
 * two projects with the same stack name share no name and no IAM resource pattern.
 */
class NamesPerProjectTest {

    static final String STACK = "scale";
    static final String OTHER = "team2";
    static Stacks.Plan ours;
    static Stacks.Plan theirs;

    @BeforeAll
    static void planBoth() {
        ours = Stacks.plan("kilonode", STACK, Stacks.config(STACK));
        theirs = Stacks.plan(OTHER, STACK, Stacks.config(STACK));
    }

    /** kind -> (resource -> the physical name the provider creates or the account must keep unique). */
    static Map<String, String> physicalNames(Stacks.Plan plan) {
        Map<String, String> out = new TreeMap<>();
        Map<String, String> fields = Map.of(
                "aws:autoscaling/group:Group", "name",
                "aws:ec2/launchTemplate:LaunchTemplate", "namePrefix",
                "aws:ssm/parameter:Parameter", "name",
                "aws:ecr/repository:Repository", "name",
                "aws:s3/bucketV2:BucketV2", "bucketPrefix",
                "aws:cloudwatch/metricAlarm:MetricAlarm", "name");
        fields.forEach((type, field) -> plan.ofType(type).forEach(r -> {
            Object v = r.inputs().get(field);
            assertThat(v).as("%s %s.%s", type, r.name(), field).isInstanceOf(String.class);
            out.put(type + "::" + r.name(), (String) v);
        }));
        return out;
    }

    /** Every Resource pattern of every role policy that names an Auto Scaling group, SSM parameter or ECR repository. */
    static List<String> iamPatterns(Stacks.Plan plan) {
        List<String> out = new ArrayList<>();
        for (PlannedResource p : plan.ofType("aws:iam/rolePolicy:RolePolicy")) {
            for (JsonNode st : IamEvaluator.parse(List.of((String) p.inputs().get("policy"))).get(0).path("Statement")) {
                JsonNode res = st.path("Resource");
                List<String> all = new ArrayList<>();
                if (res.isArray()) {
                    res.forEach(n -> all.add(n.asText()));
                } else {
                    all.add(res.asText());
                }
                all.stream().filter(r -> r.contains(":autoScalingGroup:") || r.contains(":parameter/")
                        || r.contains(":repository/")).forEach(out::add);
            }
        }
        return out;
    }

    @Test
    void projectKilonodeKeepsEveryNameOfTheOldRule() {
        Map<String, String> names = physicalNames(ours);
        String oldPrefix = "kilonode-" + STACK;     // the rule before projects: "kilonode-" + stack
        String oldSsm = "/kilonode/" + STACK;       // and "/kilonode/" + stack
        assertThat(names).hasSizeGreaterThan(30);
        for (PlannedResource g : ours.ofType("aws:autoscaling/group:Group")) {
            String group = ((List<?>) g.inputs().get("tags")).stream().map(t -> (Map<?, ?>) t)
                    .filter(t -> "kilonode:node-group".equals(t.get("key"))).map(t -> String.valueOf(t.get("value")))
                    .findFirst().orElseThrow();
            assertThat(g.inputs().get("name")).isEqualTo(oldPrefix + "-" + group);
        }
        for (PlannedResource lt : ours.ofType("aws:ec2/launchTemplate:LaunchTemplate")) {
            String group = String.valueOf(lt.tags().get("kilonode:node-group"));
            assertThat(lt.inputs().get("namePrefix")).isEqualTo(oldPrefix + "-" + group + "-");
        }
        assertThat(ours.ofType("aws:ssm/parameter:Parameter")).allSatisfy(p ->
                assertThat((String) p.inputs().get("name")).startsWith(oldSsm + "/"));
        assertThat(ours.ofType("aws:ecr/repository:Repository")).isNotEmpty().allSatisfy(p ->
                assertThat((String) p.inputs().get("name")).startsWith(oldPrefix + "/"));
        assertThat(ours.named("aws:s3/bucketV2:BucketV2", "kilonode-etcd-backups").inputs().get("bucketPrefix"))
                .isEqualTo(oldPrefix + "-etcd-");
        assertThat(ours.named("aws:s3/bucketV2:BucketV2", "kilonode-images-artifacts").inputs().get("bucketPrefix"))
                .isEqualTo(oldPrefix + "-bin-");
        assertThat(ours.one("aws:cloudwatch/metricAlarm:MetricAlarm", a -> true).inputs().get("name"))
                .isEqualTo(oldPrefix + "-etcd-snapshot-stale");
        for (String pattern : iamPatterns(ours)) {
            assertThat(pattern).as("IAM resource pattern").containsAnyOf("autoScalingGroupName/" + oldPrefix + "-",
                    "parameter" + oldSsm + "/", "repository/" + oldPrefix + "/");
        }

        // And the names are a function of the prefix alone: another project's plan is ours with the prefix swapped.
        Map<String, String> swapped = new TreeMap<>();
        physicalNames(theirs).forEach((k, v) -> swapped.put(k.replace(OTHER + "-" + STACK, oldPrefix), v.replace(OTHER + "-" + STACK, oldPrefix)
                .replace("/" + OTHER + "/" + STACK + "/", oldSsm + "/")));
        assertThat(swapped).isEqualTo(names);
        assertThat(iamPatterns(theirs).stream().map(v -> v.replace(OTHER + "-" + STACK, oldPrefix)
                .replace("/" + OTHER + "/" + STACK + "/", oldSsm + "/")).toList()).isEqualTo(iamPatterns(ours));
    }

    /** kubeadm's clusterName (kubeconfigs, kubeadm-config) and the TF kube-manager's KUBERNETES_CLUSTER_NAME. */
    static List<String> clusterNames(Stacks.Plan plan) throws Exception {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        List<String> out = new ArrayList<>();
        String kubeadm = (String) plan.one("aws:ssm/parameter:Parameter",
                p -> ((String) p.inputs().get("name")).endsWith("/control-plane/master-0/kubeadm")).inputs().get("value");
        for (JsonNode d : yaml.readValues(yaml.getFactory().createParser(kubeadm), JsonNode.class).readAll()) {
            if (d.path("kind").asText().equals("ClusterConfiguration")) {
                out.add(d.path("clusterName").asText());
            }
        }
        for (PlannedResource cm : plan.ofType("kubernetes:core/v1:ConfigMap")) {
            if (cm.inputs().get("data") instanceof Map<?, ?> data && data.get("KUBERNETES_CLUSTER_NAME") != null) {
                out.add(String.valueOf(data.get("KUBERNETES_CLUSTER_NAME")));
            }
        }
        return out;
    }

    @Test
    void theClusterNamesFollowTheProjectAndKeepTheOldRuleForKilonode() throws Exception {
        assertThat(clusterNames(ours)).containsExactly("kilonode-" + STACK, "kilonode-" + STACK);
        assertThat(clusterNames(theirs)).containsExactly(OTHER + "-" + STACK, OTHER + "-" + STACK);
    }

    @Test
    void twoProjectsWithOneStackNameShareNoNameAndNoIamPattern() {
        Map<String, String> a = physicalNames(ours);
        Map<String, String> b = physicalNames(theirs);
        assertThat(a.values()).doesNotContainAnyElementsOf(b.values());
        // Prefix-generated names (launch templates, the bucket) must not be prefixes of each other either.
        for (String x : a.values()) {
            for (String y : b.values()) {
                assertThat(y.startsWith(x) || x.startsWith(y)).as("%s vs %s", x, y).isFalse();
            }
        }
        // No IAM pattern of one project matches a name of the other (ASG, SSM, ECR ARNs as IAM sees them).
        List<String> arnsA = arns(ours);
        List<String> arnsB = arns(theirs);
        for (String pattern : iamPatterns(ours)) {
            assertThat(arnsB).as("project kilonode's %s", pattern).noneMatch(arn -> IamEvaluator.glob(pattern, arn, false));
        }
        for (String pattern : iamPatterns(theirs)) {
            assertThat(arnsA).as("project %s's %s", OTHER, pattern).noneMatch(arn -> IamEvaluator.glob(pattern, arn, false));
        }
        // Not vacuous: each project's own wildcard patterns do match its own names.
        assertThat(iamPatterns(ours).stream().filter(p -> p.endsWith("*"))).isNotEmpty().allSatisfy(p -> assertThat(arnsA).anyMatch(arn -> IamEvaluator.glob(p, arn, false)));
    }

    /** Renaming the project changes every name above: `plan --diff` must call each of those inputs a replacement. */
    @Test
    void planDiffCallsEveryRenamedInputAReplacement() {
        Map<String, String> fields = Map.of("aws:autoscaling/group:Group", "/name",
                "aws:ec2/launchTemplate:LaunchTemplate", "/namePrefix", "aws:ssm/parameter:Parameter", "/name",
                "aws:ecr/repository:Repository", "/name", "aws:s3/bucketV2:BucketV2", "/bucketPrefix",
                "aws:cloudwatch/metricAlarm:MetricAlarm", "/name");
        fields.forEach((type, path) -> assertThat(dev.kilonode.plan.diff.ChangeBehaviour.rules())
                .as("%s %s", type, path)
                .anySatisfy(r -> {
                    assertThat(r.type()).isEqualTo(type);
                    assertThat(r.path()).isEqualTo(path);
                    assertThat(r.kind()).isEqualTo(dev.kilonode.plan.diff.ChangeBehaviour.Kind.REPLACE);
                }));
    }

    /** The ARNs IAM evaluates for the plan's groups, parameters and repositories (account and group id stand-ins). */
    static List<String> arns(Stacks.Plan plan) {
        List<String> out = new ArrayList<>();
        plan.ofType("aws:autoscaling/group:Group").forEach(g -> out.add("arn:aws:autoscaling:us-east-1:123456789012:"
                + "autoScalingGroup:0f1e2d3c-aaaa-bbbb-cccc-000000000000:autoScalingGroupName/" + g.inputs().get("name")));
        plan.ofType("aws:ssm/parameter:Parameter").forEach(p -> out.add("arn:aws:ssm:us-east-1:123456789012:parameter"
                + p.inputs().get("name")));
        plan.ofType("aws:ecr/repository:Repository").forEach(r -> out.add("arn:aws:ecr:us-east-1:123456789012:repository/"
                + r.inputs().get("name")));
        return out;
    }
}
