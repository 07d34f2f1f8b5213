package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The upgradable read hold on an {@link RwLock}: read access shared with plain readers, exclusive
 * against writers and other upgradable readers, and the right to become the writer without any
 * other writer acquiring first. Closing the guard releases the hold; it may be closed on any
 * thread, exactly once.
 *
 * <pre>{@code
 * try (UpgradableGuard<Index> u = index.upgradableRead()) {
 *     if (u.get().contains(key)) {
 *         return;                                        // common case: stayed a reader
 *     }
 *     try (WriteGuard<Index> w = u.upgrade()) {          // u is consumed; waits for current readers
 *         w.get().add(key);                              // nobody changed the index since the check
 *     }
 * }                                                      // closing a consumed guard does nothing
 * }</pre>
 *
 * An upgrade or a downgrade consumes the guard; {@link #close()} on a consumed guard does nothing, so
 * the idiom above is safe. Closing twice, or any other use after closing or consuming, throws
 * {@link IllegalStateException} and leaves the lock as it is.
 *
 * @param <T> the type of the guarded value
 */
public final class UpgradableGuard<T> extends RwGuard<T> {
    UpgradableGuard(RwLock<T> lock, HeldLocks holds) {
        super(lock, holds);
    }

    @Override
    int kind() {
        return RwLock.UPGRADABLE_READ;
    }

    /**
     * Releases the upgradable read hold. Does nothing if the guard was consumed by an upgrade or a
     * downgrade.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        if (markClosed()) {
            lock.releaseUpgradable(holds());
        }
    }

    /**
     * Becomes the writer, waiting for the readers inside the lock to leave. From the moment it is
     * called, new plain readers queue, and no writer can acquire in between (the upgradable hold
     * already excludes writers). Not interruptible. Consumes this guard.
     *
     * @return the guard of the write hold
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public WriteGuard<T> upgrade() {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        upgradeWaiting(-1L);
        return new WriteGuard<>(lock, lock.upgraded(h));
    }

    /**
     * Becomes the writer if no plain reader is inside now. On success this guard is consumed; on
     * failure it keeps its upgradable hold.
     *
     * @return the guard of the write hold, or empty if a plain reader is inside
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public Optional<WriteGuard<T>> tryUpgrade() {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        if (lock.tryUpgradeNow()) {
            handedOver();
            return Optional.of(new WriteGuard<>(lock, lock.upgraded(h)));
        }
        reopen();
        return Optional.empty();
    }

    /**
     * Becomes the writer if the readers inside leave within {@code timeout}, keeping new readers out
     * meanwhile. On success this guard is consumed; on timeout it keeps its upgradable hold and the
     * readers held back are let in. Not interruptible. A zero or negative timeout makes one attempt,
     * as {@link #tryUpgrade()} does.
     *
     * @param timeout the longest wait
     * @return the guard of the write hold, or empty if the timeout elapsed first
     * @throws NullPointerException  if {@code timeout} is null
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public Optional<WriteGuard<T>> tryUpgrade(Duration timeout) {
        return tryUpgradeNanos(Timeouts.waitNanos(timeout));
    }

    /**
     * As {@link #tryUpgrade(Duration)}, with a wall-clock deadline read once, on entry. A deadline
     * that has passed makes one attempt.
     *
     * @param deadline when to give up
     * @return the guard of the write hold, or empty if the deadline passed first
     * @throws NullPointerException  if {@code deadline} is null
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public Optional<WriteGuard<T>> tryUpgrade(Instant deadline) {
        return tryUpgradeNanos(Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private Optional<WriteGuard<T>> tryUpgradeNanos(long nanos) {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        return upgradeWaiting(nanos) ? Optional.of(new WriteGuard<>(lock, lock.upgraded(h))) : Optional.empty();
    }

    /** The waiting upgrade of a consumed guard; the guard is reopened unless it succeeds. */
    private boolean upgradeWaiting(long nanos) {
        boolean upgraded = false;
        try {
            upgraded = lock.upgradeBlocking(nanos);
            if (upgraded) {
                handedOver();
            }
            return upgraded;
        } finally {
            if (!upgraded) {
                reopen(); // timed out, or refused on a thread that must not block: the hold is kept
            }
        }
    }

    /**
     * Becomes the writer without blocking any thread: as {@link #upgrade()}, but the future completes
     * with the write guard once the readers inside have left (at once if there are none), on the
     * thread whose release let it in, through the per-thread trampoline. Consumes this guard.
     * Cancelling or otherwise completing the future before it completes gives this guard its
     * upgradable hold back, whatever the race: an upgrade still waiting is abandoned (the readers it
     * held back are let in), and a write hold granted meanwhile is turned back into the upgradable
     * hold atomically. If this guard was closed while the upgrade was pending (a try-with-resources
     * block around the call), a hold that comes back this way is released instead.
     *
     * @return a future of the guard of the write hold
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public CompletableFuture<WriteGuard<T>> upgradeAsync() {
        lend();
        return lock.upgradeAsync(this);
    }

    /**
     * Becomes the writer without blocking any thread and without a future: the callback level of
     * {@link #upgradeAsync()} (see {@link LockCallback}). {@code callback} receives the write guard
     * once the readers inside have left. {@link PendingLock#cancel()} returns {@code true} if the
     * upgrade was called off and this guard holds its upgradable hold again (or, if this guard was
     * closed meanwhile, the hold was released); then no callback runs. Consumes this guard until then.
     *
     * @param callback receives the write guard, or the failure that ended the upgrade
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @return the handle through which the upgrade can be called off
     * @throws NullPointerException  if {@code callback} is null
     * @throws IllegalStateException if this guard was already closed or consumed
     */
    public PendingLock upgradeAsync(LockCallback<? super WriteGuard<T>> callback, Executor executor) {
        Objects.requireNonNull(callback, "callback");
        lend();
        return lock.upgradeAsync(this, callback, executor);
    }

    /**
     * Atomically turns the upgradable read hold into a plain read hold, letting another upgradable
     * reader (or, once the readers leave, a writer) in. Consumes this guard.
     *
     * @return the guard of the read hold
     * @throws IllegalStateException if this guard was already closed or consumed, or if the lock
     *                               already counts the most read holds it can (2<sup>27</sup> − 1;
     *                               this guard then keeps its upgradable hold)
     */
    public ReadGuard<T> downgrade() {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        try {
            lock.transition(RwLock.UPGRADABLE_TO_READ);
        } catch (IllegalStateException saturated) {
            reopen(); // the reader count is full: this guard keeps its upgradable hold
            throw saturated;
        }
        handedOver();
        return new ReadGuard<>(lock, lock.changedHold(h, RwLock.UPGRADABLE_READ, RwLock.READ));
    }
}
