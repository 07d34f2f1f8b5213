package dev.turnstile.lock.park;

import dev.turnstile.lock.LockStatistics;
import dev.turnstile.lock.NanoClock;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/**
 * The statistics of one lock built with statistics on: counters and two {@link LatencyHistogram}s,
 * fed by {@link Diagnostics} from the core's paths and read by {@link #snapshot}. Timed by the lock's
 * {@link NanoClock}, so tests can move time by hand. A mutex with statistics is about 10 KB deep
 * (JOL: 10,096 B), most of it the two histograms.
 */
final class StatisticsRecorder {
    private final NanoClock clock;
    private final long since;
    private final LongAdder acquisitions = new LongAdder();
    private final LongAdder contended = new LongAdder();
    private final LongAdder abandoned = new LongAdder();
    private final LatencyHistogram waits = new LatencyHistogram();
    private final LatencyHistogram holds = new LatencyHistogram();
    /** Written under the queue guard (where the queue grows), read by snapshots. */
    private volatile int maxQueueLength;

    StatisticsRecorder(NanoClock clock) {
        this.clock = clock;
        this.since = clock.nanoTime();
    }

    long now() {
        return clock.nanoTime();
    }

    void acquired() {
        acquisitions.increment();
    }

    void waited(long nanos) {
        contended.increment();
        waits.record(nanos);
    }

    void abandoned() {
        abandoned.increment();
    }

    void held(long nanos) {
        holds.record(nanos);
    }

    /** Under the queue guard: the queue has grown to {@code length}. */
    void queued(int length) {
        if (length > maxQueueLength) {
            maxQueueLength = length;
        }
    }

    LockStatistics snapshot(String lockName, int queueLength) {
        return new LockStatistics(lockName, acquisitions.sum(), contended.sum(), abandoned.sum(),
                Duration.ofNanos(Math.max(0L, clock.nanoTime() - since)), queueLength, maxQueueLength,
                waits.snapshot(), holds.snapshot());
    }
}
