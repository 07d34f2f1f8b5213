package dev.turnstile.lock.spi;

/**
 * Tells Turnstile which threads must never block: a Reactor non-blocking scheduler thread, a Vert.x
 * event loop, or any thread of a framework whose callers are promised that it never parks.
 *
 * <p>Turnstile asks every installed detector as soon as one of its blocking calls ({@code lock()},
 * {@code read()}, {@code write()}, a timed {@code tryLock}, {@code Condvar.await}, a blocking upgrade)
 * finds the lock taken, before the current thread spins or parks; an acquisition that finds the lock
 * free never asks. What then
 * happens is the {@link dev.turnstile.lock.BlockingCalls} policy: a warning by default, an
 * {@link IllegalStateException} in strict mode.
 *
 * <p>Detectors are found with {@link java.util.ServiceLoader} (a {@code provides} clause in a
 * module, or a {@code META-INF/services} entry on the class path), and can be added at run time with
 * {@link dev.turnstile.lock.BlockingCalls#register(NonBlockingThreadDetector)}. Turnstile's
 * {@code lock-reactor} and {@code lock-vertx} modules install one each.
 */
@FunctionalInterface
public interface NonBlockingThreadDetector {
    /**
     * Whether the current thread must not block, and why.
     *
     * <p>Called on the thread that is about to wait; must be cheap, must not block and must not
     * throw.
     *
     * @return {@code null} if the current thread may block; otherwise a short description of the
     *         thread and of the non-blocking alternative, for messages, such as
     *         {@code "a Reactor non-blocking thread; use ReactorLocks.lock(mutex)"}
     */
    String nonBlockingReason();
}
