package dev.turnstile.lock.bench.contender;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.shareddata.SharedData;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Vert.x local locks ({@code SharedData.getLocalLockWithTimeout}), one name per slot: FIFO per name,
 * continuations dispatched to the acquirer's context. The timeout is explicit and long because
 * {@code getLocalLock(name)} silently gives up after 10 seconds, which under heavy contention would
 * fail acquisitions instead of measuring them.
 */
public final class VertxLocalLockTable implements AsyncLockTable {
    private static final long TIMEOUT_MS = TimeUnit.HOURS.toMillis(1);

    private final Vertx vertx = Vertx.vertx();
    private final SharedData sharedData = vertx.sharedData();
    private final GuardedCounters counters;

    public VertxLocalLockTable(int count) {
        counters = new GuardedCounters(count);
    }

    @Override
    public CompletableFuture<Runnable> acquire(int slot) {
        return sharedData.getLocalLockWithTimeout(lockName(slot), TIMEOUT_MS)
                .<Runnable>map(VertxLocalLockTable::releaser)
                .toCompletionStage().toCompletableFuture();
    }

    private static Runnable releaser(Lock lock) {
        return lock::release;
    }

    private static String lockName(int slot) {
        return Integer.toString(slot);
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}
