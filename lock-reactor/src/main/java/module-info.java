/**
 * Turnstile's Project Reactor front-end: {@code Mono}/{@code Flux} acquisitions of the same locks
 * that threads and futures use, and the detector that makes lock-core's blocking calls notice
 * Reactor's non-blocking threads.
 *
 * <p>{@code reactor.core} and {@code org.reactivestreams} are automatic modules (their jars carry an
 * {@code Automatic-Module-Name} and no module descriptor), so requiring them is unavoidable and the
 * warnings about it say nothing that can be acted on here. They are required transitively because
 * {@code Mono}, {@code Flux} and {@code Scheduler} appear in this module's API.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.turnstile.lock.reactor {
    requires transitive dev.turnstile.lock;
    requires transitive reactor.core;
    requires transitive org.reactivestreams;

    exports dev.turnstile.lock.reactor;

    provides dev.turnstile.lock.spi.NonBlockingThreadDetector
            with dev.turnstile.lock.reactor.ReactorNonBlockingThreads;
}
