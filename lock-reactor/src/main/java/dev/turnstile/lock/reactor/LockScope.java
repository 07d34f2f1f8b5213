package dev.turnstile.lock.reactor;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.PendingLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Scannable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Scheduler;
import reactor.util.context.Context;

/**
 * One subscription of a {@code with…} operator: acquires on the first request, runs the body with the
 * guard, relays the body's signals, and releases the hold exactly once, whichever of these ends the
 * scope first: the body completes, the body fails, the body function throws or returns
 * {@code null}, or the subscriber cancels (then the body's subscription is cancelled and the hold
 * released, as {@code Mono.usingWhen} does; the released guard refuses further use).
 *
 * <h2>Never released under the body's synchronous part</h2>
 * A cancel from another thread while the granting thread is inside the body function or the body's
 * subscription (where a {@code Mono.fromSupplier} body does all its work) does not release there and
 * then: the release is left to that thread, which makes it as the call returns, so the next holder
 * never runs beside code that is still using the guarded value ({@link #bodyCall}). The two sides
 * write, then read, two volatile words in opposite orders (cancel: the state, then
 * {@code bodyCall}; the body: {@code bodyCall}, then the state), so either the cancel sees the body
 * inside and leaves the release to it, or the body sees the cancel and does not run. A cancel made
 * on the body's own thread (a downstream {@code take(1)}) releases at once, so that the downstream's
 * reaction finds the lock free, as with {@code Mono.usingWhen}; a body that went on asynchronously
 * elsewhere is cancelled and released at once too.
 *
 * <h2>Exactly once</h2>
 * The guard is kept in {@link #held} from the grant to the end of the scope; every path that ends
 * the scope takes it with one atomic get-and-set. The acquisition itself is made and settled like
 * {@link LockMono}'s: a free lock is taken at once with no queue node when no scheduler hop is needed
 * ({@link Acquirer#takeIfFree}, delivered by {@link LockCallback#deliver}), and a grant that finds the
 * scope cancelled is released on the spot.
 * <pre>
 *   IDLE ──request──▶ WAITING ──grant──▶ RUNNING ──body completes/fails──▶ DONE
 *   any but DONE ──cancel──▶ CANCELLED (withdraw if WAITING; cancel the body and release if RUNNING)
 * </pre>
 * Demand from the subscriber is kept until the body subscribes and then passed on (the inherited
 * {@link Operators.DeferredSubscription}).
 *
 * @param <G> the guard type
 * @param <R> the body's element type
 */
final class LockScope<G, R> extends Operators.DeferredSubscription
        implements LockCallback<G>, CoreSubscriber<R>, Runnable {
    private static final int IDLE = 0;
    private static final int WAITING = 1;
    private static final int RUNNING = 2;
    private static final int DONE = 3;
    private static final int CANCELLED = 4;

    /** {@link #bodyCall}: the granting thread is not inside the body's synchronous part. */
    private static final int OUTSIDE = 0;
    /** {@link #bodyCall}: the granting thread is inside the body function or its subscription. */
    private static final int INSIDE = 1;
    /** {@link #bodyCall}: inside, and a cancel left the release to the granting thread. */
    private static final int RELEASE_LEFT = 2;

    private final CoreSubscriber<? super R> actual;
    private final Acquirer<G> acquirer;
    private final Function<? super G, ? extends Publisher<? extends R>> body;
    /** Where the body runs; {@code null}: on the granting thread. */
    private final Scheduler scheduler;

    private volatile int state;
    private volatile PendingLock pending;
    /** The guard from the grant until the scope ends; {@code null} before and after. */
    private volatile G held;
    /** {@link #OUTSIDE}, {@link #INSIDE} or {@link #RELEASE_LEFT}: see "Never released under the body's synchronous part". */
    private volatile int bodyCall;
    /** The thread running the body's synchronous part; written before {@link #bodyCall} becomes INSIDE. */
    private Thread bodyThread;

    LockScope(CoreSubscriber<? super R> actual, Acquirer<G> acquirer,
              Function<? super G, ? extends Publisher<? extends R>> body, Scheduler scheduler) {
        this.actual = actual;
        this.acquirer = acquirer;
        this.body = body;
        this.scheduler = scheduler;
    }

    /** A {@code Flux} whose every subscription is one scope. */
    static <G, R> Flux<R> flux(Acquirer<G> acquirer, Function<? super G, ? extends Publisher<? extends R>> body,
                               Scheduler scheduler) {
        return ScopedFlux.assemble(new ScopedFlux<>(acquirer, body, scheduler));
    }

    /** A {@code Mono} whose every subscription is one scope; the body is a {@code Mono}. */
    static <G, R> Mono<R> mono(Acquirer<G> acquirer, Function<? super G, ? extends Mono<? extends R>> body,
                               Scheduler scheduler) {
        return ScopedMono.assemble(new ScopedMono<>(acquirer, body, scheduler));
    }

    // ---------------------------------------------------------------- subscriber side

    @Override
    public void request(long n) {
        super.request(n);
        if (n > 0 && state == IDLE && STATE.compareAndSet(this, IDLE, WAITING)) {
            start();
        }
    }

    private void start() {
        PendingLock p;
        try {
            p = acquirer.takeOrSubmit(this, actual.currentContext(), !SchedulerHop.isNeeded(scheduler));
        } catch (Throwable t) {
            if (STATE.compareAndSet(this, WAITING, DONE)) {
                actual.onError(Operators.onOperatorError(t, actual.currentContext()));
            }
            return;
        }
        if (p == null) {
            return; // taken at once and delivered: onLocked ran the body, or released the hold if cancelled meanwhile
        }
        pending = p;
        if (state == CANCELLED) {
            p.cancel(); // cancelled during the submission; a grant that won is released in onLocked
        }
    }

    @Override
    public void cancel() {
        for (int s = state; s != DONE && s != CANCELLED; s = state) {
            if (STATE.compareAndSet(this, s, CANCELLED)) {
                super.cancel(); // the body's subscription, if any
                if (s == WAITING) {
                    PendingLock p = pending;
                    if (p != null) {
                        p.cancel(); // false: the grant won, and onLocked releases it
                    }
                } else if (s == RUNNING && (bodyCall != INSIDE || bodyThread == Thread.currentThread()
                        || !BODY_CALL.compareAndSet(this, INSIDE, RELEASE_LEFT))) {
                    releaseOnce(); // not under the body's synchronous part on another thread: release now
                }
                return;
            }
        }
    }

    // ---------------------------------------------------------------- grant side

    @Override
    public void onLocked(G guard) {
        held = LockCallback.shareGuard(guard); // the body may close it while a cancel releases it elsewhere
        if (!STATE.compareAndSet(this, WAITING, RUNNING)) {
            releaseOnce(); // cancelled meanwhile: never strand the lock
            return;
        }
        if (!SchedulerHop.isNeeded(scheduler)) {
            runBody(guard);
            return;
        }
        try {
            scheduler.schedule(this);
        } catch (RejectedExecutionException e) {
            releaseOnce();
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                actual.onError(e);
            }
        }
    }

    @Override
    public void onFailed(Throwable cause) {
        if (STATE.compareAndSet(this, WAITING, DONE)) {
            actual.onError(cause);
        } else {
            Operators.onErrorDropped(cause, actual.currentContext());
        }
    }

    /** The hop: runs the body on the scheduler, unless the scope was cancelled meanwhile. */
    @Override
    public void run() {
        Scheduler previous = SchedulerHop.enter(scheduler);
        try {
            G guard = held;
            if (guard != null && state == RUNNING) {
                runBody(guard);
            }
        } finally {
            SchedulerHop.exit(previous);
        }
    }

    private void runBody(G guard) {
        bodyThread = Thread.currentThread();
        bodyCall = INSIDE; // publishes bodyThread
        try {
            if (state == RUNNING) { // else a cancel came before INSIDE was visible to it, and released
                callBody(guard);
            }
        } finally {
            if (!BODY_CALL.compareAndSet(this, INSIDE, OUTSIDE)) {
                bodyCall = OUTSIDE;
                releaseOnce(); // cancelled while the body ran here: the release was left to us
            }
        }
    }

    private void callBody(G guard) {
        Publisher<? extends R> p;
        try {
            p = Objects.requireNonNull(body.apply(guard), "the body returned a null Publisher");
        } catch (Throwable t) {
            releaseOnce();
            if (STATE.compareAndSet(this, RUNNING, DONE)) {
                actual.onError(Operators.onOperatorError(t, actual.currentContext()));
            }
            return;
        }
        if (state == RUNNING) {
            try {
                p.subscribe(this);
            } catch (Throwable t) { // a raw Publisher that throws instead of signalling onError
                onError(Operators.onOperatorError(t, actual.currentContext()));
            }
        } // else cancelled while the body function ran: released already
    }

    @SuppressWarnings("unchecked")
    private void releaseOnce() {
        G guard = (G) HELD.getAndSet(this, null);
        if (guard != null) {
            acquirer.release(guard);
        }
    }

    // ---------------------------------------------------------------- the body's signals

    @Override
    public void onSubscribe(Subscription s) {
        set(s);
    }

    @Override
    public void onNext(R value) {
        actual.onNext(value);
    }

    /** Release first, so that the subscriber's reaction finds the lock free. */
    @Override
    public void onError(Throwable failure) {
        releaseOnce();
        if (STATE.compareAndSet(this, RUNNING, DONE)) {
            actual.onError(failure);
        } else {
            Operators.onErrorDropped(failure, actual.currentContext());
        }
    }

    @Override
    public void onComplete() {
        releaseOnce();
        if (STATE.compareAndSet(this, RUNNING, DONE)) {
            actual.onComplete();
        }
    }

    @Override
    public Context currentContext() {
        return actual.currentContext();
    }

    @Override
    @SuppressWarnings("rawtypes") // Reactor declares scanUnsafe(Attr) with the raw type
    public Object scanUnsafe(Attr key) {
        if (key == Attr.ACTUAL) {
            return actual;
        }
        if (key == Attr.TERMINATED) {
            return state == DONE;
        }
        if (key == Attr.RUN_STYLE) {
            return Attr.RunStyle.ASYNC;
        }
        if (key == Attr.RUN_ON) {
            return scheduler;
        }
        return super.scanUnsafe(key);
    }

    // ---------------------------------------------------------------- the publishers

    private static final class ScopedFlux<G, R> extends Flux<R> implements Scannable {
        private final Acquirer<G> acquirer;
        private final Function<? super G, ? extends Publisher<? extends R>> body;
        private final Scheduler scheduler;

        ScopedFlux(Acquirer<G> acquirer, Function<? super G, ? extends Publisher<? extends R>> body,
                   Scheduler scheduler) {
            this.acquirer = acquirer;
            this.body = body;
            this.scheduler = scheduler;
        }

        static <R> Flux<R> assemble(Flux<R> source) {
            return onAssembly(source);
        }

        @Override
        public void subscribe(CoreSubscriber<? super R> actual) {
            actual.onSubscribe(new LockScope<>(actual, acquirer, body, scheduler));
        }

        @Override
        @SuppressWarnings("rawtypes") // Reactor declares scanUnsafe(Attr) with the raw type
        public Object scanUnsafe(Attr key) {
            return key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC : key == Attr.RUN_ON ? scheduler : null;
        }
    }

    private static final class ScopedMono<G, R> extends Mono<R> implements Scannable {
        private final Acquirer<G> acquirer;
        private final Function<? super G, ? extends Mono<? extends R>> body;
        private final Scheduler scheduler;

        ScopedMono(Acquirer<G> acquirer, Function<? super G, ? extends Mono<? extends R>> body,
                   Scheduler scheduler) {
            this.acquirer = acquirer;
            this.body = body;
            this.scheduler = scheduler;
        }

        static <R> Mono<R> assemble(Mono<R> source) {
            return onAssembly(source);
        }

        @Override
        public void subscribe(CoreSubscriber<? super R> actual) {
            actual.onSubscribe(new LockScope<G, R>(actual, acquirer, body, scheduler));
        }

        @Override
        @SuppressWarnings("rawtypes") // Reactor declares scanUnsafe(Attr) with the raw type
        public Object scanUnsafe(Attr key) {
            return key == Attr.RUN_STYLE ? Attr.RunStyle.ASYNC : key == Attr.RUN_ON ? scheduler : null;
        }
    }

    private static final VarHandle STATE;
    private static final VarHandle HELD;
    private static final VarHandle BODY_CALL;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(LockScope.class, "state", int.class);
            HELD = l.findVarHandle(LockScope.class, "held", Object.class);
            BODY_CALL = l.findVarHandle(LockScope.class, "bodyCall", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
