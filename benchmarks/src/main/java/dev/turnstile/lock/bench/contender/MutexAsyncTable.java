package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.concurrent.CompletableFuture;

/**
 * Turnstile mutexes taken with {@link Mutex#lockAsync()}: the waiter is a callback node in the same
 * queue blocking threads use, granted on the releasing thread through the core's trampoline.
 */
public final class MutexAsyncTable implements AsyncLockTable {
    private final Mutex<?>[] mutexes;
    private final GuardedCounters counters;

    public MutexAsyncTable(int count) {
        mutexes = new Mutex<?>[count];
        for (int i = 0; i < count; i++) {
            mutexes[i] = new Mutex<>(null);
        }
        counters = new GuardedCounters(count);
    }

    @Override
    public CompletableFuture<Runnable> acquire(int slot) {
        return mutexes[slot].lockAsync().thenApply(MutexAsyncTable::releaser);
    }

    private static Runnable releaser(MutexGuard<?> guard) {
        return guard::close;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
