package dev.turnstile.lock.park;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.NanoClock;
import java.util.Objects;

/**
 * A lock's immutable settings. Kept out of the lock object itself so that an uncontended lock stays
 * small: the lock's queue reference points at its (usually shared) configuration until the lock is
 * first contended, and at a {@link WaitQueue} that holds the configuration from then on. Share one
 * instance between many locks where the settings are the same ({@link #DEFAULT}).
 *
 * @param fairness          how contended releases choose between waking and handing off
 * @param name              the name diagnostics show, or {@code null}
 * @param clock             the time source of fairness decisions
 * @param handOffMeanNanos  mean interval of the {@link Fairness#EVENTUAL} fairness timer
 * @param longHoldNanos     a critical section longer than this ends with a hand-off under {@link Fairness#EVENTUAL}
 * @param statistics        whether the lock keeps statistics of its acquisitions, waits and holds
 *                          (read through {@code Mutex.statistics()}), timed by {@code clock}
 */
public record LockConfig(Fairness fairness, String name, NanoClock clock, long handOffMeanNanos, long longHoldNanos,
                         boolean statistics) {

    /** Mean interval between timer-driven hand-offs: 0.5 ms, as in parking_lot. */
    public static final long DEFAULT_HAND_OFF_MEAN_NANOS = 500_000L;

    /**
     * The longest hand-off interval and long-hold threshold: about 36 years. Longer settings are
     * saturated to it by the builders (they mean "never"); the timer's arithmetic needs twice the
     * interval to fit in a {@code long} beside any {@code System.nanoTime()} value.
     */
    public static final long MAX_INTERVAL_NANOS = Long.MAX_VALUE / 4;

    /** Critical sections longer than 1 ms end with a hand-off. */
    public static final long DEFAULT_LONG_HOLD_NANOS = 1_000_000L;

    /**
     * Whether locks keep statistics unless their builder says otherwise: the system property
     * {@value #STATISTICS_PROPERTY} ({@code true} or {@code false}), read once, {@code false} if unset.
     */
    public static final boolean STATISTICS_BY_DEFAULT = Boolean.getBoolean(LockConfig.STATISTICS_PROPERTY);

    /** The system property that turns statistics on for every lock that does not choose itself. */
    public static final String STATISTICS_PROPERTY = "dev.turnstile.lock.statistics";

    /** The configuration every lock built without a builder shares. */
    public static final LockConfig DEFAULT = new LockConfig(Fairness.EVENTUAL, null, NanoClock.SYSTEM,
            DEFAULT_HAND_OFF_MEAN_NANOS, DEFAULT_LONG_HOLD_NANOS, STATISTICS_BY_DEFAULT);

    /**
     * Validates the settings.
     *
     * @throws NullPointerException     if {@code fairness} or {@code clock} is null
     * @throws IllegalArgumentException if an interval is not in (0, {@link #MAX_INTERVAL_NANOS}]
     */
    public LockConfig {
        Objects.requireNonNull(fairness, "fairness");
        Objects.requireNonNull(clock, "clock");
        if (handOffMeanNanos <= 0 || handOffMeanNanos > MAX_INTERVAL_NANOS) {
            throw new IllegalArgumentException("hand-off interval must be in (0, " + MAX_INTERVAL_NANOS + "] ns: "
                    + handOffMeanNanos + " ns");
        }
        if (longHoldNanos <= 0 || longHoldNanos > MAX_INTERVAL_NANOS) {
            throw new IllegalArgumentException("long-hold threshold must be in (0, " + MAX_INTERVAL_NANOS + "] ns: "
                    + longHoldNanos + " ns");
        }
    }
}
