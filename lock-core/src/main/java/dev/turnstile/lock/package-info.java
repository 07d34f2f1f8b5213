/**
 * Locks that every Java concurrency model can wait on: {@link dev.turnstile.lock.Mutex} for
 * blocking threads and virtual threads today, with asynchronous front-ends on the same queue.
 *
 * <p>All waiting goes through one parking core ({@code dev.turnstile.lock.park}); the types here
 * are thin typed wrappers that own a value and hand out guards. A guard, not a thread, owns the
 * lock: it may be closed on any thread.
 */
package dev.turnstile.lock;
