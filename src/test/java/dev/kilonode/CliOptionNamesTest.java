package dev.kilonode;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One name for one thing across the CLI: every command that takes the project directory calls it
 * {@code --project-dir} (plan and roll through plan/StackFileOptions), and the older {@code --cwd} of images,
 * status and secrets still binds to the same option, so existing scripts keep working.
 */
class CliOptionNamesTest {

    /** Every command of the CLI, subcommands of subcommands included. */
    static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> out = new ArrayList<>();
        out.add(root);
        root.getSubcommands().values().forEach(c -> out.addAll(commands(c)));
        return out;
    }

    @Test
    void everyProjectDirectoryOptionIsCalledProjectDir() {
        List<String> withDir = new ArrayList<>();
        for (CommandLine c : commands(App.commandLine())) {
            for (OptionSpec o : c.getCommandSpec().options()) {
                List<String> names = List.of(o.names());
                if (names.contains("--cwd") || names.contains("--project-dir")) {
                    assertThat(o.longestName()).as(c.getCommandName()).isIn("--project-dir", "--cwd");
                    assertThat(names).as(c.getCommandName() + " " + names).contains("--project-dir");
                    withDir.add(c.getCommandSpec().qualifiedName(" "));
                }
            }
        }
        // Not vacuous: the commands that read the project directory.
        assertThat(withDir).contains("kilonode plan", "kilonode status", "kilonode images sync", "kilonode secrets init");
    }

    @Test
    void theOlderCwdNameSetsTheSameOption() {
        for (String name : List.of("--cwd", "--project-dir")) {
            CommandLine cl = App.commandLine();
            CommandLine.ParseResult r = cl.parseArgs("status", "--stack", "dev", name, "/tmp/proj");
            CommandLine.ParseResult sub = r.subcommand();
            Object value = sub.matchedOption("--project-dir").getValue();
            assertThat(value).as(name).isEqualTo(Path.of("/tmp/proj"));
        }
    }
}
