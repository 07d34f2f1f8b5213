package dev.turnstile.lock.bench.contender;

import java.util.concurrent.CompletableFuture;

/**
 * N asynchronous locks of one contender, lock {@code i} guarding counter {@code i}: the shared data of
 * lockbench's async mode, where the waiters are tasks on a fixed pool and never block a thread.
 *
 * <p>Every peer is adapted to one shape, a future of the action that releases the lock, so that each
 * pays the same small adaptation cost. A future that is already complete when returned is an
 * acquisition that did not wait; lockbench reads the clock only for the others.
 */
public interface AsyncLockTable extends AutoCloseable {
    /** Requests lock {@code slot}; the future completes, on a thread of the peer's choosing, with its release action. */
    CompletableFuture<Runnable> acquire(int slot);

    /** The counters, read after every task has finished. */
    GuardedCounters counters();

    /** Frees what the peer needs beyond the locks (an event-loop group, say). */
    @Override
    default void close() {
    }
}
