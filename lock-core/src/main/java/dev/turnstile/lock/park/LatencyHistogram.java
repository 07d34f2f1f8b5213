package dev.turnstile.lock.park;

import dev.turnstile.lock.LockStatistics;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A fixed-size, lock-free histogram of durations in nanoseconds, log-linear like HdrHistogram: exact
 * below {@value #SUB_BUCKETS} ns, and above that each power of two is split into
 * {@code SUB_BUCKETS / 2} equal buckets.
 *
 * <h2>Buckets</h2>
 * A value {@code v < 32} has its own bucket. A larger value with highest set bit {@code e} (so
 * {@code 2^e <= v < 2^(e+1)}) falls in one of 16 buckets of width {@code 2^(e-4)}, chosen by the five
 * bits of {@code v} from bit {@code e} down. A bucket's lowest value is at least 16 widths, so its
 * midpoint, which is what a percentile reports, is within 1/32 (3.2%) of any value in it. Values from
 * 2^40 ns (about 18 minutes) up share the last bucket; {@link #record} still keeps the exact maximum,
 * which bounds what a percentile reports. 592 buckets: 4.7 KB.
 *
 * <h2>Concurrency</h2>
 * {@link #record} is a handful of uncontended atomic operations (one bucket increment, one
 * {@link LongAdder} add, and a compare-and-set on the minimum or maximum only when it moves); any
 * number of threads may record at once. {@link #snapshot} copies the buckets one by one, so a
 * snapshot taken while others record is a recent state, not one instant.
 */
final class LatencyHistogram {
    /** Bits of precision: values below {@code 2^PRECISION_BITS} are exact. */
    static final int PRECISION_BITS = 5;
    static final int SUB_BUCKETS = 1 << PRECISION_BITS;
    private static final int HALF = SUB_BUCKETS >>> 1;
    /** Values at or above {@code 2^MAX_EXPONENT} ns share the last bucket. */
    static final int MAX_EXPONENT = 40;
    static final long LARGEST_TRACKED = (1L << MAX_EXPONENT) - 1;
    static final int BUCKETS = index(LARGEST_TRACKED) + 1;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final LongAdder total = new LongAdder();
    private volatile long min = Long.MAX_VALUE;
    private volatile long max = Long.MIN_VALUE;

    /** Records one duration; a negative one (a clock that went back) counts as 0. */
    void record(long nanos) {
        long v = Math.max(0L, nanos);
        counts.getAndIncrement(index(Math.min(v, LARGEST_TRACKED)));
        total.add(v);
        for (long m = min; v < m && !MIN.weakCompareAndSet(this, m, v); m = min) {
            // another recorder moved it: read again
        }
        for (long m = max; v > m && !MAX.weakCompareAndSet(this, m, v); m = max) {
            // another recorder moved it: read again
        }
    }

    /** The bucket of {@code v}, {@code 0 <= v <= LARGEST_TRACKED}. */
    static int index(long v) {
        if (v < SUB_BUCKETS) {
            return (int) v;
        }
        int shift = 63 - Long.numberOfLeadingZeros(v) - PRECISION_BITS + 1; // the bucket width is 2^shift
        return ((shift + 1) << (PRECISION_BITS - 1)) + (int) (v >>> shift) - HALF;
    }

    /** The lowest value of bucket {@code i}. */
    static long lowest(int i) {
        if (i < SUB_BUCKETS) {
            return i;
        }
        int shift = (i >> (PRECISION_BITS - 1)) - 1;
        return (long) ((i & (HALF - 1)) + HALF) << shift;
    }

    /** The highest value of bucket {@code i}. */
    static long highest(int i) {
        return i < SUB_BUCKETS ? i : lowest(i) + (1L << ((i >> (PRECISION_BITS - 1)) - 1)) - 1;
    }

    /** The summary of what was recorded so far. */
    LockStatistics.Distribution snapshot() {
        long[] copy = new long[BUCKETS];
        long count = 0;
        for (int i = 0; i < BUCKETS; i++) {
            copy[i] = counts.get(i);
            count += copy[i];
        }
        if (count == 0) {
            return LockStatistics.Distribution.EMPTY;
        }
        long lo = min;
        long hi = max;
        if (lo > hi) { // a recorder counted its bucket but has not published its extremes yet
            lo = lowest(firstNonEmpty(copy));
            hi = Math.max(lo, highest(lastNonEmpty(copy)));
        }
        return new LockStatistics.Distribution(count, Duration.ofNanos(saturated(total.sum())),
                Duration.ofNanos(lo), Duration.ofNanos(hi),
                percentile(copy, count, 0.50, lo, hi), percentile(copy, count, 0.90, lo, hi),
                percentile(copy, count, 0.99, lo, hi), percentile(copy, count, 0.999, lo, hi));
    }

    /**
     * The sum of recorded values, which are never negative, read back without wrapping around: a sum
     * past {@link Long#MAX_VALUE} (durations of centuries, which a test clock or nanoTime's wrap-around
     * can produce) reads as negative and is reported as {@link Long#MAX_VALUE}.
     */
    static long saturated(long sum) {
        return sum < 0 ? Long.MAX_VALUE : sum;
    }

    /**
     * The value at {@code fraction} of the recorded values: the midpoint of the bucket that holds the
     * {@code ceil(fraction * count)}-th smallest, clamped to the exact minimum and maximum.
     */
    static Duration percentile(long[] counts, long count, double fraction, long min, long max) {
        long rank = Math.max(1L, (long) Math.ceil(fraction * count));
        long seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                long mid = lowest(i) + (highest(i) - lowest(i)) / 2;
                return Duration.ofNanos(Math.min(max, Math.max(min, mid)));
            }
        }
        return Duration.ofNanos(max);
    }

    private static int firstNonEmpty(long[] counts) {
        int i = 0;
        while (counts[i] == 0) {
            i++;
        }
        return i;
    }

    private static int lastNonEmpty(long[] counts) {
        int i = counts.length - 1;
        while (counts[i] == 0) {
            i--;
        }
        return i;
    }

    private static final VarHandle MIN;
    private static final VarHandle MAX;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            MIN = l.findVarHandle(LatencyHistogram.class, "min", long.class);
            MAX = l.findVarHandle(LatencyHistogram.class, "max", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
