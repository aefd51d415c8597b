package dev.kilonode;

import com.pulumi.Pulumi;
import dev.kilonode.plan.PlanCommand;
import dev.kilonode.images.ImagesCommand;
import dev.kilonode.secrets.SecretsCommand;
import dev.kilonode.status.StatusCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintStream;
import java.io.PrintWriter;

/**
 * Entry point. Without arguments it is the Pulumi program ({@code pulumi up} runs it through the Maven executor);
 * with a command it is kilonode's own tool: the offline {@code plan}, {@code secrets} for a new stack and {@code status} of a bring-up.
 * A user mistake is one line on stderr and exit code 2; never a stack trace.
 */
@Command(name = "kilonode", mixinStandardHelpOptions = true, version = "kilonode 0.1.0",
        description = {"A 1,000-node Kubernetes + Tungsten Fabric cluster on AWS as one Pulumi stack.", "",
                "Without a command this is the stack's Pulumi program: `pulumi up` runs it (the Maven executor starts it "
                        + "with the engine attached); started by hand it only prints this help."},
        footer = {"", "`plan` needs nothing but Java. `secrets` calls the Pulumi CLI (`pulumi config set`): it needs "
                + "`pulumi` on PATH (or --pulumi <path>) and the stack's Pulumi.<stack>.yaml."},
        subcommands = {PlanCommand.class, SecretsCommand.class, StatusCommand.class, ImagesCommand.class,
                dev.kilonode.roll.RollCommand.class})
public final class App implements Runnable {

    public static void main(String[] args) {
        if (args.length == 0) {
            // The engine starts the program with its monitor address set; without it the SDK would throw a trace.
            String monitor = System.getenv("PULUMI_MONITOR");
            if (monitor == null || monitor.isBlank()) {
                PrintStream err = System.err;
                err.println("kilonode: no command given, and not started by the Pulumi engine.");
                commandLine().usage(err);
                System.exit(2);
            }
            Pulumi.run(KilonodeStack::define);
            return;
        }
        System.exit(commandLine().execute(args));
    }

    /** The command line with one-line handling of bad arguments and unexpected failures. */
    public static CommandLine commandLine() {
        return configure(new CommandLine(new App()));
    }

    static CommandLine configure(CommandLine cl) {
        cl.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            String name = c.getCommandSpec().qualifiedName();
            c.getErr().println(name + ": " + e.getMessage().replaceAll("\\s*\\R\\s*", " ")
                    + " (see `" + name + " --help`)");
            return 2;
        });
        cl.setExecutionExceptionHandler((e, c, parseResult) -> {
            String name = c.getCommandSpec().qualifiedName();
            PrintWriter err = c.getErr();
            // Not a user mistake (those return 2 with their own message): say so in one line; the trace on request.
            err.println(name + ": internal error: " + e + " (set KILONODE_DEBUG=1 for the stack trace)");
            if (System.getenv("KILONODE_DEBUG") != null) {
                e.printStackTrace(err);
            }
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
