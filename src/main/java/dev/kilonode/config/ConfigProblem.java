package dev.kilonode.config;

/** One bad setting: which key, the value given (or "(not set)"), and what is allowed. */
public record ConfigProblem(String key, String value, String allowed) {

    @Override
    public String toString() {
        return key + " = " + value + ": " + allowed;
    }
}
