package dev.turnstile.lock.reactor;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.PendingLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.Scannable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;

/**
 * A {@code Mono} of one acquisition: each subscription acquires when it first requests, and signals
 * the guard (then completes) once granted.
 *
 * <h2>Free lock: no queue node</h2>
 * When the lock is free for this kind of hold, nobody is queued (a {@code Mutex} whose policy lets
 * arrivals barge passes queued waiters too, as a queued node would), no grant delivery is running on
 * this thread and no scheduler hop is needed, the first request takes the hold at once through
 * lock-core's fast path ({@link Acquirer#takeIfFree}: {@code Mutex.lockIfFree},
 * {@code RwLock.readIfFree} …, which check the subscriber's {@code LockOwner} for rank order and
 * record the hold for it, like a queued grant) and delivers it with {@link LockCallback#deliver}:
 * {@link LockSubscriber#onLocked} runs before {@code request} returns, as lock-core's trampoline
 * would run it, with no {@link PendingLock}. Otherwise the subscription submits one acquisition at
 * lock-core's callback level.
 *
 * <h2>Grant versus cancel</h2>
 * One state word per subscription settles every race, so each acquisition ends exactly one way: its
 * guard reaches the subscriber, or it is withdrawn ({@link PendingLock#cancel()} returned
 * {@code true}), or the grant that won the race against a cancellation is released on the spot.
 * Nothing goes to Reactor's discard hooks.
 * <pre>
 *   IDLE ──request──▶ WAITING ──grant (queued, or taken at once)──▶ DONE (onNext + onComplete)
 *                        │  └──grant, hop needed──▶ GRANTED ──task on the scheduler──▶ DONE
 *                        ├──timer, withdrawn──▶ DONE (onError LockTimeoutException)
 *   any but DONE ──cancel──▶ CANCELLED (withdraw if WAITING; release the grant if GRANTED)
 * </pre>
 * A grant that finds the state no longer WAITING (cancelled meanwhile, also while a fast-path hold
 * was being taken) is released at once. A cancel that arrives during or after {@code onNext} finds
 * DONE and does nothing: the subscriber owns the guard from {@code onNext} on, on both paths.
 *
 * <h2>Why on request, not on subscribe</h2>
 * A {@code Mono} may only signal its value once requested. Acquiring on the first request means a
 * grant never has to be parked in the subscriber waiting for demand, holding the lock for nobody.
 *
 * @param <G> the guard type
 */
final class LockMono<G> extends Mono<G> implements Scannable {
    private final Acquirer<G> acquirer;
    /** Where the guard is signalled; {@code null}: on the granting thread. */
    private final Scheduler scheduler;
    /** The wait limit, or {@code null} for none. */
    private final Duration timeout;
    /** Runs the timeout; {@code null} when there is none. */
    private final Scheduler timer;

    private LockMono(Acquirer<G> acquirer, Scheduler scheduler, Duration timeout, Scheduler timer) {
        this.acquirer = acquirer;
        this.scheduler = scheduler;
        this.timeout = timeout;
        this.timer = timer;
    }

    /** An untimed acquisition, signalled on {@code scheduler} ({@code null}: where granted). */
    static <G> Mono<G> of(Acquirer<G> acquirer, Scheduler scheduler) {
        return onAssembly(new LockMono<>(acquirer, scheduler, null, null));
    }

    /** A timed acquisition whose timer runs on {@code timer}. */
    static <G> Mono<G> timed(Acquirer<G> acquirer, Scheduler scheduler, Duration timeout, Scheduler timer) {
        return onAssembly(new LockMono<>(acquirer, scheduler, timeout, timer));
    }

    @Override
    public void subscribe(CoreSubscriber<? super G> actual) {
        actual.onSubscribe(timeout == null ? new LockSubscriber<>(actual, this) : new TimedLockSubscriber<>(actual, this));
    }

    @Override
    @SuppressWarnings("rawtypes") // Reactor declares scanUnsafe(Attr) with the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.RUN_ON) {
            return scheduler;
        }
        return null;
    }

    /**
     * One subscription: one acquisition, settled by {@link #state}. An untimed subscription has no
     * timer field ({@link TimedLockSubscriber} adds it): one reference less per subscriber.
     */
    static class LockSubscriber<G> implements LockCallback<G>, Subscription, Runnable, Scannable {
        static final int IDLE = 0;
        static final int WAITING = 1;
        static final int GRANTED = 2;
        static final int DONE = 3;
        static final int CANCELLED = 4;

        final CoreSubscriber<? super G> actual;
        final LockMono<G> parent;

        volatile int state;
        /** The queued acquisition once submitted; {@code null} while it is being submitted, and on the fast path. */
        volatile PendingLock pending;
        /** A grant on its way to the scheduler (GRANTED); taken exactly once, by the hop or a cancel. */
        private volatile G held;

        LockSubscriber(CoreSubscriber<? super G> actual, LockMono<G> parent) {
            this.actual = actual;
            this.parent = parent;
        }

        @Override
        public void request(long n) {
            if (!Operators.validate(n) || !STATE.compareAndSet(this, IDLE, WAITING)) {
                return;
            }
            PendingLock p;
            try {
                p = parent.acquirer.takeOrSubmit(this, actual.currentContext(), !SchedulerHop.isNeeded(parent.scheduler));
            } catch (Throwable t) {
                if (STATE.compareAndSet(this, WAITING, DONE)) {
                    actual.onError(Operators.onOperatorError(t, actual.currentContext()));
                }
                return;
            }
            if (p == null) {
                return; // taken at once and delivered: no node, no timer (a cancel meanwhile found nothing to withdraw)
            }
            pending = p;
            if (state == CANCELLED) {
                p.cancel(); // cancelled while it was being submitted; a grant that won is released in onLocked
                return;
            }
            submitted();
        }

        /** After a submission that is still waiting: nothing here; a timed subscription arms its timer. */
        void submitted() {
        }

        /** The grant or a cancellation settled the wait: nothing here; a timed subscription disarms. */
        void disposeTimer() {
        }

        @Override
        public void onLocked(G guard) {
            if (!SchedulerHop.isNeeded(parent.scheduler)) {
                if (STATE.compareAndSet(this, WAITING, DONE)) {
                    disposeTimer();
                    actual.onNext(guard);
                    actual.onComplete();
                } else {
                    parent.acquirer.release(guard); // cancelled meanwhile: never strand the lock
                }
                return;
            }
            held = guard;
            if (!STATE.compareAndSet(this, WAITING, GRANTED)) {
                held = null;
                parent.acquirer.release(guard);
                return;
            }
            disposeTimer();
            try {
                parent.scheduler.schedule(this);
            } catch (RejectedExecutionException e) {
                G mine = takeHeld();
                if (mine != null) {
                    parent.acquirer.release(mine);
                    if (STATE.compareAndSet(this, GRANTED, DONE)) {
                        actual.onError(e);
                    }
                }
            }
        }

        @Override
        public void onFailed(Throwable cause) {
            if (STATE.compareAndSet(this, WAITING, DONE)) {
                disposeTimer();
                actual.onError(cause);
            } else {
                Operators.onErrorDropped(cause, actual.currentContext());
            }
        }

        /** The hop: signals the grant on the scheduler, unless cancelled meanwhile. */
        @Override
        public void run() {
            Scheduler previous = SchedulerHop.enter(parent.scheduler);
            try {
                G guard = takeHeld();
                if (guard == null) {
                    return; // a cancel took it and released it
                }
                if (STATE.compareAndSet(this, GRANTED, DONE)) {
                    actual.onNext(guard);
                    actual.onComplete();
                } else {
                    parent.acquirer.release(guard);
                }
            } finally {
                SchedulerHop.exit(previous);
            }
        }

        @SuppressWarnings("unchecked")
        private G takeHeld() {
            return (G) HELD.getAndSet(this, null);
        }

        @Override
        public void cancel() {
            for (int s = state; s != DONE && s != CANCELLED; s = state) {
                if (STATE.compareAndSet(this, s, CANCELLED)) {
                    if (s == WAITING) {
                        disposeTimer();
                        PendingLock p = pending;
                        if (p != null) {
                            p.cancel(); // false: the grant won, and onLocked releases it
                        }               // null: request() re-checks once the submission returns
                    } else if (s == GRANTED) {
                        G guard = takeHeld();
                        if (guard != null) {
                            parent.acquirer.release(guard);
                        }
                    }
                    return;
                }
            }
        }

        @Override
        @SuppressWarnings("rawtypes") // Reactor declares scanUnsafe(Attr) with the raw type
        public Object scanUnsafe(Attr key) {
            if (key == Attr.ACTUAL) {
                return actual;
            }
            if (key == Attr.CANCELLED) {
                return state == CANCELLED;
            }
            if (key == Attr.TERMINATED) {
                return state == DONE;
            }
            if (key == Attr.RUN_STYLE) {
                return Attr.RunStyle.ASYNC;
            }
            if (key == Attr.RUN_ON) {
                return parent.scheduler;
            }
            return null;
        }

        static final VarHandle STATE;
        private static final VarHandle HELD;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                STATE = l.findVarHandle(LockSubscriber.class, "state", int.class);
                HELD = l.findVarHandle(LockSubscriber.class, "held", Object.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** A subscription with a wait limit: {@link LockSubscriber} and its timer. */
    static final class TimedLockSubscriber<G> extends LockSubscriber<G> {
        /** The pending timeout, if any. */
        private volatile Disposable timerTask;

        TimedLockSubscriber(CoreSubscriber<? super G> actual, LockMono<G> parent) {
            super(actual, parent);
        }

        @Override
        void submitted() {
            if (state != WAITING) {
                return;
            }
            long nanos;
            try {
                nanos = parent.timeout.toNanos();
            } catch (ArithmeticException beyondTheNanosecondRange) {
                nanos = Long.MAX_VALUE;
            }
            if (nanos == Long.MAX_VALUE) {
                // About 292 years or more (Instant.MAX, Duration.ofSeconds(Long.MAX_VALUE)): wait as long
                // as it takes, as lock-core's timed forms do (they saturate) and VertxLocks does. Calling
                // toNanos() unguarded threw here, after the acquisition was queued: the subscriber got
                // an ArithmeticException, and then the grant too, onNext after onError, into nobody.
                return;
            }
            if (nanos == 0) {
                timeUp(); // one attempt: the submission (or the fast path before it) was it
                return;
            }
            Disposable task;
            try {
                task = parent.timer.schedule(this::timeUp, nanos, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                if (pending.cancel() && STATE.compareAndSet(this, WAITING, DONE)) {
                    actual.onError(e);
                }
                return;
            }
            timerTask = task;
            if (state != WAITING) {
                task.dispose(); // granted or cancelled while the timer was being armed
            }
        }

        /** The timer fired: withdraw the acquisition; if that wins, the subscriber gets the timeout. */
        private void timeUp() {
            if (state == WAITING && pending.cancel() && STATE.compareAndSet(this, WAITING, DONE)) {
                actual.onError(new LockTimeoutException(parent.acquirer.lockName(), parent.timeout));
            }
            // cancel() false: the grant won and is (being) signalled; CAS failed: cancelled meanwhile
        }

        @Override
        void disposeTimer() {
            Disposable task = timerTask;
            if (task != null) {
                task.dispose();
            }
        }
    }
}
