/**
 * Turnstile's Vert.x front-end: {@code io.vertx.core.Future} acquisitions of Turnstile locks, resumed
 * on the caller's context ({@link dev.turnstile.lock.vertx.VertxLocks}), and a drop-in for the local
 * locks of {@code SharedData} ({@link dev.turnstile.lock.vertx.LocalLocks}). Installs a
 * {@link dev.turnstile.lock.spi.NonBlockingThreadDetector} that reports Vert.x event-loop threads.
 */
module dev.turnstile.lock.vertx {
    requires transitive dev.turnstile.lock;
    requires transitive io.vertx.core;

    exports dev.turnstile.lock.vertx;

    provides dev.turnstile.lock.spi.NonBlockingThreadDetector
            with dev.turnstile.lock.vertx.internal.EventLoopDetector;
    provides io.vertx.core.spi.VertxServiceProvider
            with dev.turnstile.lock.vertx.internal.OwnerLocal;
}
