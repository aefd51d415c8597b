package dev.kilonode.plan;

import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The options of every command that reads a stack file ({@code plan}, {@code roll}), as a picocli mixin:
 * {@code --stack}, {@code --config} and {@code --project-dir}, and the one rule for which file they name.
 */
public final class StackFileOptions {

    @Option(names = "--stack", required = true, description = "stack name: reads Pulumi.<stack>.yaml")
    String stack;

    @Option(names = "--config", description = "read this stack file instead of Pulumi.<stack>.yaml")
    Path configFile;

    @Option(names = "--project-dir", defaultValue = ".", description = "where Pulumi.<stack>.yaml lives (default: .)")
    Path projectDir;

    public String stack() {
        return stack;
    }

    public Path projectDir() {
        return projectDir;
    }

    /** The stack file, or empty after one line on {@code err} saying which file is missing (the caller exits 2). */
    public Optional<Path> file(String command, PrintStream err) {
        Path file = configFile != null ? configFile : projectDir.resolve("Pulumi." + stack + ".yaml");
        if (!Files.isRegularFile(file)) {
            err.println("kilonode " + command + ": no stack file " + file + " (create it with `pulumi stack init " + stack + "`)");
            return Optional.empty();
        }
        return Optional.of(file);
    }
}
