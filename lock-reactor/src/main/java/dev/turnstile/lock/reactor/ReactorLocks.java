package dev.turnstile.lock.reactor;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.Context;

/**
 * Turnstile's locks awaited from Reactor pipelines: the same {@link Mutex}, {@link RwLock} and
 * {@link dev.turnstile.lock.Condvar} that blocking threads, virtual threads and
 * {@code CompletableFuture} callers use at the same time, acquired as a {@code Mono} or scoped over a
 * {@code Mono}/{@code Flux}, without blocking any thread.
 *
 * <pre>{@code
 * Mutex<Map<String, Price>> cache = new Mutex<>(new HashMap<>());
 *
 * Mono<Price> price(String sku) {
 *     return ReactorLocks.withLock(cache, g -> {
 *         Price hit = g.get().get(sku);
 *         return hit != null
 *                 ? Mono.just(hit)
 *                 : fetch(sku).doOnNext(p -> g.get().put(sku, p));  // still under the lock
 *     });                                                        // released on every exit
 * }
 *
 * Flux.fromIterable(skus)
 *     .flatMap(this::price, 64)
 *     .timeout(Duration.ofSeconds(2))       // cancelling withdraws queued acquisitions
 *     .subscribe(...);
 * }</pre>
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li><b>Lazy and cold.</b> Nothing touches the lock until a subscriber requests; every
 *       subscription is its own acquisition, so {@code repeat()} or re-subscribing acquires again.</li>
 *   <li><b>Same queue.</b> Each subscription is one callback-level acquisition of lock-core
 *       ({@link dev.turnstile.lock.LockCallback}): it waits in the lock's one queue, under its
 *       fairness policy, next to waiting threads and futures. No thread waits.</li>
 *   <li><b>Cancellation at any moment</b> ({@code dispose()}, {@code take}, {@code timeout},
 *       {@code Mono.firstWithSignal}, a failing sibling in {@code zip}) withdraws a queued
 *       acquisition. A grant that races the cancellation and wins is released at once by this
 *       adapter: it never reaches Reactor's discard hooks.</li>
 *   <li><b>Where signals arrive.</b> Without a {@link Scheduler}, on the thread that granted the
 *       lock: the releasing thread, or the requesting thread when the lock was free. A release made
 *       from a continuation grants the next subscriber through lock-core's per-thread trampoline, so
 *       a million queued subscribers complete in constant stack. With a {@code Scheduler}, the grant
 *       is signalled on it like {@code publishOn}, without another task when the delivery is already
 *       running there (a subscriber granted by a release made on that scheduler's delivery thread).
 *       The lock is held from the grant until that task runs, so dispose such a scheduler only once
 *       the pipelines that use it have ended: {@code dispose()} drops the queued tasks, and a dropped
 *       grant is never signalled nor released. Downstream operators must not block in either case:
 *       in particular, {@code block()} on another acquisition inside a grant's signal waits for
 *       itself, since that acquisition is delivered on the same trampoline once the signal returns
 *       (compose it into the pipeline instead).</li>
 * </ul>
 *
 * <h2>{@code with…} or a bare guard</h2>
 * The {@code with…} operators own the guard: they release it when the body's publisher completes or
 * fails, when the body function throws or returns {@code null}, and when the subscriber cancels
 * (then, as {@code Mono.usingWhen} does, the body's subscription is cancelled and the lock released;
 * the released guard refuses further use with {@link IllegalStateException}). A cancel that comes
 * from another thread while the body function, or the body's subscription, is still running on the
 * thread that was granted the lock (all of a {@code Mono.fromSupplier} body's work) releases when
 * that call returns, never under it; a cancel on that thread itself (a downstream {@code take(1)})
 * and one while the body goes on asynchronously elsewhere release at once. The guard must not
 * escape the body.
 *
 * <p>{@link #lock(Mutex)}, {@link #read(RwLock)} and {@link #write(RwLock)} hand the guard itself to
 * the subscriber, which then owns it and must close it. The adapter settles a cancellation that
 * reaches it before the grant, but not what a downstream operator does with a guard signalled while
 * it is being cancelled on another thread: a {@code timeout} that fires at that moment, {@code zip}
 * cancelled with a guard buffered, or {@code subscribe(consumer)} disposed concurrently pass the
 * guard to Reactor's dropped/discard hooks, and the lock stays held. Prefer the {@code with…} forms
 * in such pipelines (they never lose a hold), or subscribe with a subscriber that closes whatever it
 * receives.
 *
 * <h2>Lock ranks and deadlock detection</h2>
 * A pipeline is one asynchronous task for lock-core's diagnostics when its subscriber's
 * {@code Context} carries a {@link LockOwner} under the key {@code LockOwner.class}: every
 * acquisition made for that subscriber counts as that owner's (ranked locks check the order of what
 * it holds; a ranked lock out of order fails the subscription with
 * {@link dev.turnstile.lock.LockOrderViolationException} before anything is queued), and deadlock
 * reports name it.
 * <pre>{@code
 * ReactorLocks.withLock(accounts, a -> ReactorLocks.withLock(ledger, l -> post(a.get(), l.get())))
 *         .contextWrite(ReactorLocks.ownedBy(LockOwner.named("order-42")));
 * }</pre>
 * Without one, each acquisition is its own acquirer.
 *
 * <h2>Blocking calls on non-blocking threads</h2>
 * This module installs a {@link ReactorNonBlockingThreads} detector: lock-core's blocking calls
 * ({@code mutex.lock()}, {@code read()}, timed {@code tryLock}, {@code Condvar.await}) made on a
 * thread Reactor marks non-blocking ({@code Schedulers.parallel()}, {@code single()}) are reported
 * or refused, as {@link dev.turnstile.lock.BlockingCalls} says.
 */
public final class ReactorLocks {
    private ReactorLocks() {
    }

    /**
     * Puts {@code owner} in the subscriber's {@code Context} (key {@code LockOwner.class}), for
     * {@code contextWrite}: every acquisition of this module made for the subscriber upstream counts
     * as the owner's, for lock ranks and deadlock detection (see the class comment).
     *
     * @param owner the task identity
     * @return a context modifier for {@code Mono.contextWrite} / {@code Flux.contextWrite}
     * @throws NullPointerException if {@code owner} is null
     */
    public static Function<Context, Context> ownedBy(LockOwner owner) {
        Objects.requireNonNull(owner, "owner");
        return context -> context.put(LockOwner.class, owner);
    }

    // ---------------------------------------------------------------- Mutex

    /**
     * Acquires {@code mutex} for each subscriber: emits the guard once granted, then completes. The
     * subscriber owns the guard and must close it (see the class comment).
     *
     * @param mutex the mutex
     * @param <T>   the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if {@code mutex} is null
     */
    public static <T> Mono<MutexGuard<T>> lock(Mutex<T> mutex) {
        return LockMono.of(Acquirer.mutex(Objects.requireNonNull(mutex, "mutex")), null);
    }

    /**
     * As {@link #lock(Mutex)}, signalling the guard on {@code scheduler}.
     *
     * @param mutex     the mutex
     * @param scheduler where the guard is signalled
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> lock(Mutex<T> mutex, Scheduler scheduler) {
        return LockMono.of(Acquirer.mutex(Objects.requireNonNull(mutex, "mutex")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Acquires {@code mutex} if it is granted within {@code timeout}; otherwise the acquisition
     * leaves the queue and the {@code Mono} fails with a {@link LockTimeoutException} naming the
     * mutex and the wait. A zero or negative timeout makes one attempt that respects the fairness policy. The
     * timer runs on {@code Schedulers.parallel()} (under {@code StepVerifier.withVirtualTime}, on
     * virtual time), and the timeout error is signalled there.
     *
     * @param mutex   the mutex
     * @param timeout the longest wait
     * @param <T>     the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> tryLock(Mutex<T> mutex, Duration timeout) {
        Objects.requireNonNull(mutex, "mutex");
        return LockMono.timed(Acquirer.mutex(mutex), null, checkTimeout(timeout), Schedulers.parallel());
    }

    /**
     * As {@link #tryLock(Mutex, Duration)}, with the timer on {@code scheduler} and the guard
     * signalled there too.
     *
     * @param mutex     the mutex
     * @param timeout   the longest wait
     * @param scheduler runs the timer and signals the outcome
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> tryLock(Mutex<T> mutex, Duration timeout, Scheduler scheduler) {
        Objects.requireNonNull(mutex, "mutex");
        Objects.requireNonNull(scheduler, "scheduler");
        return LockMono.timed(Acquirer.mutex(mutex), scheduler, checkTimeout(timeout), scheduler);
    }

    /**
     * As {@link #tryLock(Mutex, Duration)}, until a wall-clock {@code deadline}: each subscription
     * reads the clock when it subscribes and waits for what is left (one attempt if the deadline has
     * passed).
     *
     * @param mutex    the mutex
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> tryLock(Mutex<T> mutex, Instant deadline) {
        Objects.requireNonNull(mutex, "mutex");
        Objects.requireNonNull(deadline, "deadline");
        return Mono.defer(() -> tryLock(mutex, until(deadline)));
    }

    /**
     * As {@link #tryLock(Mutex, Instant)}, with the timer on {@code scheduler} and the guard
     * signalled there too.
     *
     * @param mutex     the mutex
     * @param deadline  when to give up
     * @param scheduler runs the timer and signals the outcome
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> tryLock(Mutex<T> mutex, Instant deadline, Scheduler scheduler) {
        Objects.requireNonNull(mutex, "mutex");
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(scheduler, "scheduler");
        return Mono.defer(() -> tryLock(mutex, until(deadline), scheduler));
    }

    /**
     * Acquires {@code mutex}, runs {@code body} with the guard, and releases the mutex when the
     * {@code Mono} the body returns completes or fails, when the body throws or returns {@code null}
     * (the result then fails with that exception, or a {@link NullPointerException}), and when the
     * subscriber cancels. The result signals what the body's {@code Mono} signals.
     *
     * @param mutex the mutex
     * @param body  the critical section; runs where the lock was granted (see the class comment)
     * @param <T>   the type of the guarded value
     * @param <R>   the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withLock(Mutex<T> mutex,
                                          Function<? super MutexGuard<T>, ? extends Mono<? extends R>> body) {
        Objects.requireNonNull(mutex, "mutex");
        return LockScope.mono(Acquirer.mutex(mutex), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withLock(Mutex, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param mutex     the mutex
     * @param body      the critical section
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withLock(Mutex<T> mutex,
                                          Function<? super MutexGuard<T>, ? extends Mono<? extends R>> body,
                                          Scheduler scheduler) {
        Objects.requireNonNull(mutex, "mutex");
        Objects.requireNonNull(body, "body");
        return LockScope.mono(Acquirer.mutex(mutex), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * As {@link #withLock(Mutex, Function)} for a body of many elements: the mutex is held until the
     * body's publisher completes or fails, or the subscriber cancels (for example with
     * {@code take(n)}); the elements are relayed under the subscriber's demand.
     *
     * @param mutex the mutex
     * @param body  the critical section
     * @param <T>   the type of the guarded value
     * @param <R>   the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withLockMany(Mutex<T> mutex,
                                              Function<? super MutexGuard<T>, ? extends Publisher<? extends R>> body) {
        Objects.requireNonNull(mutex, "mutex");
        return LockScope.flux(Acquirer.mutex(mutex), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withLockMany(Mutex, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param mutex     the mutex
     * @param body      the critical section
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withLockMany(Mutex<T> mutex,
                                              Function<? super MutexGuard<T>, ? extends Publisher<? extends R>> body,
                                              Scheduler scheduler) {
        Objects.requireNonNull(mutex, "mutex");
        Objects.requireNonNull(body, "body");
        return LockScope.flux(Acquirer.mutex(mutex), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    // ---------------------------------------------------------------- RwLock

    /**
     * Acquires a read hold on {@code lock} for each subscriber (behind any queued writer), and emits
     * its guard; the subscriber owns it and must close it.
     *
     * @param lock the lock
     * @param <T>  the type of the guarded value
     * @return a cold {@code Mono} of the read guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Mono<ReadGuard<T>> read(RwLock<T> lock) {
        return LockMono.of(Acquirer.read(Objects.requireNonNull(lock, "lock")), null);
    }

    /**
     * As {@link #read(RwLock)}, signalling the guard on {@code scheduler}.
     *
     * @param lock      the lock
     * @param scheduler where the guard is signalled
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the read guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<ReadGuard<T>> read(RwLock<T> lock, Scheduler scheduler) {
        return LockMono.of(Acquirer.read(Objects.requireNonNull(lock, "lock")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * A read hold if granted within {@code timeout}, otherwise a {@link LockTimeoutException} (as
     * {@link #tryLock(Mutex, Duration)}).
     *
     * @param lock    the lock
     * @param timeout the longest wait
     * @param <T>     the type of the guarded value
     * @return a cold {@code Mono} of the read guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<ReadGuard<T>> tryRead(RwLock<T> lock, Duration timeout) {
        Objects.requireNonNull(lock, "lock");
        return LockMono.timed(Acquirer.read(lock), null, checkTimeout(timeout), Schedulers.parallel());
    }

    /**
     * A read hold if granted before a wall-clock {@code deadline}, read at each subscription (as
     * {@link #tryLock(Mutex, Instant)}).
     *
     * @param lock     the lock
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a cold {@code Mono} of the read guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<ReadGuard<T>> tryRead(RwLock<T> lock, Instant deadline) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(deadline, "deadline");
        return Mono.defer(() -> tryRead(lock, until(deadline)));
    }

    /**
     * Acquires the write hold on {@code lock} for each subscriber, and emits its guard; the
     * subscriber owns it and must close it.
     *
     * @param lock the lock
     * @param <T>  the type of the guarded value
     * @return a cold {@code Mono} of the write guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Mono<WriteGuard<T>> write(RwLock<T> lock) {
        return LockMono.of(Acquirer.write(Objects.requireNonNull(lock, "lock")), null);
    }

    /**
     * As {@link #write(RwLock)}, signalling the guard on {@code scheduler}.
     *
     * @param lock      the lock
     * @param scheduler where the guard is signalled
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the write guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<WriteGuard<T>> write(RwLock<T> lock, Scheduler scheduler) {
        return LockMono.of(Acquirer.write(Objects.requireNonNull(lock, "lock")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * The write hold if granted within {@code timeout}, otherwise a {@link LockTimeoutException} (as
     * {@link #tryLock(Mutex, Duration)}).
     *
     * @param lock    the lock
     * @param timeout the longest wait
     * @param <T>     the type of the guarded value
     * @return a cold {@code Mono} of the write guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<WriteGuard<T>> tryWrite(RwLock<T> lock, Duration timeout) {
        Objects.requireNonNull(lock, "lock");
        return LockMono.timed(Acquirer.write(lock), null, checkTimeout(timeout), Schedulers.parallel());
    }

    /**
     * The write hold if granted before a wall-clock {@code deadline}, read at each subscription (as
     * {@link #tryLock(Mutex, Instant)}).
     *
     * @param lock     the lock
     * @param deadline when to give up
     * @param <T>      the type of the guarded value
     * @return a cold {@code Mono} of the write guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<WriteGuard<T>> tryWrite(RwLock<T> lock, Instant deadline) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(deadline, "deadline");
        return Mono.defer(() -> tryWrite(lock, until(deadline)));
    }

    /**
     * Runs {@code body} under a read hold, released on every exit as for
     * {@link #withLock(Mutex, Function)}.
     *
     * @param lock the lock
     * @param body reads the value; must not modify it
     * @param <T>  the type of the guarded value
     * @param <R>  the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withRead(RwLock<T> lock,
                                          Function<? super ReadGuard<T>, ? extends Mono<? extends R>> body) {
        Objects.requireNonNull(lock, "lock");
        return LockScope.mono(Acquirer.read(lock), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withRead(RwLock, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param lock      the lock
     * @param body      reads the value
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withRead(RwLock<T> lock,
                                          Function<? super ReadGuard<T>, ? extends Mono<? extends R>> body,
                                          Scheduler scheduler) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(body, "body");
        return LockScope.mono(Acquirer.read(lock), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Runs {@code body} under the write hold, released on every exit as for
     * {@link #withLock(Mutex, Function)}.
     *
     * @param lock the lock
     * @param body the critical section
     * @param <T>  the type of the guarded value
     * @param <R>  the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withWrite(RwLock<T> lock,
                                           Function<? super WriteGuard<T>, ? extends Mono<? extends R>> body) {
        Objects.requireNonNull(lock, "lock");
        return LockScope.mono(Acquirer.write(lock), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withWrite(RwLock, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param lock      the lock
     * @param body      the critical section
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the result type
     * @return a cold {@code Mono} of the body's result
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Mono<R> withWrite(RwLock<T> lock,
                                           Function<? super WriteGuard<T>, ? extends Mono<? extends R>> body,
                                           Scheduler scheduler) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(body, "body");
        return LockScope.mono(Acquirer.write(lock), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Runs a body of many elements under a read hold, released on every exit as for
     * {@link #withLockMany(Mutex, Function)}.
     *
     * @param lock the lock
     * @param body reads the value
     * @param <T>  the type of the guarded value
     * @param <R>  the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withReadMany(RwLock<T> lock,
                                              Function<? super ReadGuard<T>, ? extends Publisher<? extends R>> body) {
        Objects.requireNonNull(lock, "lock");
        return LockScope.flux(Acquirer.read(lock), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withReadMany(RwLock, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param lock      the lock
     * @param body      reads the value
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withReadMany(RwLock<T> lock,
                                              Function<? super ReadGuard<T>, ? extends Publisher<? extends R>> body,
                                              Scheduler scheduler) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(body, "body");
        return LockScope.flux(Acquirer.read(lock), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Runs a body of many elements under the write hold, released on every exit as for
     * {@link #withLockMany(Mutex, Function)}.
     *
     * @param lock the lock
     * @param body the critical section
     * @param <T>  the type of the guarded value
     * @param <R>  the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withWriteMany(RwLock<T> lock,
                                               Function<? super WriteGuard<T>, ? extends Publisher<? extends R>> body) {
        Objects.requireNonNull(lock, "lock");
        return LockScope.flux(Acquirer.write(lock), Objects.requireNonNull(body, "body"), null);
    }

    /**
     * As {@link #withWriteMany(RwLock, Function)}, running {@code body} on {@code scheduler}.
     *
     * @param lock      the lock
     * @param body      the critical section
     * @param scheduler where the body runs
     * @param <T>       the type of the guarded value
     * @param <R>       the element type
     * @return a cold {@code Flux} of the body's elements
     * @throws NullPointerException if an argument is null
     */
    public static <T, R> Flux<R> withWriteMany(RwLock<T> lock,
                                               Function<? super WriteGuard<T>, ? extends Publisher<? extends R>> body,
                                               Scheduler scheduler) {
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(body, "body");
        return LockScope.flux(Acquirer.write(lock), body, Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Acquires the upgradable read hold on {@code lock} for each subscriber (shared with plain
     * readers, exclusive against writers and other upgradable readers), and emits its guard; the
     * subscriber owns it and must close it, or {@link #upgrade(UpgradableGuard) upgrade} it.
     *
     * @param lock the lock
     * @param <T>  the type of the guarded value
     * @return a cold {@code Mono} of the upgradable guard
     * @throws NullPointerException if {@code lock} is null
     */
    public static <T> Mono<UpgradableGuard<T>> upgradableRead(RwLock<T> lock) {
        return LockMono.of(Acquirer.upgradableRead(Objects.requireNonNull(lock, "lock")), null);
    }

    /**
     * As {@link #upgradableRead(RwLock)}, signalling the guard on {@code scheduler}.
     *
     * @param lock      the lock
     * @param scheduler where the guard is signalled
     * @param <T>       the type of the guarded value
     * @return a cold {@code Mono} of the upgradable guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<UpgradableGuard<T>> upgradableRead(RwLock<T> lock, Scheduler scheduler) {
        return LockMono.of(Acquirer.upgradableRead(Objects.requireNonNull(lock, "lock")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * Turns {@code guard}'s upgradable hold into the write hold once the plain readers inside have
     * left (new readers queue from the moment the upgrade starts, and no other writer can acquire in
     * between), and emits the write guard. The upgrade starts when the subscriber requests; it
     * consumes {@code guard}, so a second subscription fails with {@link IllegalStateException}
     * (as does one on a closed or consumed guard).
     *
     * <p>Cancelled while the upgrade is still waiting, {@code guard} holds its upgradable hold again
     * and may be used or closed as before. If the write hold was granted in a race with the
     * cancellation, the adapter releases it (lock-core cannot give a granted write hold back to
     * {@code guard} from outside), and {@code guard} stays consumed: after a cancellation,
     * {@code guard.isHeld()} tells which happened.
     *
     * @param guard the upgradable hold to upgrade
     * @param <T>   the type of the guarded value
     * @return a {@code Mono} of the write guard
     * @throws NullPointerException if {@code guard} is null
     */
    public static <T> Mono<WriteGuard<T>> upgrade(UpgradableGuard<T> guard) {
        return LockMono.of(Acquirer.upgrade(Objects.requireNonNull(guard, "guard")), null);
    }

    /**
     * As {@link #upgrade(UpgradableGuard)}, signalling the write guard on {@code scheduler}.
     *
     * @param guard     the upgradable hold to upgrade
     * @param scheduler where the write guard is signalled
     * @param <T>       the type of the guarded value
     * @return a {@code Mono} of the write guard
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<WriteGuard<T>> upgrade(UpgradableGuard<T> guard, Scheduler scheduler) {
        return LockMono.of(Acquirer.upgrade(Objects.requireNonNull(guard, "guard")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    // ---------------------------------------------------------------- Condvar

    /**
     * Waits on {@code condvar} for a notification without blocking: when the subscriber requests,
     * {@code guard} is closed (the mutex released once the waiter is queued, so no notification is
     * missed), and the {@code Mono} emits a <em>new</em> guard once notified and the mutex is held
     * again. Notified waiters queue for the mutex like waiting threads. Re-check the condition after
     * every wake-up:
     * <pre>{@code
     * Mono<MutexGuard<Deque<Job>>> next(MutexGuard<Deque<Job>> g) {
     *     return g.get().isEmpty()
     *             ? ReactorLocks.await(notEmpty, g).flatMap(this::next)
     *             : Mono.just(g);
     * }
     * }</pre>
     * Cancelling gives up the wait and the mutex (a notification already received is passed on to
     * the next waiter); a guard granted in a race with the cancellation is closed. The guard is spent
     * by the first subscription, so a second one fails with {@link IllegalStateException}.
     *
     * @param condvar the condition variable
     * @param guard   holds the mutex the condition is about; closed when the wait starts
     * @param <T>     the type of the mutex's value
     * @return a {@code Mono} of the guard that holds the mutex again
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> await(Condvar condvar, MutexGuard<T> guard) {
        Objects.requireNonNull(condvar, "condvar");
        return LockMono.of(Acquirer.await(condvar, Objects.requireNonNull(guard, "guard")), null);
    }

    /**
     * As {@link #await(Condvar, MutexGuard)}, signalling the new guard on {@code scheduler}.
     *
     * @param condvar   the condition variable
     * @param guard     holds the mutex; closed when the wait starts
     * @param scheduler where the new guard is signalled
     * @param <T>       the type of the mutex's value
     * @return a {@code Mono} of the guard that holds the mutex again
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<MutexGuard<T>> await(Condvar condvar, MutexGuard<T> guard, Scheduler scheduler) {
        Objects.requireNonNull(condvar, "condvar");
        return LockMono.of(Acquirer.await(condvar, Objects.requireNonNull(guard, "guard")),
                Objects.requireNonNull(scheduler, "scheduler"));
    }

    /**
     * As {@link #await(Condvar, MutexGuard)}, but the wait for a notification ends after
     * {@code timeout}: the {@code Mono} emits a {@link Condvar.Wakeup} with the new guard either way,
     * and {@link Condvar.Wakeup#notified()} tells whether a notification came first. The timeout
     * bounds the wait for a notification, not the re-acquisition of the mutex, and runs on
     * lock-core's timer (real time, not a Reactor scheduler's; bound the whole wait on virtual time
     * with a downstream {@code timeout}, which cancels it).
     *
     * @param condvar the condition variable
     * @param guard   holds the mutex; closed when the wait starts
     * @param timeout the longest wait for a notification
     * @param <T>     the type of the mutex's value
     * @return a {@code Mono} of the wake-up
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<Condvar.Wakeup<T>> await(Condvar condvar, MutexGuard<T> guard, Duration timeout) {
        Objects.requireNonNull(condvar, "condvar");
        Objects.requireNonNull(guard, "guard");
        return LockMono.of(Acquirer.await(condvar, guard, checkTimeout(timeout)), null);
    }

    /**
     * As {@link #await(Condvar, MutexGuard, Duration)}, until a wall-clock {@code deadline} read when
     * the {@code Mono} is subscribed (a deadline that has passed ends the wait at once, and the
     * {@code Mono} emits once the mutex is held again).
     *
     * @param condvar  the condition variable
     * @param guard    holds the mutex; consumed when the wait starts
     * @param deadline when to stop waiting for a notification
     * @param <T>      the type of the mutex's value
     * @return a {@code Mono} of the wake-up
     * @throws NullPointerException if an argument is null
     */
    public static <T> Mono<Condvar.Wakeup<T>> awaitUntil(Condvar condvar, MutexGuard<T> guard, Instant deadline) {
        Objects.requireNonNull(condvar, "condvar");
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(deadline, "deadline");
        return Mono.defer(() -> await(condvar, guard, until(deadline)));
    }

    // ---------------------------------------------------------------- arguments

    /** The wait left until {@code deadline} on the wall clock, now; zero once it has passed. */
    private static Duration until(Instant deadline) {
        Duration left = Duration.between(Instant.now(), deadline);
        return left.isNegative() ? Duration.ZERO : left;
    }

    /** A non-positive wait means one attempt, as in lock-core and {@code java.util.concurrent}: never an error. */
    private static Duration checkTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        return timeout.isNegative() ? Duration.ZERO : timeout;
    }
}
