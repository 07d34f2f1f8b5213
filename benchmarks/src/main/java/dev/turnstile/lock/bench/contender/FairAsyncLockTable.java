package dev.turnstile.lock.bench.contender;

import com.ibm.asyncutil.locks.AsyncLock;
import com.ibm.asyncutil.locks.FairAsyncLock;
import java.util.concurrent.CompletableFuture;

/**
 * IBM async-util's {@link FairAsyncLock}: strict FIFO, continuations run on the releasing thread.
 * Its {@code acquireLock()} future is the lock's own internal node, so it is adapted with
 * {@code thenApply} rather than exposed (cancelling it could strand the lock, see ANCHORS.md).
 */
public final class FairAsyncLockTable implements AsyncLockTable {
    private final FairAsyncLock[] locks;
    private final GuardedCounters counters;

    public FairAsyncLockTable(int count) {
        locks = new FairAsyncLock[count];
        for (int i = 0; i < count; i++) {
            locks[i] = new FairAsyncLock();
        }
        counters = new GuardedCounters(count);
    }

    @Override
    public CompletableFuture<Runnable> acquire(int slot) {
        return locks[slot].acquireLock().<Runnable>thenApply(FairAsyncLockTable::releaser).toCompletableFuture();
    }

    private static Runnable releaser(AsyncLock.LockToken token) {
        return token::releaseLock;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
