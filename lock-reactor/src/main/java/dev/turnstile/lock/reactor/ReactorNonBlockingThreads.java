package dev.turnstile.lock.reactor;

import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import reactor.core.scheduler.Schedulers;

/**
 * Tells lock-core which threads Reactor promises never block: those for which
 * {@link Schedulers#isInNonBlockingThread()} is true ({@code Schedulers.parallel()},
 * {@code single()}, and any thread a registered non-blocking predicate accepts). Installed
 * automatically through {@link java.util.ServiceLoader} when this module is on the module path or
 * the class path; what a blocking call on such a thread then does is
 * {@link dev.turnstile.lock.BlockingCalls}' policy (a warning by default, an
 * {@link IllegalStateException} in strict mode).
 */
public final class ReactorNonBlockingThreads implements NonBlockingThreadDetector {
    /** Creates the detector; {@link java.util.ServiceLoader} calls this. */
    public ReactorNonBlockingThreads() {
    }

    /**
     * The reason the current thread must not block, or {@code null} if it may.
     *
     * @return a description naming the non-blocking alternative, or {@code null}
     */
    @Override
    public String nonBlockingReason() {
        return Schedulers.isInNonBlockingThread()
                ? "a Reactor non-blocking thread; use dev.turnstile.lock.reactor.ReactorLocks (lock, read, write, withLock, await) instead"
                : null;
    }
}
