package dev.turnstile.lock.park;

import dev.turnstile.lock.Fairness;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The parking core: one state word, one lazily created {@link WaitQueue}, and the only code in
 * Turnstile that waits, grants, cancels and applies fairness. Every lock extends it and supplies
 * three pure functions on its own bits of the state word; every front-end (blocking, virtual
 * thread, asynchronous) queues one {@link Waiter} node here.
 *
 * <h2>Implementation overview</h2>
 *
 * <h3>State word</h3>
 * One {@code int}. The top bit, {@link #PARKED}, belongs to the core and means "the wait queue is
 * not empty". The other 31 bits belong to the lock (a {@code LOCKED} bit, a reader count, …) and are
 * interpreted only by the lock's {@link #canAcquire}, {@link #acquired} and {@link #released}, which
 * the core calls with PARKED masked off. The word is read and compare-and-set through a VarHandle.
 *
 * <h3>Who changes what</h3>
 * <ul>
 *   <li>Lock bits: anyone, by compare-and-set. An acquisition that does not wait is one CAS and
 *       allocates nothing; a release with PARKED clear is one CAS.</li>
 *   <li>PARKED: only while holding the queue guard, and always in the same CAS as the queue change
 *       it describes becomes visible. Hence a release that sees PARKED clear may free the lock
 *       without looking at the queue: anyone about to park re-checks the lock under the guard after
 *       setting PARKED, and does not park if the lock was freed first (the lost-wake-up guard).</li>
 *   <li>Waiter status: see {@link Waiter}. It leaves WAITING only under the queue guard.</li>
 * </ul>
 *
 * <h3>Acquire</h3>
 * Try the CAS; a platform thread then spins briefly (bounded {@link Thread#onSpinWait()} rounds,
 * only while nobody is queued; never on a virtual thread, which would burn its carrier); then it
 * enqueues under the guard (set PARKED, re-check, link) and parks until its status leaves WAITING.
 * An asynchronous acquisition does the same without spinning or parking: its callback runs when
 * granted. Whether an arrival may take a free lock past queued waiters ("barge") is the fairness
 * policy's decision ({@link Fairness#FIFO} forbids it) and the lock's ({@link #bargesPastWaiters}).
 *
 * <h3>Release ("admission")</h3>
 * Under the guard, the releaser computes the lock bits after its release, then walks the queue from
 * the head admitting every waiter whose mode fits alongside those admitted before it (one writer, or
 * a run of readers), stopping at the first that does not fit. It then publishes the new lock bits
 * and PARKED in one CAS, retrying the whole computation if the word moved, and detaches the admitted
 * prefix. An admitted waiter is either
 * <ul>
 *   <li><em>granted</em> (hand-off): its mode is already in the published bits, so the lock passes
 *       to it without ever being free; or</li>
 *   <li><em>woken</em> (release and wake, thread waiters only): the lock is left free and the thread
 *       competes for it; if it loses to a barger it goes back to the front of the queue, and the
 *       barger's own release will admit it again.</li>
 * </ul>
 * The fairness policy picks between the two ({@link WaitQueue#shouldHandOff}); callback waiters are
 * always granted, since they have no thread to compete with. The admitted waiters are told after the
 * guard is released: threads are unparked, callbacks delivered through the trampoline or their
 * executor.
 *
 * <p>Every contended release wakes (or grants) the head, even while a thread woken earlier is still
 * on its way. Keeping the others parked until it arrives (one waker in flight, as AQS and Go do) was
 * measured 3x or more slower here in both forms tried: the queue then stays non-empty, PARKED stays
 * set, arrivals stop spinning and every release takes the slow path (docs/architecture.md).
 *
 * <h3>Cancel</h3>
 * Under the guard, CAS WAITING → CANCELLED and unlink. If the cancelled waiter was the head, an
 * admission runs without a release, because whoever stood behind it may fit now (readers behind a
 * writer that timed out). A cancel that finds the waiter no longer WAITING has lost to a grant: the
 * waiter owns (or is about to own) the lock and its front-end must use or release it.
 *
 * <h3>Requeue</h3>
 * A condition variable ({@link RawCondvar}) keeps its waiters, ordinary {@link Waiter} nodes, in a
 * {@link WaitQueue} of its own. Notifying moves them onto this lock's queue under this lock's guard
 * ({@link #requeue}), so they are admitted by this lock's releases like any waiter instead of all
 * waking to find the lock taken; only when the lock is free is the first of them woken.
 *
 * <h3>Queue jumpers</h3>
 * A mode for which {@link #jumpsQueue} answers {@code true} (a read lock's upgrade) ignores PARKED and
 * waits at the head of the queue, because what it waits for is already held by its own caller.
 *
 * <h3>Memory ordering</h3>
 * Every acquisition is a CAS (or a grant published by a CAS) and every release a CAS on the same
 * word, so each release happens-before the acquisition that observes it; a granted waiter sees its
 * status through a volatile read that follows the releaser's CAS.
 */
public abstract class RawLock {
    /** Set while the wait queue is non-empty; owned by the core. */
    protected static final int PARKED = 1 << 31;

    /** Outcome of a blocking acquisition: the mode is held. */
    protected static final int ACQUIRED = 0;
    /** Outcome of a blocking acquisition: the timeout elapsed; the waiter has left the queue. */
    protected static final int TIMED_OUT = 1;
    /** Outcome of a blocking acquisition: interrupted; the waiter has left the queue. */
    protected static final int INTERRUPTED = 2;

    /** Spin rounds before parking; round {@code r} spins {@code 2^r} times. */
    private static final int SPIN_ROUNDS = 7;

    private volatile int state;
    /** A {@link LockConfig} until the lock is first contended, a {@link WaitQueue} from then on. */
    private volatile Object queue;

    protected RawLock(LockConfig config) {
        this.queue = config;
    }

    // ---------------------------------------------------------------- the lock's part

    /** Whether {@code mode} may be acquired while the lock bits are {@code lockBits}. */
    protected abstract boolean canAcquire(int lockBits, int mode);

    /** The lock bits after {@code mode} is acquired; called only when {@link #canAcquire} holds. */
    protected abstract int acquired(int lockBits, int mode);

    /** The lock bits after one holder of {@code mode} releases. */
    protected abstract int released(int lockBits, int mode);

    /**
     * Whether an arrival in {@code mode} may take the lock past queued waiters when the fairness
     * policy allows barging at all. A read lock answers {@code false} for readers so that a queued
     * writer is not starved.
     */
    protected boolean bargesPastWaiters(int mode) {
        return true;
    }

    /**
     * Whether an arrival in {@code mode} ignores queued waiters whatever the fairness policy: it takes
     * the lock whenever {@link #canAcquire} allows, and if it must wait, it waits at the front of the
     * queue. For acquisitions that convert or extend a hold the caller already has (a read lock's
     * upgrade, a recursive read), which every queued waiter is waiting behind anyway: queued at the
     * back, they would wait for those waiters, which wait for them.
     */
    protected boolean jumpsQueue(int mode) {
        return false;
    }

    // ---------------------------------------------------------------- state word

    /** The whole state word: the lock's bits and {@link #PARKED}. */
    protected final int state() {
        return state;
    }

    /** One compare-and-set of the whole state word; for a lock's own fast paths. */
    protected final boolean casState(int expect, int update) {
        return STATE.compareAndSet(this, expect, update);
    }

    /** The lock's configuration. */
    public final LockConfig config() {
        Object q = queue;
        return q instanceof WaitQueue wq ? wq.config : (LockConfig) q;
    }

    // ---------------------------------------------------------------- acquire

    /**
     * One attempt without waiting.
     *
     * @param pastWaiters whether to take a free lock even though waiters are queued
     */
    protected final boolean tryAcquire(int mode, boolean pastWaiters) {
        for (;;) {
            int s = state;
            if ((s & PARKED) != 0 && !pastWaiters) {
                return false;
            }
            int bits = s & ~PARKED;
            if (!canAcquire(bits, mode)) {
                return false;
            }
            if (STATE.compareAndSet(this, s, acquired(bits, mode) | (s & PARKED))) {
                if ((s & PARKED) != 0) {
                    noteContendedHold(); // taken past waiters: time this hold for the long-hold rule
                }
                return true;
            }
        }
    }

    /** Whether an arrival in {@code mode} may barge under this lock's policy. */
    private boolean mayBarge(int mode) {
        return jumpsQueue(mode) || (config().fairness() != Fairness.FIFO && bargesPastWaiters(mode));
    }

    /**
     * Blocks the current thread until {@code mode} is acquired, the timeout elapses, or (if
     * {@code interruptible}) the thread is interrupted.
     *
     * @param timeoutNanos the longest wait, or a negative value for no limit
     * @return {@link #ACQUIRED}, {@link #TIMED_OUT} or {@link #INTERRUPTED}; on INTERRUPTED the
     *         interrupt status is cleared, otherwise an interrupt received while waiting is restored
     */
    protected final int acquireBlocking(int mode, boolean interruptible, long timeoutNanos) {
        return acquireBlocking(mode, interruptible, timeoutNanos, null, false);
    }

    /**
     * {@link #acquireBlocking(int, boolean, long)} reusing {@code node} if not {@code null}: a condition
     * waiter that was moved here and then released to compete ({@code woken}: it keeps its place at
     * the front if it loses), or one withdrawn from a condition queue that re-acquires from the back.
     */
    final int acquireBlocking(int mode, boolean interruptible, long timeoutNanos, ThreadWaiter node, boolean woken) {
        final boolean timed = timeoutNanos >= 0;
        final long deadline = timed ? System.nanoTime() + timeoutNanos : 0L;
        boolean interrupted = false;
        int spinRound = Thread.currentThread().isVirtual() ? SPIN_ROUNDS : 0;
        try {
            for (;;) {
                if (tryAcquire(mode, woken || mayBarge(mode))) {
                    return ACQUIRED;
                }
                if (!woken && spinRound < SPIN_ROUNDS && (state & PARKED) == 0) {
                    for (int i = 1 << spinRound++; i > 0; i--) {
                        Thread.onSpinWait();
                    }
                    continue;
                }
                if (interruptible && (interrupted || Thread.interrupted())) {
                    interrupted = false;
                    return INTERRUPTED;
                }
                if (timed && deadline - System.nanoTime() <= 0) {
                    return TIMED_OUT;
                }
                if (node == null) {
                    BlockingCheck.beforePark(this, waitQueue()); // may throw: nothing has changed yet
                    node = new ThreadWaiter(mode, Thread.currentThread());
                }
                if (!enqueue(node, woken)) {
                    continue;
                }
                woken = false;
                int st;
                while ((st = node.status()) < Waiter.GRANTED) {
                    if (timed) {
                        long remaining = deadline - System.nanoTime();
                        if (remaining <= 0) {
                            if (cancel(node)) {
                                return TIMED_OUT;
                            }
                            // Claimed: the releaser's signal sets the final status and unparks us.
                            // Never spin for it: a releasing virtual thread may be unmounted, and
                            // spinning here could hold the very carrier it needs to run again.
                            LockSupport.park(this);
                            if (Thread.interrupted()) {
                                interrupted = true;
                            }
                            continue;
                        }
                        LockSupport.parkNanos(this, remaining);
                    } else {
                        LockSupport.park(this);
                    }
                    if (Thread.interrupted()) {
                        interrupted = true;
                        if (interruptible && cancel(node)) {
                            interrupted = false;
                            return INTERRUPTED;
                        }
                    }
                }
                if (st == Waiter.GRANTED) {
                    return ACQUIRED;
                }
                woken = true; // WOKEN: compete once more, and keep our place if we lose
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Submits an asynchronous acquisition: {@code waiter}'s callback runs once the lock is granted,
     * at once (through the trampoline or its executor) if the lock is free.
     */
    protected final void acquireAsync(CallbackWaiter waiter) {
        waiter.bind(this);
        submitAsync(waiter);
    }

    /** {@link #acquireAsync} for a waiter already bound to this lock (a withdrawn condition waiter). */
    final void submitAsync(CallbackWaiter waiter) {
        for (;;) {
            if (tryAcquire(waiter.mode, mayBarge(waiter.mode))) {
                waiter.signal(this, Waiter.GRANTED);
                return;
            }
            if (enqueue(waiter, false)) {
                return;
            }
        }
    }

    /**
     * Whether the current thread is running granted callbacks through its trampoline right now. An
     * asynchronous front-end may complete an uncontended acquisition directly on the caller's stack,
     * without a {@link CallbackWaiter}, only when this is {@code false}: inside a delivery the grant
     * must go through the trampoline (via {@link #acquireAsync}) so that release chains stay flat.
     */
    protected static boolean isDeliveringGrants() {
        return Trampoline.isDraining();
    }

    /**
     * Links {@code w} into the queue and sets PARKED, unless the lock became available to it
     * meanwhile.
     *
     * @return {@code true} if queued; {@code false} if the caller should try to acquire again
     */
    private boolean enqueue(Waiter w, boolean atFront) {
        WaitQueue q = waitQueue();
        boolean barge = atFront || mayBarge(w.mode);
        q.lock();
        try {
            for (;;) {
                int s = state;
                if (canAcquire(s & ~PARKED, w.mode) && (barge || (s & PARKED) == 0)) {
                    return false;
                }
                if (STATE.compareAndSet(this, s, s | PARKED)) {
                    if (q.isEmpty()) {
                        q.holdStarted(); // the hold began no later than now
                    }
                    w.setStatus(Waiter.WAITING);
                    if (atFront && !jumpsQueue(w.mode)) {
                        q.linkAfter(leadingJumpers(q), w); // a woken waiter keeps its place, behind jumpers
                    } else {
                        q.link(w, atFront || jumpsQueue(w.mode));
                    }
                    return true;
                }
            }
        } finally {
            q.unlock();
        }
    }

    /**
     * Under the guard: the last of the queue-jumping waiters at the head of the queue, or {@code null}.
     * A woken waiter that lost its race goes back behind them, never in front: admission stops at the
     * first waiter that does not fit, and a jumper (an upgrade) stuck behind a waiter that its own
     * hold keeps out would never be admitted.
     */
    private Waiter leadingJumpers(WaitQueue q) {
        Waiter last = null;
        for (Waiter w = q.head(); w != null && jumpsQueue(w.mode); w = w.next) {
            last = w;
        }
        return last;
    }

    /** Records the start of a hold that began on a contended path, for the long-hold rule. */
    private void noteContendedHold() {
        if (queue instanceof WaitQueue q) {
            q.holdStarted();
        }
    }

    // ---------------------------------------------------------------- release

    /**
     * Releases one holder of {@code mode}.
     *
     * @param fair hand the lock to the longest waiter instead of letting arrivals barge
     */
    protected final void release(int mode, boolean fair) {
        for (;;) {
            int s = state;
            if ((s & PARKED) != 0) {
                releaseContended(mode, fair);
                return;
            }
            if (STATE.compareAndSet(this, s, released(s, mode))) {
                return;
            }
        }
    }

    private void releaseContended(int mode, boolean fairRequested) {
        WaitQueue q = (WaitQueue) queue;
        boolean handOff;
        Waiter admitted;
        q.lock();
        try {
            handOff = q.shouldHandOff(fairRequested);
            admitted = admit(q, true, mode, handOff);
        } finally {
            q.unlock();
        }
        signal(admitted, handOff);
    }

    /**
     * Under the guard: optionally releases {@code mode}, admits the longest prefix of the queue that
     * fits, and publishes the result in one CAS. Returns the detached (CLAIMED) admitted waiters.
     */
    private Waiter admit(WaitQueue q, boolean releasing, int mode, boolean handOff) {
        for (;;) {
            int s = state;
            int bits = s & ~PARKED;
            int published = releasing ? released(bits, mode) : bits; // what the admitted waiters hold
            int occupied = published;                                 // as if every admitted waiter held
            int count = 0;
            boolean granted = false;
            Waiter w = q.head();
            while (w != null && canAcquire(occupied, w.mode)) {
                occupied = acquired(occupied, w.mode);
                if (handOff || w instanceof CallbackWaiter) {
                    published = acquired(published, w.mode);
                    granted = true;
                }
                count++;
                w = w.next;
            }
            int update = w != null ? published | PARKED : published;
            if (STATE.compareAndSet(this, s, update)) {
                if (granted) {
                    q.holdStarted();
                }
                if (count > 0) {
                    q.countAdmission(handOff);
                }
                return q.detachFirst(count);
            }
        }
    }

    /** Outside the guard: tells each admitted waiter its final status. */
    private void signal(Waiter admitted, boolean handOff) {
        for (Waiter w = admitted, next; w != null; w = next) {
            next = w.next; // read before the status write frees the waiter to reuse its links
            w.next = null;
            w.signal(this, handOff || w instanceof CallbackWaiter ? Waiter.GRANTED : Waiter.WOKEN);
        }
    }

    // ---------------------------------------------------------------- requeue (condition variables)

    /**
     * Moves a chain of notified condition waiters (CLAIMED, linked through {@code next}) onto this
     * lock's queue, where the lock's own releases admit them one admission at a time, instead of waking
     * them all to find the lock taken. If the lock is free for the first of them, that one is not
     * queued but returned, for the caller to wake (a thread) or to signal as granted (a callback, to
     * which this method has already given the lock); it will hold and then release the lock, and that
     * release admits the rest, so queueing them behind a free lock loses no wake-up.
     *
     * @return the waiter to signal ({@link Waiter#WOKEN} for a thread, {@link Waiter#GRANTED} for a
     *         callback), or {@code null} if all were queued
     */
    final Waiter requeue(Waiter chain) {
        WaitQueue q = waitQueue();
        q.lock();
        try {
            for (;;) {
                int s = state;
                int bits = s & ~PARKED;
                boolean free = canAcquire(bits, chain.mode);
                Waiter rest = free ? chain.next : chain;
                int update = s;
                if (free && chain instanceof CallbackWaiter) {
                    update = acquired(bits, chain.mode) | (s & PARKED);
                }
                if (rest != null) {
                    update |= PARKED;
                }
                if (update == s || STATE.compareAndSet(this, s, update)) {
                    if (rest != null && q.isEmpty()) {
                        q.holdStarted(); // as in enqueue: the hold began no later than now
                    }
                    for (Waiter w = rest, next; w != null; w = next) {
                        next = w.next;
                        w.setStatus(Waiter.WAITING);
                        q.link(w, false);
                    }
                    if (free) {
                        chain.next = null;
                        return chain;
                    }
                    return null;
                }
            }
        } finally {
            q.unlock();
        }
    }

    // ---------------------------------------------------------------- cancel

    /**
     * Withdraws {@code w} if it is still waiting.
     *
     * @return {@code true} if withdrawn; {@code false} if a grant or wake-up won the race
     */
    final boolean cancel(Waiter w) {
        if (!(queue instanceof WaitQueue q)) {
            return false;
        }
        Waiter admitted;
        q.lock();
        try {
            if (!w.casStatus(Waiter.WAITING, Waiter.CANCELLED)) {
                return false;
            }
            boolean wasHead = q.head() == w;
            q.unlink(w);
            admitted = wasHead ? admit(q, false, 0, true) : null;
        } finally {
            q.unlock();
        }
        signal(admitted, true);
        return true;
    }

    // ---------------------------------------------------------------- queue and introspection

    /** The wait queue, created on first use. */
    protected final WaitQueue waitQueue() {
        Object q = queue;
        if (q instanceof WaitQueue wq) {
            return wq;
        }
        WaitQueue created = new WaitQueue((LockConfig) q);
        Object witness = QUEUE.compareAndExchange(this, q, created);
        return witness == q ? created : (WaitQueue) witness;
    }

    /**
     * Per-lock side state kept in the wait queue (created if needed), so the lock needs no field for
     * it. Pass a non-capturing factory (a static method reference) and the call allocates nothing
     * once the attachment exists.
     */
    protected final <A> A attachment(Function<RawLock, A> factory) {
        return waitQueue().attachment(this, factory);
    }

    /** The wait queue if the lock has ever needed one, else {@code null}; for introspection. */
    public final WaitQueue waitQueueIfPresent() {
        return queue instanceof WaitQueue q ? q : null;
    }

    /** The number of queued waiters (an estimate unless the lock is quiescent). */
    public final int queueLength() {
        return queue instanceof WaitQueue q ? q.size() : 0;
    }

    /** Whether any waiter is queued. */
    public final boolean hasQueuedWaiters() {
        return (state & PARKED) != 0;
    }

    private static final VarHandle STATE;
    private static final VarHandle QUEUE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(RawLock.class, "state", int.class);
            QUEUE = l.findVarHandle(RawLock.class, "queue", Object.class);
            // Initialize what the first contention needs now, not then: a virtual thread that waits
            // for a class initializer pins its carrier (JFR: "Waited for initialization of …").
            l.ensureInitialized(WaitQueue.class);
            l.ensureInitialized(ThreadWaiter.class);
            l.ensureInitialized(Trampoline.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
