package dev.kilonode.iam;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kilonode.iam.IamEvaluator.Decision;
import dev.kilonode.iam.IamEvaluator.Principal;
import dev.kilonode.iam.IamEvaluator.Request;
import dev.kilonode.plan.MockCloud;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Finding 11, the drainer and the ramp: the master of stack {@code a} may complete lifecycle actions and set desired
 * capacity on its own worker groups only - not on those of stack {@code a-x} (whose names {@code kilonode-a-*} matched),
 * nor on those of another project's stack {@code a}. Evaluated with {@link IamEvaluator} on the rendered policies.
 */
class WorkerGroupScopeTest {

    static final List<String> ACTIONS = List.of("autoscaling:CompleteLifecycleAction", "autoscaling:SetDesiredCapacity");
    static Stacks.Plan a;
    static Stacks.Plan ax;
    static Stacks.Plan otherProjectA;

    @BeforeAll
    static void plans() {
        a = Stacks.plan("kilonode", "a", Stacks.config("dev"));
        ax = Stacks.plan("kilonode", "a-x", Stacks.config("dev"));
        otherProjectA = Stacks.plan("team2", "a", Stacks.config("dev"));
    }

    /** The master role's policies (inline policies under the same NodeIdentity). */
    static List<JsonNode> masterPolicies(Stacks.Plan plan) {
        PlannedResource role = plan.one("aws:iam/role:Role", r -> "master".equals(r.tags().get("kilonode:role")));
        List<String> docs = plan.ofType("aws:iam/rolePolicy:RolePolicy").stream()
                .filter(p -> p.parent().equals(role.parent())).map(p -> (String) p.inputs().get("policy")).toList();
        assertThat(docs).isNotEmpty();
        return IamEvaluator.parse(docs);
    }

    static List<String> groupArns(Stacks.Plan plan) {
        List<String> arns = plan.ofType("aws:autoscaling/group:Group").stream()
                .map(g -> "arn:aws:autoscaling:us-east-1:" + MockCloud.ACCOUNT + ":autoScalingGroup:"
                        + "6d1f2c3b-0000-4000-8000-00000000000" + Math.abs(g.name().hashCode() % 10)
                        + ":autoScalingGroupName/" + g.inputs().get("name"))
                .toList();
        assertThat(arns).isNotEmpty();
        return arns;
    }

    static Decision decide(List<JsonNode> policies, String action, String arn) {
        Principal master = new Principal("arn:aws:iam::" + MockCloud.ACCOUNT + ":role/master", Map.of());
        return IamEvaluator.identity(policies, new Request(master, action, arn, Map.of()));
    }

    @Test
    void stackAsMasterActsOnItsOwnGroupsOnly() {
        List<JsonNode> master = masterPolicies(a);
        assertThat(groupArns(ax)).allSatisfy(arn -> assertThat(arn).contains("autoScalingGroupName/kilonode-a-x-"));
        for (String action : ACTIONS) {
            for (String own : groupArns(a)) {
                assertThat(decide(master, action, own)).as("%s on %s", action, own).isEqualTo(Decision.ALLOW);
            }
            for (String theirs : groupArns(ax)) {
                assertThat(decide(master, action, theirs)).as("stack a's master: %s on %s", action, theirs)
                        .isNotEqualTo(Decision.ALLOW);
            }
            for (String theirs : groupArns(otherProjectA)) {
                assertThat(decide(master, action, theirs)).as("project kilonode's master: %s on %s", action, theirs)
                        .isNotEqualTo(Decision.ALLOW);
            }
        }
        // And the other way round: a-x's master does not reach a's groups.
        List<JsonNode> axMaster = masterPolicies(ax);
        for (String arn : groupArns(a)) {
            assertThat(decide(axMaster, "autoscaling:SetDesiredCapacity", arn)).isNotEqualTo(Decision.ALLOW);
        }
    }

    /** Not vacuous: the pattern the stack used before ("kilonode-<stack>-*") lets stack a's master act on a-x's groups. */
    @Test
    void theOldNamePatternWouldHaveReachedStackAx() {
        List<JsonNode> old = IamEvaluator.parse(List.of("{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                + "[\"autoscaling:CompleteLifecycleAction\",\"autoscaling:SetDesiredCapacity\"],\"Resource\":"
                + "\"arn:aws:autoscaling:us-east-1:*:autoScalingGroup:*:autoScalingGroupName/kilonode-a-*\"}]}"));
        assertThat(groupArns(ax)).allSatisfy(arn ->
                assertThat(decide(old, "autoscaling:SetDesiredCapacity", arn)).isEqualTo(Decision.ALLOW));
    }
}
