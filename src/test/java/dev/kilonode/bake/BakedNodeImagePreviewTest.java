package dev.kilonode.bake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kilonode.KilonodeStack;
import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.PlannedResource;
import dev.kilonode.plan.PreviewInputs;
import dev.kilonode.testing.Stacks;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `pulumi preview` of a baked stack that has no image yet: the AMI id is unknown until Image Builder has built it, so
 * the launch templates and masters carry an unknown image id (the SDK registers them only once the image's output
 * resolves, i.e. after the build), the controllers keep amiId, and the program registers exactly what the plan does.
 */
class BakedNodeImagePreviewTest {

    @TempDir Path project;

    @Test
    void theNodesWaitForTheImagesAmi() throws Exception {
        Map<String, String> config = Stacks.config("dev");
        config.put("kilonode:nodeImage", "baked");
        var spec = Stacks.spec("dev", config);
        BakeFixtures.writeLock(project, spec, "a");
        Set<String> planned = new TreeSet<>();
        Stacks.plan("dev", config, project).resources()
                .forEach(r -> planned.add(r.type() + "::" + r.name()));
        PlanEngine.Result preview = PlanEngine.run(spec.project(), "dev",
                spec.region(), config, new LinkedHashSet<>(config.keySet().stream()
                        .filter(dev.kilonode.config.SecretKeys.ALL::contains).toList()),
                ctx -> KilonodeStack.define(ctx, project), true);
        assertThat(preview.errors()).isEmpty();
        Set<String> previewed = new TreeSet<>();
        preview.resources().forEach(r -> previewed.add(r.type() + "::" + r.name()));
        assertThat(previewed).isEqualTo(planned);

        List<PlannedResource> templates = preview.resources().stream()
                .filter(r -> r.type().equals("aws:ec2/launchTemplate:LaunchTemplate")).toList();
        assertThat(templates).isNotEmpty().allSatisfy(lt -> {
            assertThat(lt.inputs().get("imageId")).isEqualTo(PreviewInputs.UNKNOWN);
        });
        assertThat(preview.resources().stream().filter(r -> "master".equals(r.tags().get("kilonode:role"))
                && r.type().equals("aws:ec2/instance:Instance"))).isNotEmpty()
                .allSatisfy(m -> assertThat(m.inputs().get("ami")).isEqualTo(PreviewInputs.UNKNOWN));
        assertThat(preview.resources().stream().filter(r -> "tf-controller".equals(r.tags().get("kilonode:role"))
                && r.type().equals("aws:ec2/instance:Instance"))).isNotEmpty()
                .allSatisfy(c -> assertThat(c.inputs().get("ami")).isEqualTo(spec.amiId()));
    }
}
