package dev.turnstile.lock;

/**
 * The time source a lock's fairness decisions read, in nanoseconds with an arbitrary origin, like
 * {@link System#nanoTime()}. Injectable so fairness can be tested with a clock the test moves by
 * hand. Timeouts ({@code tryLock(Duration)}) always use {@link System#nanoTime()}, since that is the
 * clock threads actually park against.
 */
@FunctionalInterface
public interface NanoClock {
    /** The system's monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    /**
     * {@return the current time in nanoseconds} Only differences between two readings are meaningful.
     */
    long nanoTime();
}
