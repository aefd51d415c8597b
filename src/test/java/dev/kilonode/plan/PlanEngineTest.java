package dev.kilonode.plan;

import com.pulumi.aws.ssm.Parameter;
import com.pulumi.aws.ssm.ParameterArgs;
import com.pulumi.core.Output;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PlanEngineTest {

    @Test
    void secretOutputsAreMaskedEvenWhenTheProgramDerivesThem() {
        PlanEngine.Result result = PlanEngine.run("t", "us-east-1", Map.of(), Set.of(), ctx -> {
            Output<String> secret = Output.ofSecret("s3cr3t-value");
            new Parameter("derived", ParameterArgs.builder().type("SecureString").name("/x/derived")
                    .value(secret.applyValue(v -> "prefix-" + v)).build());
            new Parameter("plain", ParameterArgs.builder().type("String").name("/x/plain").value("visible").build());
        });
        assertThat(result.errors()).isEmpty();
        PlannedResource derived = result.resources().stream().filter(r -> r.name().equals("derived")).findFirst().orElseThrow();
        PlannedResource plain = result.resources().stream().filter(r -> r.name().equals("plain")).findFirst().orElseThrow();
        assertThat(derived.inputs()).containsEntry("value", "[secret]").containsEntry("name", "/x/derived");
        assertThat(plain.inputs()).containsEntry("value", "visible");
    }

    @Test
    void integralNumbersAreIntegers() {
        assertThat(PlanEngine.normalize(Map.of("a", 3.0, "b", java.util.List.of(1.0, 2.5))))
                .isEqualTo(Map.of("a", 3, "b", java.util.List.of(1, 2.5)));
    }
}
