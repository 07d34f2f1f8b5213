/**
 * Locks that every Java concurrency model can wait on: {@link dev.turnstile.lock.Mutex},
 * {@link dev.turnstile.lock.RwLock} and {@link dev.turnstile.lock.Condvar}, awaited by blocking
 * threads, virtual threads and asynchronous code ({@code CompletableFuture}s and callbacks) in one
 * queue per lock. The locks are not reentrant.
 *
 * <p>All waiting goes through one parking core ({@code dev.turnstile.lock.park}); the types here
 * are thin typed wrappers that own a value and hand out guards. A guard, not a thread, owns the
 * lock: it may be closed on any thread.
 */
package dev.turnstile.lock;
