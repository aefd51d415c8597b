package dev.kilonode.scaleout;

import com.pulumi.aws.ssm.Parameter;
import com.pulumi.aws.ssm.ParameterArgs;
import com.pulumi.core.Output;
import com.pulumi.resources.ComponentResource;
import com.pulumi.resources.ComponentResourceOptions;
import com.pulumi.resources.CustomResourceOptions;

import java.util.Map;

/**
 * The stack's side of the paced scale-out: the pacing in SSM ({@code <ssmPrefix>/scale-out/pacing}), which the
 * ramp on master 0 ({@code components/KubernetesMaster/scale-out-ramp.sh}) reads every tick. In SSM and not in
 * the master's user-data because user-data is read at first boot only and the bound follows the cluster's size.
 */
public class ScaleOutRamp extends ComponentResource {

    public static final String TYPE = "kilonode:scaleout:ScaleOutRamp";

    public record Args(String ssmPrefix, JoinPacing pacing, Map<String, String> tags) {
    }

    private final Parameter parameter;

    public ScaleOutRamp(String name, Args args, ComponentResourceOptions options) {
        super(TYPE, name, options);
        this.parameter = new Parameter(name + "-pacing", ParameterArgs.builder()
                .name(parameterName(args.ssmPrefix()))
                .type("String")
                .value(render(args.pacing()))
                .description("kilonode: paced scale-out of the worker groups (read by master 0)")
                .tags(args.tags())
                .build(), CustomResourceOptions.builder().parent(this).build());
        registerOutputs(Map.of("parameterArn", parameter.arn()));
    }

    public static String parameterName(String ssmPrefix) {
        return ssmPrefix + "/scale-out/pacing";
    }

    /** KEY=VALUE lines, whole numbers only: the script parses them and refuses anything else. */
    public static String render(JoinPacing p) {
        return "JOIN_BOUND=" + p.joinBound() + "\n"
                + "STEP_TIMEOUT_SECONDS=" + p.stepTimeoutSeconds() + "\n"
                + "EC2_BUCKET=" + p.ec2BucketTokens() + "\n"
                + "EC2_REFILL_PER_SECOND=" + p.ec2RefillPerSecond() + "\n"
                + "EC2_RESERVE=" + p.ec2ReserveTokens() + "\n"
                + "MIN_STEP=" + p.minStep() + "\n";
    }

    public Output<String> parameterArn() {
        return parameter.arn();
    }
}
