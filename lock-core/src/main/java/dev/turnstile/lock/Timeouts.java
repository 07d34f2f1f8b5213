package dev.turnstile.lock;

import java.time.Duration;
import java.util.Objects;

/** Validation and conversion of the timeouts the public API accepts. */
final class Timeouts {
    private Timeouts() {
    }

    /**
     * A wait's length in nanoseconds, saturated at {@code Long.MAX_VALUE} (about 292 years).
     *
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    static long waitNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        return saturatedNanos(timeout);
    }

    static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }
}
