package dev.kilonode.roll;

import dev.kilonode.KilonodeStack;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.plan.PlanEngine;
import dev.kilonode.plan.StackFileOptions;
import dev.kilonode.plan.StackFileException;
import dev.kilonode.plan.StackInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Optional;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code kilonode roll masters|controllers --stack S}: prints the bash runbook that replaces the stack's control-plane
 * machines one at a time (see {@link RollPlan}). Offline: it runs the program under the mock engine only to find the
 * machines and their URNs. Exit codes as for {@code plan}: 2 for a missing or invalid stack file.
 */
@Command(name = "roll", mixinStandardHelpOptions = true,
        description = "Print the one-at-a-time `pulumi up --replace` sequence, with health checks, for masters or TF controllers.")
public final class RollCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "ROLE", description = "what to roll: ${COMPLETION-CANDIDATES}")
    RollPlan.Role role;

    @Mixin
    StackFileOptions stackFile = new StackFileOptions();

    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    public RollCommand output(PrintStream out, PrintStream err) {
        this.stdout = out;
        this.stderr = err;
        return this;
    }

    @Override
    public Integer call() {
        Optional<Path> stackFilePath = stackFile.file("roll", stderr);
        if (stackFilePath.isEmpty()) {
            return 2;
        }
        Path file = stackFilePath.get();
        String stack = stackFile.stack();
        Path projectDir = stackFile.projectDir();
        try {
            StackInput input = StackInput.load(file, stack);
            ClusterSpec spec = input.spec();
            java.nio.file.Path lockDir = dev.kilonode.images.BringUp.lockDirectory(projectDir);
            PlanEngine.Result result = PlanEngine.run(spec.project(), stack, spec.region(), input.config(), input.secretKeys(),
                    ctx -> KilonodeStack.define(ctx, lockDir));
            if (result.exitCode() != 0 || !result.errors().isEmpty()) {
                stderr.println("kilonode roll: the program failed: " + String.join("; ", result.errors()));
                return 1;
            }
            List<RollPlan.Machine> machines = RollPlan.machines(spec.project(), stack, role, spec, result.resources());
            stdout.print(RollPlan.render(stack, role, machines));
            stdout.flush();
            return 0;
        } catch (ConfigValidationException e) {
            stderr.println("kilonode roll: " + file + ": " + e.getMessage());
            return 2;
        } catch (StackFileException e) {
            stderr.println(e.getMessage());
            return 2;
        } catch (IOException e) {
            stderr.println("kilonode roll: " + e.getMessage());
            return 1;
        }
    }
}
