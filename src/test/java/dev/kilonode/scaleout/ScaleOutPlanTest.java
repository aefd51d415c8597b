package dev.kilonode.scaleout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kilonode.App;
import dev.kilonode.cloudinit.UserData;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.testing.Stacks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The paced scale-out in the stack: pacing in SSM, master 0's timer and permission, groups starting at step one. */
class ScaleOutPlanTest {

    @Test
    void scaleStackRampsItsThousandWorkers() {
        Stacks.Plan plan = Stacks.plan("scale");
        PlannedResource pacing = plan.one("aws:ssm/parameter:Parameter",
                r -> "/kilonode/scale/scale-out/pacing".equals(r.inputs().get("name")));
        assertThat((String) pacing.inputs().get("value")).contains("JOIN_BOUND=250\n").contains("EC2_BUCKET=1000\n")
                .contains("EC2_REFILL_PER_SECOND=2\n").contains("STEP_TIMEOUT_SECONDS=2700\n");

        PlannedResource masterPolicy = plan.one("aws:iam/rolePolicy:RolePolicy",
                r -> String.valueOf(r.inputs().get("policy")).contains("PaceWorkerScaleOut"));
        String policy = (String) masterPolicy.inputs().get("policy");
        assertThat(policy).containsPattern("\"Action\":\\[\"autoscaling:SetDesiredCapacity\"\\],"
                + "\"Effect\":\"Allow\",\"Resource\":\\[\"arn:aws:autoscaling:us-east-1:\\*:autoScalingGroup:\\*:"
                + "autoScalingGroupName/kilonode-scale-worker\"\\],\"Sid\":\"PaceWorkerScaleOut\"");
        // The master may read the pacing (it is in its ssm:GetParameter list).
        assertThat(plan.ofType("aws:iam/rolePolicy:RolePolicy")).filteredOn(r -> r == masterPolicy).hasSize(1);

        PlannedResource master = plan.one("aws:ec2/instance:Instance", r -> "master".equals(r.tags().get("kilonode:role")));
        String userData = UserData.decode((String) master.inputs().get("userDataBase64"));
        assertThat(userData).contains("/opt/kilonode/scale-out-ramp.sh").contains("kilonode-scale-out-ramp.timer")
                // enabled in runcmd: `systemctl enable --now ... kilonode-scale-out-ramp.timer` (a YAML list)
                .containsPattern("- --now\\n(  - kilonode-[a-z-]+\\.timer\\n)*  - kilonode-scale-out-ramp\\.timer\\n");

        PlannedResource asg = plan.one("aws:autoscaling/group:Group", r -> true);
        assertThat(asg.inputs()).containsEntry("desiredCapacity", 250).containsEntry("maxSize", 1000)
                .containsEntry("minSize", 0);
    }

    @Test
    void planShowsTheBoundAndTheRamp(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = new CommandLine(new App()).execute("plan", "--stack", "scale", "--out", dir.toString());
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).contains("scale-out: at most 250 workers joining at once")
                .containsPattern("ramp: 1000 workers in \\d+ steps, all Ready after ~\\d+ min");
        JsonNode s = new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).path("scaleOut");
        assertThat(s.path("maxJoiningAtOnce").asInt()).isEqualTo(250);
        assertThat(s.path("ec2RunInstancesBucket").path("tokens").asInt()).isEqualTo(1000);
        assertThat(s.path("firstStep").path("worker").asInt()).isEqualTo(250);
        assertThat(s.path("ramp").path("steps").asInt()).isGreaterThanOrEqualTo(4);
        assertThat(s.path("ramp").path("minutesToAllReady").asInt()).isPositive();
    }
}
