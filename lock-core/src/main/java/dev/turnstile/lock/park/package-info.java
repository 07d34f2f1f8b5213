/**
 * The parking core: a supported extension SPI for building new lock types on the same queue, the
 * same fairness and the same blocking, virtual-thread and asynchronous waiting as Turnstile's own
 * {@link dev.turnstile.lock.Mutex} and {@link dev.turnstile.lock.RwLock}, much as the JDK's locks are
 * built on {@code AbstractQueuedSynchronizer}.
 *
 * <h2>Who needs this package</h2>
 * <ul>
 *   <li><b>Users of the locks</b> do not: everything they need, introspection included, is declared
 *       on the public types of {@code dev.turnstile.lock}.</li>
 *   <li><b>Front-ends for another asynchronous framework</b> (Mutiny, RxJava, Kotlin coroutines) do
 *       not either: they adapt the callback level of {@code dev.turnstile.lock}
 *       ({@link dev.turnstile.lock.LockCallback} and {@link dev.turnstile.lock.PendingLock}), which
 *       is what Turnstile's Reactor and Vert.x modules are built on.</li>
 *   <li><b>New lock types</b> (a semaphore, a latch, a lock with different modes) extend
 *       {@link dev.turnstile.lock.park.RawLock}, and, for a condition variable,
 *       {@link dev.turnstile.lock.park.RawCondvar}; their asynchronous acquisitions extend
 *       {@link dev.turnstile.lock.park.CallbackWaiter}.</li>
 * </ul>
 *
 * <h2>The state word</h2>
 * Each lock is one {@code int}. Bits 31 ({@code QUEUED}: the wait queue is not empty), 30
 * ({@code SIGNAL}: the head of the queue needs a release to act for it) and 29 ({@code PROFILED}:
 * the core records the lock's acquisitions and holds) belong to the core; a lock type never changes
 * them. Bits 0–28 belong to the lock type, which interprets them through three pure functions of
 * (lock bits, mode): {@code canAcquire}, {@code acquired} and {@code released}.
 * A mode is an {@code int} the lock type chooses (exclusive, shared, upgradable, …); the core never
 * interprets it.
 *
 * <h2>Who may call what</h2>
 * <ul>
 *   <li>The acquire and release operations of {@code RawLock} are {@code protected final}: only the
 *       lock type calls them, and it decides what it publishes. Every one of them is thread-safe
 *       and may be called from any thread (platform or virtual); a release need not come from the
 *       thread that acquired, because the core records no owner.</li>
 *   <li>A lock type may read the state word and compare-and-set it for its own fast paths, provided
 *       the core bits travel unchanged.</li>
 *   <li>Public members ({@link dev.turnstile.lock.park.RawLock#waitQueueIfPresent()}, the counters of
 *       {@link dev.turnstile.lock.park.WaitQueue}, the status of a
 *       {@link dev.turnstile.lock.park.Waiter}) are read-only diagnostics, safe from any thread.</li>
 * </ul>
 *
 * <h2>Guarantees</h2>
 * No allocation on an uncontended acquisition or release; a waiting thread parks with
 * {@code LockSupport.park(lock)} (never {@code synchronized} or {@code Object.wait}, so a virtual
 * thread never pins its carrier); callbacks never run under the queue's guard, and grants delivered
 * on one thread never nest (a per-thread trampoline); a grant and a cancellation of the same waiter
 * are decided by one compare-and-set, so exactly one wins. The algorithm is described on
 * {@link dev.turnstile.lock.park.RawLock}.
 *
 * <h2>Compatibility</h2>
 * The protected and public members of this package are kept compatible within a major version like
 * the rest of the API. Package-private members are not part of it.
 */
package dev.turnstile.lock.park;
