package dev.turnstile.lock;

/**
 * The handle of one asynchronous acquisition submitted with a {@link LockCallback}: the queue node
 * itself (no separate object), through which the acquisition can be withdrawn.
 *
 * <p>Grant and withdrawal race on one compare-and-set in the lock's queue, so exactly one of them
 * wins: either {@link #cancel()} returns {@code true} and the callback never runs, or it returns
 * {@code false} and the callback receives (or has received) the guard and must close it.
 */
public interface PendingLock {
    /**
     * Withdraws the acquisition if it has not been granted yet. The waiter leaves the lock's queue
     * before this returns, and if it was first in line the next waiter is admitted.
     *
     * @return {@code true} if withdrawn (no callback will run); {@code false} if the lock was already
     *         granted to it (then {@link LockCallback#onLocked} runs or has run), or it was already
     *         withdrawn
     */
    boolean cancel();

    /** {@return whether the lock has been granted to this acquisition (its callback runs or has run)} */
    boolean isGranted();

    /** {@return whether this acquisition was withdrawn before it was granted} */
    boolean isCancelled();
}
