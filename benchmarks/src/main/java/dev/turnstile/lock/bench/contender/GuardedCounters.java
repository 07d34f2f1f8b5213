package dev.turnstile.lock.bench.contender;

/**
 * The values the locks guard: one counter per lock, incremented only under that lock. Their sum,
 * read once the workers are done, must equal the number of increments: lockbench's sum check.
 */
public final class GuardedCounters {
    private final long[] values;

    public GuardedCounters(int locks) {
        values = new long[locks];
    }

    /** Adds one to counter {@code slot}; the caller holds lock {@code slot}. */
    public void increment(int slot) {
        values[slot]++;
    }

    /** Counter {@code slot}; the caller holds lock {@code slot}. */
    public long get(int slot) {
        return values[slot];
    }

    /** The sum of all counters; call only when no worker runs. */
    public long sum() {
        long sum = 0;
        for (long v : values) {
            sum += v;
        }
        return sum;
    }

    /** Sets every counter back to zero; call only when no worker runs. */
    public void clear() {
        java.util.Arrays.fill(values, 0L);
    }
}
