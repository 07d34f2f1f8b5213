/**
 * Turnstile's Project Reactor front-end: {@code Mono}/{@code Flux} acquisitions of the same locks
 * that threads and futures use, and the detector that makes lock-core's blocking calls notice
 * Reactor's non-blocking threads.
 */
@SuppressWarnings("requires-transitive-automatic")
module dev.turnstile.lock.reactor {
    requires transitive dev.turnstile.lock;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;

    exports dev.turnstile.lock.reactor;

    provides dev.turnstile.lock.spi.NonBlockingThreadDetector
            with dev.turnstile.lock.reactor.ReactorNonBlockingThreads;
}
