package dev.turnstile.lock;

import java.io.Serial;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeoutException;

/**
 * A timed asynchronous acquisition ({@link Mutex#tryLockAsync(Duration)}) gave up: the lock was not
 * granted within the wait, and the waiter has left the lock's queue.
 *
 * <p>It extends {@link TimeoutException} because that is what {@code CompletableFuture.orTimeout}
 * and {@code Future.get(timeout)} report, so code that already recognises a timed-out stage
 * ({@code ex instanceof TimeoutException}, after unwrapping a {@code CompletionException}) recognises
 * this one too. It is checked, but it only ever travels inside a future, where checkedness costs
 * nothing. It adds what a timeout alone does not say: which lock, and how long the wait was.
 */
public class LockTimeoutException extends TimeoutException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The name the lock was built with, or {@code null} for an unnamed lock. */
    private final String lockName;
    /** How long the acquisition waited (the requested timeout). */
    private final Duration wait;

    /**
     * An exception that names the lock and the wait.
     *
     * @param lockName the name the lock was built with, or {@code null} for an unnamed lock
     * @param wait     how long the acquisition waited (the requested timeout)
     * @throws NullPointerException if {@code wait} is null
     */
    public LockTimeoutException(String lockName, Duration wait) {
        super((lockName != null ? "lock '" + lockName + "'" : "unnamed lock") + " not acquired within "
                + Objects.requireNonNull(wait, "wait"));
        this.lockName = lockName;
        this.wait = wait;
    }

    /** {@return the name of the lock that was not acquired, or {@code null} if it has none} */
    public String lockName() {
        return lockName;
    }

    /** {@return how long the acquisition waited before giving up} */
    public Duration waitDuration() {
        return wait;
    }
}
