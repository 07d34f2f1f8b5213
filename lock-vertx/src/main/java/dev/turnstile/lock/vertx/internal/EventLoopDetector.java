package dev.turnstile.lock.vertx.internal;

import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import io.vertx.core.Context;

/**
 * Reports Vert.x event-loop threads as threads that must not block, so that a blocking Turnstile
 * call about to park one is warned about (or refused in strict mode) by
 * {@link dev.turnstile.lock.BlockingCalls}. Worker threads and the virtual threads of a
 * virtual-thread context may block and are not reported.
 *
 * <p>Installed through {@link java.util.ServiceLoader} ({@code provides} in the module descriptor,
 * and {@code META-INF/services} on the class path); not meant to be used directly.
 */
public final class EventLoopDetector implements NonBlockingThreadDetector {
    private static final String REASON =
            "a Vert.x event-loop thread; use VertxLocks.lock(mutex) (a Future) instead of blocking";

    /** Creates the detector; called by the service loader. */
    public EventLoopDetector() {
    }

    @Override
    public String nonBlockingReason() {
        return Context.isOnEventLoopThread() ? REASON : null;
    }
}
