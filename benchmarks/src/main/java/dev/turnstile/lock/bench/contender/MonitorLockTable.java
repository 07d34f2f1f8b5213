package dev.turnstile.lock.bench.contender;

import org.HdrHistogram.Histogram;

/**
 * {@code synchronized} on one monitor object per slot. The JVM offers no way to ask whether a monitor
 * is held by another thread, nor to try one, so waits are not recorded for this contender: its wait
 * columns are reported as not measured rather than timed on every acquisition, which would slow the
 * fast path the other contenders are spared.
 */
public final class MonitorLockTable implements LockTable {
    private final Object[] monitors;
    private final GuardedCounters counters;

    public MonitorLockTable(int count) {
        monitors = new Object[count];
        for (int i = 0; i < count; i++) {
            monitors[i] = new Object();
        }
        counters = new GuardedCounters(count);
    }

    @Override
    public void increment(int slot, Histogram waits) {
        synchronized (monitors[slot]) {
            counters.increment(slot);
        }
    }

    @Override
    public long read(int slot, Histogram waits) {
        synchronized (monitors[slot]) {
            return counters.get(slot);
        }
    }

    @Override
    public boolean timesWaits() {
        return false;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
