package dev.kilonode.plan;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** The plan's output directory, created and proven writable before any work, so a bad {@code --out} fails in one line. */
final class OutputDirectory {

    /** Message: the path and the reason, such as {@code target/x: not a directory (a file is in the way)}. */
    static final class NotWritableException extends Exception {
        NotWritableException(Path dir, String reason) {
            super(dir + ": " + reason);
        }
    }

    private OutputDirectory() {
    }

    /**
     * Checks without creating anything (a plan that fails validation writes nothing): the directory, or its nearest
     * existing ancestor, must be a writable directory.
     */
    static void check(Path dir) throws NotWritableException {
        Path existing = dir.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw new NotWritableException(dir, "no such directory");
        }
        if (!Files.isDirectory(existing)) {
            throw new NotWritableException(dir, "not a directory (" + existing + " is a file)");
        }
        if (!Files.isWritable(existing)) {
            throw new NotWritableException(dir, "permission denied on " + existing);
        }
    }

    static String reason(FileSystemException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied" + (e.getFile() != null ? " on " + e.getFile() : "");
        }
        if (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException) {
            return "not a directory (" + e.getFile() + " is a file)";
        }
        if (e instanceof NoSuchFileException) {
            return "no such directory " + e.getFile();
        }
        if (e.getReason() != null) {
            return e.getReason() + (e.getFile() != null ? " (" + e.getFile() + ")" : "");
        }
        return e.getClass().getSimpleName();
    }
}
