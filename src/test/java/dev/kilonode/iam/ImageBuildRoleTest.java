package dev.kilonode.iam;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.bake.BakedNodeImage;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.iam.IamEvaluator.Decision;
import dev.kilonode.iam.IamEvaluator.Request;
import dev.kilonode.images.ImageCatalog;
import dev.kilonode.plan.MockCloud;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Image Builder build instance's role (kilonode:nodeImage = baked), evaluated with {@link IamEvaluator} over its
 * inline policy and AmazonSSMManagedInstanceCore ({@link LeastPrivilegeTest#MANAGED}), which Image Builder needs and
 * which allows ssm:GetParameter on everything: the explicit deny keeps the PKI and control-plane configuration out
 * of reach; it pulls only this stack's repositories and reads only its own component.
 */
class ImageBuildRoleTest {

    @Test
    void theBuildInstanceCannotReadThePkiAndPullsOnlyThisStacksImages() throws Exception {
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:nodeImage", "baked");
        ClusterSpec spec = Stacks.spec("dev", config);
        // The program's own image lock (the test fixture lock for this config), which the bake also uses.
        LeastPrivilegeTest.plan = Stacks.plan("dev", config);
        Map<String, LeastPrivilegeTest.Identity> ids = LeastPrivilegeTest.identities();
        LeastPrivilegeTest.Identity build = ids.get("image-builder");
        assertThat(build).as("the image build role").isNotNull();
        assertThat(LeastPrivilegeTest.plan.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
                .extracting(a -> a.inputs().get("policyArn")).containsExactly(BakedNodeImage.SSM_CORE);

        for (PlannedResource p : LeastPrivilegeTest.controlPlaneParameters()) {
            assertThat(IamEvaluator.identity(build.policies(), new Request(build.principal(), "ssm:GetParameter",
                    LeastPrivilegeTest.arn(p), Map.of()))).as("reads %s", p.inputs().get("name")).isEqualTo(Decision.EXPLICIT_DENY);
            assertThat(LeastPrivilegeTest.read(build, p)).isNotEqualTo(Decision.ALLOW);
        }
        String repo = "arn:aws:ecr:us-east-1:" + MockCloud.ACCOUNT + ":repository/";
        assertThat(allowed(build, "ecr:BatchGetImage", repo + ImageCatalog.prefix(spec) + "/pause")).isEqualTo(Decision.ALLOW);
        assertThat(allowed(build, "ecr:GetDownloadUrlForLayer", repo + ImageCatalog.prefix(spec) + "/kube-apiserver"))
                .isEqualTo(Decision.ALLOW);
        assertThat(allowed(build, "ecr:BatchGetImage", repo + ImageCatalog.prefix(spec).replace("-dev", "-prod") + "/pause")).isEqualTo(Decision.IMPLICIT_DENY);
        assertThat(allowed(build, "ecr:PutImage", repo + ImageCatalog.prefix(spec) + "/pause")).isEqualTo(Decision.IMPLICIT_DENY);
        String component = "arn:aws:imagebuilder:us-east-1:" + MockCloud.ACCOUNT + ":component/" + ImageCatalog.prefix(spec)
                + "-node/1.0.1/1";
        assertThat(allowed(build, "imagebuilder:GetComponent", component)).isEqualTo(Decision.ALLOW);
        assertThat(allowed(build, "imagebuilder:GetComponent", component.replace("-dev-node", "-prod-node")))
                .isEqualTo(Decision.IMPLICIT_DENY);
        // Image Builder drives the instance through the SSM agent (Run Command).
        for (String action : List.of("ssm:UpdateInstanceInformation", "ec2messages:GetMessages", "ssmmessages:OpenControlChannel")) {
            assertThat(allowed(build, action, "*")).as(action).isEqualTo(Decision.ALLOW);
        }
        // No other role picked up the build role's rights.
        for (String role : List.of("master", "worker", "tf-controller")) {
            assertThat(allowed(ids.get(role), "imagebuilder:GetComponent", component)).as(role).isEqualTo(Decision.IMPLICIT_DENY);
        }
    }

    static Decision allowed(LeastPrivilegeTest.Identity who, String action, String resource) {
        return IamEvaluator.identity(who.policies(), new Request(who.principal(), action, resource, Map.of()));
    }
}
