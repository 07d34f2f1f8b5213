package dev.turnstile.lock;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Conversion of the timeouts and deadlines the public API accepts. A non-positive wait (a negative or
 * zero {@code Duration}, an {@code Instant} already past) means "try once", as in
 * {@code java.util.concurrent}: it is never an error, so
 * {@code tryLock(Duration.between(Instant.now(), deadline))} in a retry loop keeps working after the
 * deadline. Only {@code null} throws.
 */
final class Timeouts {
    private Timeouts() {
    }

    /**
     * A wait's length in nanoseconds: 0 for a negative or zero wait, saturated at
     * {@code Long.MAX_VALUE} (about 292 years).
     *
     * @throws NullPointerException if {@code timeout} is null
     */
    static long waitNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return timeout.isNegative() ? 0L : saturatedNanos(timeout);
    }

    /**
     * The wait until {@code deadline}, read against the wall clock once, now; {@link Duration#ZERO}
     * for a deadline that has passed.
     *
     * @throws NullPointerException if {@code deadline} is null
     */
    static Duration until(Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** A wait that cannot be negative, for a {@link LockTimeoutException}'s message. */
    static Duration nonNegative(Duration timeout) {
        return timeout.isNegative() ? Duration.ZERO : timeout;
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}
