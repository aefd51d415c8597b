package dev.kilonode.config;

import java.util.List;
import java.util.stream.Collectors;

/** Every problem found in a stack's settings, reported together so a user fixes them in one pass. */
public final class ConfigValidationException extends RuntimeException {

    private final List<ConfigProblem> problems;

    public ConfigValidationException(List<ConfigProblem> problems) {
        super(format(problems));
        this.problems = List.copyOf(problems);
    }

    public List<ConfigProblem> problems() {
        return problems;
    }

    /** One problem: one line. Several: a count, then one line each. */
    private static String format(List<ConfigProblem> problems) {
        if (problems.size() == 1) {
            return "invalid stack configuration: " + problems.get(0);
        }
        return "invalid stack configuration (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n"
                + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n"));
    }
}
