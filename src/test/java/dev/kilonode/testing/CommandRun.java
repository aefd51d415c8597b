package dev.kilonode.testing;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/** What an in-process CLI command returned and printed: picocli runs it with its two streams captured. */
public record CommandRun(int code, String out, String err) {

    /** {@code wire} hands the command its stdout and stderr (e.g. {@code cmd::output}). */
    public static CommandRun of(Object command, BiConsumer<PrintStream, PrintStream> wire, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        wire.accept(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        int code = new CommandLine(command).execute(args);
        return new CommandRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
