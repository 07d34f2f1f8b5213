package dev.turnstile.lock.vertx;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import dev.turnstile.lock.vertx.internal.OwnerLocal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.FutureInternal;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Turnstile locks for Vert.x: every acquisition returns an {@link io.vertx.core.Future} and never
 * blocks a thread, so it is safe on an event loop.
 *
 * <pre>{@code
 * Mutex<Map<String, Integer>> stock = new Mutex<>(new HashMap<>());
 *
 * // On any context: the handler runs on this verticle's context, whoever released the mutex.
 * VertxLocks.lock(stock).onSuccess(g -> {
 *     try (g) {
 *         g.get().merge("tea", 1, Integer::sum);
 *     }
 * });
 *
 * // Held across asynchronous steps: released when the body's future completes, however it ends.
 * Future<Integer> left = VertxLocks.withLock(stock, g -> warehouse.reserve("tea")
 *         .map(n -> g.get().merge("tea", -n, Integer::sum)));
 *
 * // In a virtual-thread verticle (ThreadingModel.VIRTUAL_THREAD):
 * try (MutexGuard<Map<String, Integer>> g = Future.await(VertxLocks.lock(stock))) {
 *     g.get().remove("tea");
 * }
 * }</pre>
 *
 * <h2>Where futures complete</h2>
 * A future obtained on a Vert.x context (event loop, worker or virtual-thread context) completes on
 * that context, whichever thread released the lock: on the releasing thread itself when it is
 * already running that context, otherwise through one {@link io.vertx.core.Context#runOnContext}.
 * A free mutex (nobody queued, or a policy that lets arrivals barge) is taken at once and the
 * future is returned complete, without a queue node (as {@link Mutex#lockAsync()} does); other free
 * locks complete the future before the method returns too. The futures are bound to the caller's context, so a handler added
 * to one later, from any thread, runs on that context as well. Obtained outside any context, the
 * future completes on the thread that granted the lock (the releasing thread), and its handlers run
 * where it completes, or where they are added once it is complete.
 *
 * <h2>Waiting, timeouts and cancellation</h2>
 * Waiters stand in the lock's one queue with blocking and virtual threads and every other front-end,
 * under the lock's fairness policy. Vert.x futures cannot be cancelled, so the timed forms
 * ({@link #tryLock(Mutex, Duration)} and friends) are the usual way to stop waiting: on timeout the
 * waiter leaves the queue and the future fails with {@link dev.turnstile.lock.LockTimeoutException}.
 * Their timer is a Vert.x timer on the caller's context (outside a context, the JDK's shared delay
 * scheduler, whose thread then fails the future). The {@code pending…} forms return a
 * {@link PendingAcquisition} that can be withdrawn explicitly. A grant never strands the lock: if a
 * timeout loses the race with a grant, the future completes with the guard.
 *
 * <h2>Virtual-thread verticles</h2>
 * Both {@code Future.await(VertxLocks.lock(m))} and a blocking {@code m.lock()} work on a
 * virtual-thread context. Prefer {@code Future.await}: while it waits, the context runs its other
 * tasks (the lock's holder may be one of them, suspended in an {@code await} of its own), and it
 * resumes in the context's order. A blocking {@code m.lock()} parks the virtual thread while
 * keeping the context, so nothing else of that context runs meanwhile: use it only when no holder
 * of the lock ever awaits on the same context while holding it (short critical sections, shared with
 * plain threads).
 *
 * <h2>Lock ranks and deadlock detection</h2>
 * An acquisition made on a context that carries a {@link LockOwner} ({@link #setOwner}) counts as
 * that owner's, for lock ranks and deadlock detection: a ranked lock acquired out of order fails the
 * future with {@link dev.turnstile.lock.LockOrderViolationException} before anything is queued, and
 * deadlock reports name the owner. Set it on the context that runs one request (Vert.x gives each
 * request a duplicated context of its own), so that the request's acquisitions are one acquirer:
 * <pre>{@code
 * router.route("/orders/:id").handler(rc -> {
 *     VertxLocks.setOwner(Vertx.currentContext(), LockOwner.named("order " + rc.pathParam("id")));
 *     VertxLocks.withLock(accounts, a -> VertxLocks.withLock(ledger, l -> post(a.get(), l.get())))
 *             .onComplete(...);
 * });
 * }</pre>
 * Acquisitions on a context without an owner, or outside any context, are each their own acquirer.
 *
 * <h2>Blocking calls on an event loop</h2>
 * This module installs a {@link dev.turnstile.lock.spi.NonBlockingThreadDetector} that reports event
 * loops: a blocking Turnstile call that is about to park an event-loop thread is logged, or refused
 * with {@link IllegalStateException} in strict mode (see {@link dev.turnstile.lock.BlockingCalls}).
 */
public final class VertxLocks {
    private static final Consumer<AutoCloseable> CLOSE = VertxLocks::close;
    private static final Consumer<AutoCloseable> CLOSE_IF_HELD = VertxLocks::closeIfHeld;
    private static final Consumer<Condvar.Wakeup<?>> CLOSE_WAKEUP = w -> w.guard().close();

    private VertxLocks() {
    }

    /**
     * Makes the acquisitions made on {@code context} from now on count as {@code owner}'s, for lock
     * ranks and deadlock detection (see the class comment); {@code null} removes the owner. The owner
     * is kept in that context's local data (each context has its own).
     *
     * @param context the context, usually the current request's ({@code Vertx.currentContext()})
     * @param owner   the owner, or {@code null}
     * @throws NullPointerException  if {@code context} is null
     * @throws IllegalStateException if the context's Vert.x instance was built before lock-vertx was on
     *                               the class or module path (its context-local slot is registered then)
     */
    public static void setOwner(Context context, LockOwner owner) {
        OwnerLocal.set(Objects.requireNonNull(context, "context"), owner);
    }

    /**
     * The owner that acquisitions made on {@code context} count for.
     *
     * @param context a context, or {@code null}
     * @return the owner set with {@link #setOwner}, or {@code null}
     */
    public static LockOwner owner(Context context) {
        return OwnerLocal.of(context);
    }

    // ---------------------------------------------------------------- Mutex

    /**
     * Acquires {@code mutex} without blocking.
     *
     * @param mutex the mutex
     * @param <T>   the type of its value
     * @return a future of the guard, which owns the mutex until closed
     * @throws NullPointerException if {@code mutex} is null
     */
    public static <T> Future<MutexGuard<T>> lock(Mutex<T> mutex) {
        Objects.requireNonNull(mutex, "mutex");
        return acquire(mutex, -1L, null);
    }

    /**
     * Acquires {@code mutex} without blocking if it is granted within {@code timeout}; otherwise the
     * waiter leaves the queue and the future fails with
     * {@link dev.turnstile.lock.LockTimeoutException}. A zero or negative timeout makes one attempt.
     *
     * @param mutex   the mutex
     * @param timeout the longest wait
     * @param <T>     the type of its value
     * @return a future of the guard
     * @throws NullPointerException     if an argument is null
     */
    public static <T> Future<MutexGuard<T>> tryLock(Mutex<T> mutex, Duration timeout) {
        Objects.requireNonNull(mutex, "mutex");
        return acquire(mutex, waitNanos(timeout), timeout);
    }

    /**
     * {@link #lock} and {@link #tryLock}: a free mutex is taken at once ({@link Mutex#lockIfFree}, the
     * same test as {@link Mutex#lockAsync()}'s) and the future is created complete, with no queue node
     * and no promise; otherwise the acquisition queues, timed if {@code timeout} is not null.
     */
    private static <T> Future<MutexGuard<T>> acquire(Mutex<T> mutex, long nanos, Duration timeout) {
        Context context = Vertx.currentContext();
        LockOwner owner = OwnerLocal.of(context);
        GuardAcquisition<MutexGuard<T>> a;
        try {
            MutexGuard<T> now = mutex.lockIfFree(owner);
            if (now != null) {
                return succeeded(context, now);
            }
            a = new GuardAcquisition<>(context, CLOSE);
            a.submitted(mutex.lockAsync(a, null, owner));
        } catch (LockOrderViolationException refused) {
            return failed(context, refused); // refused before anything was taken or queued
        }
        if (timeout != null) {
            a.armTimeout(nanos, timeout, mutex.name());
        }
        return a.future();
    }

    /**
     * As {@link #tryLock(Mutex, Duration)}, until a wall-clock {@code deadline} read now (one attempt if it
     * has passed).
     *
     * @param mutex    the mutex
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a future of the guard, completed on the caller's context
     * @throws NullPointerException if an argument is null
     */
    public static <T> Future<MutexGuard<T>> tryLock(Mutex<T> mutex, Instant deadline) {
        return tryLock(mutex, until(deadline));
    }

    /**
     * As {@link #lock(Mutex)}, returning a handle that can withdraw the acquisition while it waits.
     *
     * @param mutex the mutex
     * @param <T>   the type of its value
     * @return the pending acquisition
     * @throws NullPointerException if {@code mutex} is null
     */
    public static <T> PendingAcquisition<MutexGuard<T>> pendingLock(Mutex<T> mutex) {
        Objects.requireNonNull(mutex, "mutex");
        GuardAcquisition<MutexGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(mutex.lockAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        return a;
    }

    /**
     * Acquires {@code mutex} without blocking, runs {@code body} with the guard, and releases the
     * mutex when the future {@code body} returns completes; the returned future then completes the
     * same way. The mutex is also released if {@code body} throws (the future fails with that
     * exception) or returns {@code null} (it fails with {@link NullPointerException}). {@code body}
     * runs where the future of {@link #lock(Mutex)} would complete; the guard must not escape it
     * (closing it inside is allowed).
     *
     * @param mutex the mutex
     * @param body  what to do while holding it
     * @param <T>   the type of its value
     * @param <R>   the type of the result
     * @return the body's result, once the mutex is released
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Future<R> withLock(Mutex<T> mutex, Function<? super MutexGuard<T>, Future<R>> body) {
        Objects.requireNonNull(body, "body");
        Context context = Vertx.currentContext();
        Future<MutexGuard<T>> locked = lock(mutex);
        // Granted already: run the body here, where compose would run it, without compose's promise.
        // The outcome is re-bound to the caller's context, as compose's future would be: the body's
        // own future (or scoped's failed one) may be bound to no context, and a handler added to it
        // later from another thread would then run on that thread.
        return locked.succeeded()
                ? onContext(context, scoped(locked.result(), body))
                : locked.compose(g -> scoped(g, body));
    }

    // ---------------------------------------------------------------- RwLock

    /**
     * Acquires a read lock on {@code lock} without blocking, under the same policy as
     * {@link RwLock#read()}.
     *
     * @param lock the reader-writer lock
     * @param <T>  the type of its value
     * @return a future of the read guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Future<ReadGuard<T>> read(RwLock<T> lock) {
        return pendingRead(lock).future();
    }

    /**
     * As {@link #read(RwLock)}, failing with {@link dev.turnstile.lock.LockTimeoutException} (the
     * waiter gone from the queue) if not granted within {@code timeout}.
     *
     * @param lock    the reader-writer lock
     * @param timeout the longest wait
     * @param <T>     the type of its value
     * @return a future of the read guard
     * @throws NullPointerException     if an argument is null
     */
    public static <T> Future<ReadGuard<T>> tryRead(RwLock<T> lock, Duration timeout) {
        Objects.requireNonNull(lock, "lock");
        long nanos = waitNanos(timeout);
        GuardAcquisition<ReadGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.readAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        a.armTimeout(nanos, timeout, lock.name());
        return a.future();
    }

    /**
     * As {@link #tryRead(RwLock, Duration)}, until a wall-clock {@code deadline} read now (one attempt if it
     * has passed).
     *
     * @param lock     the lock
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a future of the read guard, completed on the caller's context
     * @throws NullPointerException if an argument is null
     */
    public static <T> Future<ReadGuard<T>> tryRead(RwLock<T> lock, Instant deadline) {
        return tryRead(lock, until(deadline));
    }

    /**
     * As {@link #read(RwLock)}, returning a handle that can withdraw the acquisition while it waits.
     *
     * @param lock the reader-writer lock
     * @param <T>  the type of its value
     * @return the pending acquisition
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> PendingAcquisition<ReadGuard<T>> pendingRead(RwLock<T> lock) {
        Objects.requireNonNull(lock, "lock");
        GuardAcquisition<ReadGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.readAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        return a;
    }

    /**
     * Acquires the write lock on {@code lock} without blocking, under the same policy as
     * {@link RwLock#write()}.
     *
     * @param lock the reader-writer lock
     * @param <T>  the type of its value
     * @return a future of the write guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Future<WriteGuard<T>> write(RwLock<T> lock) {
        return pendingWrite(lock).future();
    }

    /**
     * As {@link #write(RwLock)}, failing with {@link dev.turnstile.lock.LockTimeoutException} (the
     * waiter gone from the queue) if not granted within {@code timeout}.
     *
     * @param lock    the reader-writer lock
     * @param timeout the longest wait
     * @param <T>     the type of its value
     * @return a future of the write guard
     * @throws NullPointerException     if an argument is null
     */
    public static <T> Future<WriteGuard<T>> tryWrite(RwLock<T> lock, Duration timeout) {
        Objects.requireNonNull(lock, "lock");
        long nanos = waitNanos(timeout);
        GuardAcquisition<WriteGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.writeAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        a.armTimeout(nanos, timeout, lock.name());
        return a.future();
    }

    /**
     * As {@link #tryWrite(RwLock, Duration)}, until a wall-clock {@code deadline} read now (one attempt if it
     * has passed).
     *
     * @param lock     the lock
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a future of the write guard, completed on the caller's context
     * @throws NullPointerException if an argument is null
     */
    public static <T> Future<WriteGuard<T>> tryWrite(RwLock<T> lock, Instant deadline) {
        return tryWrite(lock, until(deadline));
    }

    /**
     * As {@link #write(RwLock)}, returning a handle that can withdraw the acquisition while it waits.
     *
     * @param lock the reader-writer lock
     * @param <T>  the type of its value
     * @return the pending acquisition
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> PendingAcquisition<WriteGuard<T>> pendingWrite(RwLock<T> lock) {
        Objects.requireNonNull(lock, "lock");
        GuardAcquisition<WriteGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.writeAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        return a;
    }

    /**
     * Acquires the upgradable read lock on {@code lock} without blocking, under the same policy as
     * {@link RwLock#upgradableRead()}; {@link #upgrade(UpgradableGuard)} later makes it the writer.
     *
     * @param lock the reader-writer lock
     * @param <T>  the type of its value
     * @return a future of the upgradable guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Future<UpgradableGuard<T>> upgradableRead(RwLock<T> lock) {
        Objects.requireNonNull(lock, "lock");
        GuardAcquisition<UpgradableGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.upgradableReadAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        return a.future();
    }

    /**
     * As {@link #upgradableRead(RwLock)}, failing with
     * {@link dev.turnstile.lock.LockTimeoutException} (the waiter gone from the queue) if not granted
     * within {@code timeout}.
     *
     * @param lock    the reader-writer lock
     * @param timeout the longest wait
     * @param <T>     the type of its value
     * @return a future of the upgradable guard
     * @throws NullPointerException     if an argument is null
     */
    public static <T> Future<UpgradableGuard<T>> tryUpgradableRead(RwLock<T> lock, Duration timeout) {
        Objects.requireNonNull(lock, "lock");
        long nanos = waitNanos(timeout);
        GuardAcquisition<UpgradableGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        try {
            a.submitted(lock.upgradableReadAsync(a, null, a.owner()));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued
        }
        a.armTimeout(nanos, timeout, lock.name());
        return a.future();
    }

    /**
     * As {@link #tryUpgradableRead(RwLock, Duration)}, until a wall-clock {@code deadline} read now (one attempt if it
     * has passed).
     *
     * @param lock     the lock
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a future of the upgradable guard, completed on the caller's context
     * @throws NullPointerException if an argument is null
     */
    public static <T> Future<UpgradableGuard<T>> tryUpgradableRead(RwLock<T> lock, Instant deadline) {
        return tryUpgradableRead(lock, until(deadline));
    }

    /**
     * Makes the upgradable reader the writer without blocking: the future completes with the write
     * guard once the plain readers inside have left. Consumes {@code guard}.
     *
     * @param guard the upgradable guard
     * @param <T>   the type of the lock's value
     * @return a future of the write guard
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if {@code guard} was already closed or consumed
     */
    public static <T> Future<WriteGuard<T>> upgrade(UpgradableGuard<T> guard) {
        Objects.requireNonNull(guard, "guard");
        GuardAcquisition<WriteGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        a.submitted(guard.upgradeAsync(a, null));
        return a.future();
    }

    /**
     * As {@link #upgrade(UpgradableGuard)}, giving up after {@code timeout}: the future then fails
     * with {@link dev.turnstile.lock.LockTimeoutException} and {@code guard} holds its upgradable read
     * lock again (it must still be closed).
     *
     * @param guard   the upgradable guard
     * @param timeout the longest wait for the readers to leave
     * @param <T>     the type of the lock's value
     * @return a future of the write guard
     * @throws NullPointerException     if an argument is null
     * @throws IllegalStateException    if {@code guard} was already closed or consumed
     */
    public static <T> Future<WriteGuard<T>> tryUpgrade(UpgradableGuard<T> guard, Duration timeout) {
        Objects.requireNonNull(guard, "guard");
        long nanos = waitNanos(timeout);
        GuardAcquisition<WriteGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        a.submitted(guard.upgradeAsync(a, null));
        a.armTimeout(nanos, timeout, guard.lock().name());
        return a.future();
    }

    /**
     * As {@link #tryUpgrade(UpgradableGuard, Duration)}, until a wall-clock {@code deadline} read now (one attempt if it
     * has passed).
     *
     * @param guard    the upgradable guard; lent to the upgrade
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a future of the write guard, completed on the caller's context
     * @throws NullPointerException if an argument is null
     */
    public static <T> Future<WriteGuard<T>> tryUpgrade(UpgradableGuard<T> guard, Instant deadline) {
        return tryUpgrade(guard, until(deadline));
    }

    /**
     * Acquires a read lock without blocking, runs {@code body} with the guard, and releases the read
     * lock when the body's future completes, when {@code body} throws, or when it returns
     * {@code null} (as {@link #withLock(Mutex, Function)} does for a mutex).
     *
     * @param lock the reader-writer lock
     * @param body what to do while holding the read lock
     * @param <T>  the type of its value
     * @param <R>  the type of the result
     * @return the body's result, once the read lock is released
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Future<R> withRead(RwLock<T> lock, Function<? super ReadGuard<T>, Future<R>> body) {
        Objects.requireNonNull(body, "body");
        return read(lock).compose(g -> scoped(g, body));
    }

    /**
     * As {@link #withRead(RwLock, Function)}, under the write lock.
     *
     * @param lock the reader-writer lock
     * @param body what to do while holding the write lock
     * @param <T>  the type of its value
     * @param <R>  the type of the result
     * @return the body's result, once the write lock is released
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Future<R> withWrite(RwLock<T> lock, Function<? super WriteGuard<T>, Future<R>> body) {
        Objects.requireNonNull(body, "body");
        return write(lock).compose(g -> scoped(g, body));
    }

    // ---------------------------------------------------------------- Condvar

    /**
     * Waits on {@code condvar} without blocking: {@code guard} is closed by this call (the mutex is
     * released once the waiter is queued, so no notification is missed) and the future completes
     * with a new guard once the condvar was notified and the mutex is held again. Re-check the
     * condition after every wake-up.
     *
     * <pre>{@code
     * Future<MutexGuard<Deque<Job>>> next(MutexGuard<Deque<Job>> g) {
     *     return g.get().isEmpty()
     *             ? VertxLocks.await(notEmpty, g).compose(this::next)
     *             : Future.succeededFuture(g);
     * }
     * }</pre>
     *
     * @param condvar the condition variable
     * @param guard   a guard of the mutex the condition is about; spent by this call
     * @param <T>     the type of the mutex's value
     * @return a future of the new guard
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed, or others wait on {@code condvar} with
     *                               another mutex (then the guard is still open)
     */
    public static <T> Future<MutexGuard<T>> await(Condvar condvar, MutexGuard<T> guard) {
        Objects.requireNonNull(condvar, "condvar");
        Objects.requireNonNull(guard, "guard");
        GuardAcquisition<MutexGuard<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE);
        a.submitted(condvar.awaitAsync(guard, a, null));
        return a.future();
    }

    /**
     * As {@link #await(Condvar, MutexGuard)}, but the wait for a notification ends after
     * {@code timeout}; the future completes with the mutex held again either way, and
     * {@link Condvar.Wakeup#notified()} tells which ended the wait. The timeout bounds the wait for a
     * notification, not the re-acquisition of the mutex.
     *
     * @param condvar the condition variable
     * @param guard   a guard of the mutex; spent by this call
     * @param timeout the longest wait for a notification
     * @param <T>     the type of the mutex's value
     * @return a future of the wake-up, holding the new guard
     * @throws NullPointerException     if an argument is null
     * @throws IllegalStateException    if the guard is closed, or others wait on {@code condvar} with
     *                                  another mutex
     */
    public static <T> Future<Condvar.Wakeup<T>> await(Condvar condvar, MutexGuard<T> guard, Duration timeout) {
        Objects.requireNonNull(condvar, "condvar");
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(timeout, "timeout");
        GuardAcquisition<Condvar.Wakeup<T>> a = new GuardAcquisition<>(Vertx.currentContext(), CLOSE_WAKEUP);
        a.submitted(condvar.awaitAsync(guard, timeout, a, null));
        return a.future();
    }

    /**
     * As {@link #await(Condvar, MutexGuard, Duration)}, until a wall-clock {@code deadline} read now
     * (a deadline that has passed ends the wait at once; the future completes once the mutex is held
     * again).
     *
     * @param condvar  the condition variable
     * @param guard    a guard of the mutex; consumed by this call
     * @param deadline when to stop waiting for a notification
     * @param <T>      the type of the mutex's value
     * @return a future of the wake-up, holding the new guard
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed, or others wait on {@code condvar} with
     *                               another mutex
     */
    public static <T> Future<Condvar.Wakeup<T>> awaitUntil(Condvar condvar, MutexGuard<T> guard, Instant deadline) {
        return await(condvar, guard, until(deadline));
    }

    // ---------------------------------------------------------------- shared

    /**
     * A future complete with {@code value}, bound to {@code context} so that handlers added from any
     * thread run on it (on the calling thread when it already runs the context); outside any context,
     * a plain completed future whose handlers run where they are added.
     */
    static <V> Future<V> succeeded(Context context, V value) {
        return context == null ? Future.succeededFuture(value) : ((ContextInternal) context).succeededFuture(value);
    }

    /**
     * {@code result}, or a future bound to {@code context} that completes as it does when
     * {@code result} is bound elsewhere (or nowhere): the {@code with…} fast paths skip compose, whose
     * future is bound to the caller's context, so they bind the body's outcome here instead.
     */
    static <V> Future<V> onContext(Context context, Future<V> result) {
        if (context == null || (result instanceof FutureInternal<V> f && f.context() == context)) {
            return result;
        }
        Promise<V> bound = ((ContextInternal) context).promise();
        result.onComplete(bound);
        return bound.future();
    }

    /** As {@link #succeeded}, failed with {@code cause}. */
    static <V> Future<V> failed(Context context, Throwable cause) {
        return context == null ? Future.failedFuture(cause) : ((ContextInternal) context).failedFuture(cause);
    }

    /** Runs a {@code with…} body and releases {@code guard} on every way out of it. */
    static <G extends AutoCloseable, R> Future<R> scoped(G guard, Function<? super G, Future<R>> body) {
        LockCallback.shareGuard(guard); // the body may close it on one thread while its future completes on another
        Future<R> result;
        try {
            result = body.apply(guard);
        } catch (RuntimeException | Error e) {
            closeIfHeld(guard);
            return Future.failedFuture(e);
        }
        if (result == null) {
            closeIfHeld(guard);
            return Future.failedFuture(new NullPointerException("the body returned null instead of a future"));
        }
        return result.andThen(outcome -> CLOSE_IF_HELD.accept(guard));
    }

    /** The wait left until {@code deadline} on the wall clock, now; zero once it has passed. */
    static Duration until(Instant deadline) {
        Duration left = Duration.between(Instant.now(), Objects.requireNonNull(deadline, "deadline"));
        return left.isNegative() ? Duration.ZERO : left;
    }

    /**
     * The wait in nanoseconds, saturated at {@code Long.MAX_VALUE} (then no timer is armed). A
     * negative wait is 0: one attempt, as in lock-core and {@code java.util.concurrent}, never an error.
     */
    static long waitNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            return 0L;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }

    /** Closes a Turnstile guard (whose {@code close()} throws nothing checked). */
    static void close(AutoCloseable guard) {
        try {
            guard.close();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception impossible) {
            throw new IllegalStateException(impossible);
        }
    }

    /** Closes a Turnstile guard unless the code holding it already has. */
    static void closeIfHeld(AutoCloseable guard) {
        boolean held = switch (guard) {
            case MutexGuard<?> m -> m.isHeld();
            case ReadGuard<?> r -> r.isHeld();
            case WriteGuard<?> w -> w.isHeld();
            case UpgradableGuard<?> u -> u.isHeld();
            default -> true;
        };
        if (held) {
            close(guard);
        }
    }
}
