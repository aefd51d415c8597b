package dev.kilonode.status;

import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The options of the commands that act on a deployed stack through its outputs ({@code status}, {@code images sync}),
 * as a picocli mixin: the stack, its project directory, and where its outputs come from ({@code --outputs FILE}, else
 * {@code pulumi stack output --json} run in the project directory). plan/StackFileOptions is the counterpart for
 * commands that read the stack file.
 */
public final class StackOutputOptions {

    @Option(names = "--stack", required = true, description = "the stack")
    public String stack;

    @Option(names = {"--project-dir", "--cwd"}, defaultValue = ".",
            description = "the project directory (default: .; --cwd is its older name)")
    public Path projectDir;

    @Option(names = "--outputs", description = "stack outputs as JSON (default: `pulumi stack output --json`)")
    public Path outputsFile;

    @Option(names = "--pulumi", defaultValue = "pulumi", description = "the Pulumi CLI (default: pulumi on PATH)")
    public String pulumi;

    /** The outputs' JSON text, and a name for it in messages. */
    public record Json(String text, String from) {
    }

    /** {@code --outputs}, else {@code pulumi stack output --json --stack S} in the project directory. */
    public Json outputsJson() throws StackOutputs.Unreadable {
        if (outputsFile != null) {
            try {
                return new Json(Files.readString(outputsFile), outputsFile.toString());
            } catch (IOException e) {
                throw new StackOutputs.Unreadable("cannot read " + outputsFile + ": " + e.getMessage());
            }
        }
        try {
            Process p = new ProcessBuilder(pulumi, "stack", "output", "--json", "--stack", stack)
                    .directory(projectDir.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new StackOutputs.Unreadable("`" + pulumi + " stack output --json --stack " + stack
                        + "` failed; pass --outputs FILE");
            }
            return new Json(out, "the outputs of stack " + stack);
        } catch (IOException e) {
            throw new StackOutputs.Unreadable("cannot run `" + pulumi + "` (" + e.getMessage()
                    + "); install the Pulumi CLI or pass --outputs FILE");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StackOutputs.Unreadable("interrupted");
        }
    }
}
