package dev.kilonode.config;

import dev.kilonode.testing.Stacks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The project and stack names every physical name is built from: checked once, before any resource. */
class ProjectStackNamesTest {

    static ConfigValidationException rejected(String project, String stack) {
        return (ConfigValidationException) org.assertj.core.api.Assertions.catchThrowable(
                () -> ClusterSpecReader.read(ConfigSource.of(Stacks.config("dev")), project, stack));
    }

    @Test
    void namePrefixAndSsmPrefixComeFromProjectAndStack() {
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(Stacks.config("dev")), "team2", "dev");
        assertThat(spec.namePrefix()).isEqualTo("team2-dev");
        assertThat(spec.ssmPrefix()).isEqualTo("/team2/dev");
        // The shipped Pulumi.yaml's project is the default for offline commands.
        assertThat(ClusterSpecReader.read(ConfigSource.of(Stacks.config("dev")), "dev").project())
                .isEqualTo(DeclaredSettings.project().projectName()).isEqualTo("kilonode");
    }

    @Test
    void aPrefixTooLongForTheBucketIsOneErrorNamingProjectStackAndLimit() {
        String stack = "a".repeat(ClusterSpecReader.MAX_NAME_PREFIX - "kilonode-".length());
        assertThat(ClusterSpecReader.read(ConfigSource.of(Stacks.config("dev")), "kilonode", stack).namePrefix())
                .hasSize(ClusterSpecReader.MAX_NAME_PREFIX);
        ConfigValidationException e = rejected("kilonode", stack + "b");
        assertThat(e).isNotNull();
        assertThat(e.problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("project/stack");
            assertThat(p.value()).contains("kilonode/" + stack + "b");
            assertThat(p.allowed()).contains("at most 31", "37", "bucketPrefix", "kilonode-" + stack + "b-etcd-");
        });
        // A longer project shortens the room for the stack the same way.
        assertThat(rejected("a-much-longer-project-name", "dev-eu1").problems()).singleElement()
                .satisfies(p -> assertThat(p.allowed()).contains("'a-much-longer-project-name-dev-eu1' is 34 characters"));
    }

    @Test
    void charactersS3OrEcrRejectAreAnErrorBeforeAnyResource() {
        for (String[] bad : new String[][]{{"kilonode", "Dev"}, {"kilonode", "my_stack"}, {"kilonode", "a.b"},
                {"Team", "dev"}, {"kilonode", "a--b"}, {"kilonode", "-a"}}) {
            ConfigValidationException e = rejected(bad[0], bad[1]);
            assertThat(e).as("%s/%s", bad[0], bad[1]).isNotNull();
            assertThat(e.problems()).filteredOn(p -> p.key().equals("project/stack")).singleElement()
                    .satisfies(p -> assertThat(p.allowed()).contains("lowercase letters, digits and single hyphens"));
        }
        assertThat(rejected("sthree", "dev").problems()).singleElement()
                .satisfies(p -> assertThat(p.allowed()).contains("reserves"));
    }

    @Test
    void offlineCommandsReadTheProjectFromThePulumiYamlBesideTheStackFile(@TempDir Path dir) throws Exception {
        assertThat(DeclaredSettings.projectName(dir)).isEqualTo("kilonode");
        Files.writeString(dir.resolve("Pulumi.yaml"), "name: team2\nruntime: java\n");
        assertThat(DeclaredSettings.projectName(dir)).isEqualTo("team2");
        Files.writeString(dir.resolve("Pulumi.yaml"), "runtime: java\n");
        assertThatThrownBy(() -> DeclaredSettings.projectName(dir)).hasMessageContaining("no project name");
    }
}
