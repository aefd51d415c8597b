package dev.kilonode.status;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Rate, time remaining and stall detection over successive {@link Progress} looks. Pure: times are passed in.
 * The rate is Ready workers per minute over the last {@value #WINDOW_SECONDS} s; a stall is no counter changing for
 * the stall timeout while the bring-up is not complete.
 */
public final class ProgressTracker {

    static final long WINDOW_SECONDS = 300;

    private record Point(long at, int ready) {
    }

    private final long stallTimeoutSeconds;
    private final Deque<Point> window = new ArrayDeque<>();
    private Progress last;
    private long lastChange = -1;

    public ProgressTracker(long stallTimeoutSeconds) {
        this.stallTimeoutSeconds = stallTimeoutSeconds;
    }

    public void record(long now, Progress p) {
        if (last == null || !last.counters().equals(p.counters())) {
            lastChange = now;
        }
        last = p;
        if (p.ready() >= 0) {
            window.addLast(new Point(now, p.ready()));
        }
        while (window.size() > 2 && now - window.peekFirst().at() > WINDOW_SECONDS) {
            window.removeFirst();
        }
    }

    /** Ready workers per minute, or NaN before two looks a moment apart. */
    public double ratePerMinute() {
        if (window.size() < 2 || window.peekLast().at() == window.peekFirst().at()) {
            return Double.NaN;
        }
        return (window.peekLast().ready() - window.peekFirst().ready()) * 60.0
                / (window.peekLast().at() - window.peekFirst().at());
    }

    /** Minutes to all target workers Ready at the current rate; NaN when there is no positive rate. */
    public double etaMinutes() {
        double rate = ratePerMinute();
        if (last == null || !(rate > 0)) {
            return Double.NaN;
        }
        return Math.max(0, last.target() - last.ready()) / rate;
    }

    public long secondsSinceProgress(long now) {
        return lastChange < 0 ? 0 : now - lastChange;
    }

    public boolean stalled(long now) {
        return last != null && !last.complete() && secondsSinceProgress(now) > stallTimeoutSeconds;
    }
}
