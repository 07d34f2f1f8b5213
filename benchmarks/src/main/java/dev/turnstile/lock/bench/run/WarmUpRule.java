package dev.turnstile.lock.bench.run;

import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * When a scenario's warm-up is over, the same rule for every contender: unmeasured rounds run until
 * the JVM has reached a steady state or a time cap is hit. Steady means: at least {@code minRounds}
 * rounds and {@code minNanos} have passed, the last two rounds' throughputs are within
 * {@code tolerance} of each other, and the JIT compiled for at most {@link #JIT_QUIET_SHARE} of the
 * last round's time (a round that still triggers compilation is not steady, however level its
 * throughput looks: a slow path reaching C2 late is exactly what a fixed count of warm-up rounds
 * misses).
 *
 * @param minRounds at least this many warm-up rounds (at least 2, so that there are two to compare)
 * @param minNanos  and at least this much warm-up time
 * @param capNanos  stop warming up once this much time has passed, steady or not (the result is
 *                  then marked as measured after a capped warm-up)
 * @param tolerance the largest relative difference, {@code |a - b| / max(a, b)}, between the last two
 *                  rounds' throughputs that counts as level (0.10 = 10 %)
 */
public record WarmUpRule(int minRounds, long minNanos, long capNanos, double tolerance) {
    /** A round counts as JIT-quiet when compilation took at most this share of its wall time. */
    public static final double JIT_QUIET_SHARE = 0.02;

    /** Where a warm-up stands after a round. */
    public enum State {
        /** Not steady yet and under the cap: run another warm-up round. */
        CONTINUE,
        /** Steady: measure now. */
        STEADY,
        /** The time cap was hit before the rounds were steady: measure anyway, and say so. */
        CAPPED
    }

    /**
     * @throws IllegalArgumentException if {@code minRounds < 2}, a time is negative, the cap is below
     *                                  the minimum time, or the tolerance is not in (0, 1)
     */
    public WarmUpRule {
        if (minRounds < 2) {
            throw new IllegalArgumentException("the warm-up needs at least 2 rounds to compare: " + minRounds);
        }
        if (minNanos < 0 || capNanos < minNanos) {
            throw new IllegalArgumentException("warm-up time: minimum " + minNanos + " ns, cap " + capNanos + " ns");
        }
        if (!(tolerance > 0 && tolerance < 1)) {
            throw new IllegalArgumentException("warm-up tolerance must be in (0, 1): " + tolerance);
        }
    }

    /**
     * Decides after a warm-up round.
     *
     * @param throughputs   ops/ms of every warm-up round so far, in order
     * @param elapsedNanos  time spent warming up so far
     * @param jitQuiet      whether the JIT was quiet during the last round
     * @return what to do next
     */
    public State after(double[] throughputs, long elapsedNanos, boolean jitQuiet) {
        int n = throughputs.length;
        if (n >= minRounds && elapsedNanos >= minNanos && jitQuiet && level(throughputs[n - 2], throughputs[n - 1])) {
            return State.STEADY;
        }
        return elapsedNanos >= capNanos ? State.CAPPED : State.CONTINUE;
    }

    /** Whether two throughputs are within the tolerance of each other. */
    boolean level(double a, double b) {
        double top = Math.max(a, b);
        return top <= 0 || Math.abs(a - b) <= tolerance * top;
    }

    /** Whether a round that compiled for {@code compileNanos} of its {@code roundNanos} was JIT-quiet. */
    static boolean jitQuiet(long compileNanos, long roundNanos) {
        return compileNanos <= JIT_QUIET_SHARE * roundNanos;
    }

    /** The rule in one sentence, for the reports and {@code --help}. */
    public String describe() {
        return String.format(Locale.ROOT,
                "every contender warms up each scenario with unmeasured rounds until at least %d rounds and %d ms have"
                        + " passed, the last two rounds' throughputs are within %.0f%% of each other and the JIT compiled"
                        + " for at most %.0f%% of the last round; or until %d ms have passed (then the result is marked"
                        + " 'warm-up capped')",
                minRounds, TimeUnit.NANOSECONDS.toMillis(minNanos), tolerance * 100, JIT_QUIET_SHARE * 100,
                TimeUnit.NANOSECONDS.toMillis(capNanos));
    }
}
