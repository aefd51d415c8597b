package dev.kilonode.bake;

import dev.kilonode.testing.CommandRun;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.plan.PlanCommand;
import dev.kilonode.testing.Stacks;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Day 2 with a baked image: a new bake (here: a new digest in the lock) is a new AMI; `plan --diff` says the workers
 * roll by instance refresh and the masters ignore it until `kilonode roll`.
 */
class BakedImageDay2Test {

    static CommandRun plan(String... args) {
        PlanCommand cmd = new PlanCommand();
        return CommandRun.of(cmd, cmd::output, args);
    }

    @Test
    void aNewBakeRollsTheWorkersAndTheMastersIgnoreIt(@TempDir Path tmp) throws Exception {
        Path project = Files.createDirectories(tmp.resolve("project"));
        Files.copy(Path.of("Pulumi.yaml"), project.resolve("Pulumi.yaml"));
        Files.writeString(project.resolve("Pulumi.dev.yaml"), Files.readString(Path.of("Pulumi.dev.yaml"))
                .replace("config:\n", "config:\n  kilonode:nodeImage: baked\n"));
        var config = Stacks.config("dev");
        config.put("kilonode:nodeImage", "baked");
        var spec = Stacks.spec("dev", config);

        BakeFixtures.writeLock(project, spec, "a");
        CommandRun first = plan("--stack", "dev", "--project-dir", project.toString(), "--image-lock-dir", project.toString(), "--out", tmp.resolve("before").toString());
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).contains("node image: masters and workers boot from the baked image " + spec.namePrefix() + "-node 1.0.");
        var summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tmp.resolve("before/summary.json").toFile())
                .get("nodeImage");
        assertThat(summary.get("setting").asText()).isEqualTo("baked");
        assertThat(summary.get("recipe").asText()).matches(java.util.regex.Pattern.quote(spec.namePrefix()) + "-node 1\\.0\\.\\d+");
        assertThat(summary.get("parentAmi").asText()).isEqualTo(spec.amiId());

        // The same stack on stock says so, and builds nothing.
        CommandRun stock = plan("--stack", "dev", "--out", tmp.resolve("stock").toString());
        assertThat(stock.code()).as(stock.err()).isZero();
        assertThat(stock.out()).contains("node image: nodes boot from the stock Ubuntu AMI " + spec.amiId() + " and install at boot");
        assertThat(Files.readString(tmp.resolve("stock/resources.json"))).doesNotContain("aws:imagebuilder/");

        BakeFixtures.writeLock(project, spec, "b");
        CommandRun second = plan("--stack", "dev", "--project-dir", project.toString(), "--image-lock-dir", project.toString(), "--out", tmp.resolve("after").toString(),
                "--diff", tmp.resolve("before").toString());
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out())
                .contains("rolls 3 workers of " + spec.namePrefix() + "-worker (new launch-template version: instance refresh)")
                .contains("/imageId: update that rolls instances/pods")
                .contains("ignored by `pulumi up`: master 0 keeps its old ami")
                .contains("roll it with `kilonode roll masters --stack dev`")
                .contains("/ami: ignored (would delete, then replace)")
                .contains("aws:imagebuilder/image:Image");
    }
}
