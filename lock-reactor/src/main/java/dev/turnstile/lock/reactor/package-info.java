/**
 * Project Reactor front-end: {@link dev.turnstile.lock.reactor.ReactorLocks} awaits Turnstile's
 * {@code Mutex}, {@code RwLock} and {@code Condvar} from {@code Mono}/{@code Flux} pipelines, as a thin
 * adapter over lock-core's callback level; {@link dev.turnstile.lock.reactor.ReactorNonBlockingThreads}
 * makes lock-core's blocking calls notice Reactor's non-blocking threads.
 */
package dev.turnstile.lock.reactor;
