package dev.kilonode;

import com.pulumi.Pulumi;
import dev.kilonode.plan.PlanCommand;
import dev.kilonode.secrets.SecretsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point. Without arguments it is the Pulumi program ({@code pulumi up} runs it through the Maven executor);
 * with a command it is kilonode's own tool: the offline {@code plan} and {@code secrets} for a new stack.
 */
@Command(name = "kilonode", mixinStandardHelpOptions = true, version = "kilonode 0.1.0",
        description = "A 1,000-node Kubernetes + Tungsten Fabric cluster on AWS as one Pulumi stack.",
        subcommands = {PlanCommand.class, SecretsCommand.class})
public final class App implements Runnable {

    public static void main(String[] args) {
        if (args.length == 0) {
            Pulumi.run(KilonodeStack::define);
            return;
        }
        System.exit(new CommandLine(new App()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
