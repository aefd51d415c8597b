package dev.kilonode.plan;

import dev.kilonode.KilonodeStack;
import dev.kilonode.config.ClusterSpec;
import dev.kilonode.config.ClusterSpecReader;
import dev.kilonode.config.ConfigValidationException;
import dev.kilonode.plan.diff.DiffReport;
import dev.kilonode.plan.diff.PlanDiff;
import dev.kilonode.plan.diff.PlanSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.Optional;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code kilonode plan --stack <name>}: runs the real stack program offline under the SDK's mock engine with that
 * stack's settings and writes what it would create. With {@code --diff DIR} it then prints what changed against the
 * earlier plan in DIR (resources, inputs, rendered user-data/kubeadm/manifests as unified diffs, estimated cost),
 * as text or, with {@code --format markdown}, as a pull-request comment. Exit codes: 0 planned (with or without
 * differences), 2 invalid configuration or an invalid {@code --diff} directory (nothing written), 1 anything else.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Plan a stack offline (no Pulumi CLI, cloud account or network) and write its resources.")
public final class PlanCommand implements Callable<Integer> {

    @Mixin
    StackFileOptions stackFile = new StackFileOptions();

    @Option(names = "--out", description = "output directory (default target/plan/<stack>)")
    Path out;

    @Option(names = "--image-lock-dir", paramLabel = "DIR", description = "read images/<stack>.lock.json under DIR "
            + "instead of the project directory")
    Path imageLockDir;

    @Option(names = "--diff", paramLabel = "DIR",
            description = "after writing the plan, print what changed against the earlier plan written to DIR")
    Path diff;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "how --diff prints: ${COMPLETION-CANDIDATES} (markdown: a pull-request comment; default text)")
    DiffReport.Format format;

    PrintStream stdout = System.out;
    PrintStream stderr = System.err;

    /** Where the command prints (tests capture it; picocli builds the command with System.out/err). */
    public PlanCommand output(PrintStream out, PrintStream err) {
        this.stdout = out;
        this.stderr = err;
        return this;
    }

    @Override
    public Integer call() {
        Optional<Path> stackFilePath = stackFile.file("plan", stderr);
        if (stackFilePath.isEmpty()) {
            return 2;
        }
        Path file = stackFilePath.get();
        String stack = stackFile.stack();
        Path projectDir = stackFile.projectDir();
        if (format != null && diff == null) {
            stderr.println("kilonode plan: --format applies to --diff; add --diff <dir of an earlier plan>");
            return 2;
        }
        // Read the earlier plan first: it must be valid before anything is written, and --out may be the same dir.
        PlanSnapshot before = null;
        if (diff != null) {
            try {
                before = PlanSnapshot.read(diff);
            } catch (PlanSnapshot.NotAPlanException e) {
                stderr.println("kilonode plan: --diff " + e.getMessage());
                return 2;
            }
        }
        Path dir = out != null ? out : Path.of("target", "plan", stack);
        try {
            OutputDirectory.check(dir);
        } catch (OutputDirectory.NotWritableException e) {
            stderr.println("kilonode plan: cannot write " + (out != null ? "--out " : "") + e.getMessage());
            return 2;
        }
        try {
            int code = plan(file, dir);
            if (code != 0 || before == null) {
                return code;
            }
            PlanSnapshot after;
            try {
                after = PlanSnapshot.read(dir);
            } catch (PlanSnapshot.NotAPlanException e) {
                stderr.println("kilonode plan: cannot read the plan just written: " + e.getMessage());
                return 1;
            }
            PlanDiff d = PlanDiff.between(before, after);
            if (format != DiffReport.Format.markdown) {
                stdout.println();
            }
            stdout.print(DiffReport.render(d, format == null ? DiffReport.Format.text : format));
            stdout.flush();
            return 0;
        } catch (ConfigValidationException e) {
            stderr.println("kilonode plan: " + file + ": " + e.getMessage());
            return 2;
        } catch (StackFileException e) {
            stderr.println(e.getMessage());
            return 2;
        } catch (java.nio.file.FileSystemException e) {
            // The checked directory can still fail while writing (a full disk, a read-only mount).
            stderr.println("kilonode plan: cannot write " + dir + ": " + OutputDirectory.reason(e));
            return 2;
        } catch (IOException e) {
            stderr.println("kilonode plan: " + e.getMessage());
            return 1;
        }
    }

    private int plan(Path file, Path dir) throws IOException {
        String stack = stackFile.stack();
        Path projectDir = stackFile.projectDir();
        // Validate first: a bad stack file writes nothing and exits 2.
        StackInput input = StackInput.load(file, stack);
        ClusterSpec spec = input.spec();
        Map<String, String> config = input.config();
        Set<String> secretKeys = input.secretKeys();
        List<String> placeholders = input.placeholders();

        // The image lock decides the bring-up phase, as it does under `pulumi up` (images.BringUp).
        Path lockDir = imageLockDir != null ? imageLockDir : dev.kilonode.images.BringUp.lockDirectory(projectDir);
        dev.kilonode.images.BringUp bringUp;
        try {
            bringUp = dev.kilonode.images.BringUp.decide(spec, lockDir);
        } catch (dev.kilonode.images.BringUp.LockException e) {
            stderr.println("kilonode plan: " + e.getMessage());
            return 2;
        }
        long started = System.nanoTime();
        PlanEngine.Result result = PlanEngine.run(spec.project(), stack, spec.region(), config, secretKeys,
                ctx -> KilonodeStack.define(ctx, lockDir));
        if (result.exitCode() != 0 || !result.errors().isEmpty()) {
            stderr.println("kilonode plan: the program failed:");
            result.errors().forEach(e -> stderr.println("  " + e));
            return 1;
        }
        List<String> warnings = new ArrayList<>(ClusterSpecReader.warnings(spec, LocalDate.now(ZoneOffset.UTC)));
        if (!placeholders.isEmpty()) {
            warnings.add("secrets not initialised; planned with a placeholder CA and [secret] stand-ins (run `java -jar "
                    + "target/kilonode.jar secrets init --stack " + stack + "` before `pulumi up`)");
        }
        if (!bringUp.complete()) {
            warnings.add(0, bringUp.nextSteps(stack));
        }
        warnings.addAll(bringUp.warnings(stack));
        Map<String, Object> summary = PlanSummary.of(spec, bringUp, result.resources(), warnings);
        PlanWriter.write(dir, result.resources(), summary);
        // A Markdown diff is a pull-request comment on stdout: the plain summary goes to stderr then.
        PrintStream summaryOut = format == DiffReport.Format.markdown ? stderr : stdout;
        PlanSummary.print(summaryOut, spec, result.resources(), summary, dir, (System.nanoTime() - started) / 1_000_000);
        return 0;
    }
}
