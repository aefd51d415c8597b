package dev.kilonode.plan;

import java.io.IOException;
import java.nio.file.Path;

/** A stack file that cannot be read as one: reported as {@code file:line:column: what is wrong}, like a compiler. */
public final class StackFileException extends IOException {

    private final Path file;
    private final int line;
    private final int column;
    private final String problem;

    public StackFileException(Path file, int line, int column, String problem) {
        super(file + ":" + line + ":" + column + ": " + problem);
        this.file = file;
        this.line = line;
        this.column = column;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    public int line() {
        return line;
    }

    public int column() {
        return column;
    }

    public String problem() {
        return problem;
    }
}
