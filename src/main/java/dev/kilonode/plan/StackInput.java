package dev.kilonode.plan;

import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A stack file as every offline command reads it: its settings (secrets not yet initialised filled with stand-ins,
 * see {@link Placeholders}), which of them are secret, and the validated {@link ClusterSpec}. One place, so
 * {@code plan}, {@code roll} and {@code images sync} cannot disagree about what a stack file means.
 */
public record StackInput(Map<String, String> config, Set<String> secretKeys, List<String> placeholders,
                         ClusterSpec spec) {

    /** Reads and validates {@code file}; throws {@link dev.kilonode.config.ConfigValidationException} before anything is planned or written. */
    public static StackInput load(Path file, String stack) throws IOException {
        StackFile stackFile = StackFile.read(file);
        Map<String, String> config = new TreeMap<>(stackFile.config());
        Set<String> secretKeys = new LinkedHashSet<>(stackFile.secretKeys());
        List<String> placeholders = Placeholders.fill(config, secretKeys);
        // The project name from the Pulumi.yaml beside the stack file (the one `pulumi up` there would use).
        String project = dev.kilonode.config.DeclaredSettings.projectName(file.toAbsolutePath().getParent());
        ClusterSpec spec = ClusterSpecReader.read(ConfigSource.of(config), project, stack);
        return new StackInput(config, secretKeys, placeholders, spec);
    }
}
