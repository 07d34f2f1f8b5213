package dev.turnstile.lock.park;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockStatistics;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** The log-linear histogram behind lock statistics: its buckets, its error bound, its percentiles. */
class LatencyHistogramTest {

    @Test
    void bucketsTileTheTrackedRangeWithoutGapsOrOverlaps() {
        assertEquals(0, LatencyHistogram.lowest(0));
        for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
            long lo = LatencyHistogram.lowest(i);
            long hi = LatencyHistogram.highest(i);
            assertTrue(lo <= hi, "bucket " + i);
            assertEquals(i, LatencyHistogram.index(lo), "lowest of bucket " + i);
            assertEquals(i, LatencyHistogram.index(hi), "highest of bucket " + i);
            if (i > 0) {
                assertEquals(LatencyHistogram.highest(i - 1) + 1, lo, "bucket " + i + " follows bucket " + (i - 1));
            }
        }
        assertEquals(LatencyHistogram.LARGEST_TRACKED, LatencyHistogram.highest(LatencyHistogram.BUCKETS - 1));
        assertEquals(592, LatencyHistogram.BUCKETS);
    }

    @Test
    void valuesBelowThirtyTwoNanosecondsAreExact() {
        for (long v = 0; v < LatencyHistogram.SUB_BUCKETS; v++) {
            LatencyHistogram h = new LatencyHistogram();
            h.record(v);
            assertEquals(Duration.ofNanos(v), h.snapshot().p50());
        }
    }

    @Test
    void everyBucketMidpointIsWithinOneThirtySecondOfEveryValueInIt() {
        for (int i = LatencyHistogram.SUB_BUCKETS; i < LatencyHistogram.BUCKETS; i++) {
            long lo = LatencyHistogram.lowest(i);
            long hi = LatencyHistogram.highest(i);
            long mid = lo + (hi - lo) / 2;
            assertTrue((double) (mid - lo) / lo <= 1.0 / 32, "bucket " + i + " low end");
            assertTrue((double) (hi - mid) / hi <= 1.0 / 32, "bucket " + i + " high end");
        }
    }

    @Test
    void percentilesOfRandomDurationsAreWithinTheBoundOfTheExactOnes() {
        SplittableRandom random = new SplittableRandom(7);
        LatencyHistogram h = new LatencyHistogram();
        long[] values = new long[20_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(random.nextDouble() * Math.log(1e10)); // log-uniform, 1 ns to 10 s
            h.record(values[i]);
        }
        Arrays.sort(values);
        LockStatistics.Distribution d = h.snapshot();
        assertEquals(values.length, d.count());
        assertEquals(Duration.ofNanos(values[0]), d.min());
        assertEquals(Duration.ofNanos(values[values.length - 1]), d.max());
        assertEquals(Duration.ofNanos(Arrays.stream(values).sum()), d.total());
        assertWithinBound(exact(values, 0.50), d.p50());
        assertWithinBound(exact(values, 0.90), d.p90());
        assertWithinBound(exact(values, 0.99), d.p99());
        assertWithinBound(exact(values, 0.999), d.p999());
    }

    @Test
    void durationsBeyondTheTrackedRangeKeepTheirExactMaximum() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(Duration.ofHours(2).toNanos());
        LockStatistics.Distribution d = h.snapshot();
        assertEquals(Duration.ofHours(2), d.max());
        assertEquals(Duration.ofHours(2), d.p999(), "clamped to the exact maximum");
    }

    @Test
    void negativeDurationsCountAsZeroAndNothingRecordedIsEmpty() {
        LatencyHistogram h = new LatencyHistogram();
        assertSame(LockStatistics.Distribution.EMPTY, h.snapshot());
        h.record(-5);
        assertEquals(Duration.ZERO, h.snapshot().max());
        assertEquals(1, h.snapshot().count());
    }

    @Test
    void concurrentRecordersLoseNothing() throws InterruptedException {
        LatencyHistogram h = new LatencyHistogram();
        int threads = 4;
        int each = 50_000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            long base = t * 1000L;
            ts[t] = Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                for (int i = 0; i < each; i++) {
                    h.record(base + i % 1000);
                }
            });
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        LockStatistics.Distribution d = h.snapshot();
        assertEquals((long) threads * each, d.count());
        assertEquals(Duration.ZERO, d.min());
        assertEquals(Duration.ofNanos(3999), d.max());
    }

    private static long exact(long[] sorted, double fraction) {
        int rank = (int) Math.max(1, Math.ceil(fraction * sorted.length));
        return sorted[rank - 1];
    }

    private static void assertWithinBound(long expected, Duration actual) {
        double error = Math.abs(actual.toNanos() - expected) / (double) Math.max(1, expected);
        assertTrue(error <= 1.0 / 32, "expected ~" + expected + " ns, got " + actual.toNanos() + " ns (error " + error + ")");
    }
}
