package dev.turnstile.lock.park;

/**
 * The diagnostic side state of one lock whose acquisitions the core records (its {@code PROFILED}
 * bit is set): its statistics, if they are on, and the start of the exclusive hold in progress. Kept
 * in the lock's {@link WaitQueue}, so an unobserved lock pays nothing for it.
 *
 * <p>{@link #holdSince}, {@link #holdTimed}, {@link #holdEvent} and {@link #holdEventBegun} belong
 * to the exclusive holder: written after it acquired, read and cleared before it releases, so the
 * lock's own acquire/release ordering is all the synchronization they need. A hold that began before
 * the lock was profiled has no start (not {@link #holdTimed}, not begun) and is not timed. The JFR
 * event is one object per lock, begun and ended by each hold in turn: timing holds allocates nothing.
 */
final class LockProbe {
    /** The lock's statistics, or {@code null} when only JFR events profile it. */
    final StatisticsRecorder statistics;
    /** When the exclusive hold in progress began (statistics clock), if {@link #holdTimed}. */
    long holdSince;
    /**
     * Whether the exclusive hold in progress is timed by {@link #holdSince}: a flag, not a sentinel
     * reading, since a {@link dev.turnstile.lock.NanoClock} may return any {@code long}.
     */
    boolean holdTimed;
    /** This lock's JFR long-hold event, reused by every hold; created by the first hold that needs it. */
    Object holdEvent;
    /** Whether the exclusive hold in progress began {@link #holdEvent}. */
    boolean holdEventBegun;

    LockProbe(StatisticsRecorder statistics) {
        this.statistics = statistics;
    }
}
