package dev.turnstile.lock.park;

import dev.turnstile.lock.Fairness;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * The FIFO of one lock's waiters, and the lock's fairness state. Created the first time the lock is
 * contended (or needs side state, such as a {@code java.util.concurrent.locks.Lock} view), then kept
 * for the lock's life; an uncontended lock never allocates one.
 *
 * <h2>The guard</h2>
 * A small test-and-test-and-set spin lock, held only for O(1) list surgery and the bookkeeping of a
 * single admission: never while parking, never while running a callback or any user code. A holder
 * can therefore only be delayed by preemption, which is why contenders fall back from
 * {@link Thread#onSpinWait()} to {@link Thread#yield()} after a few rounds. A thread that must not
 * block (a Reactor non-blocking thread, a Vert.x event loop: see {@code BlockingCalls}) does neither:
 * it re-reads the guard, as a compare-and-set retry loop would, since the holder is running O(1)
 * code. (A {@code synchronized} block would pin a virtual thread's carrier on JDK 21; a
 * {@code ReentrantLock} would be a lock inside the lock.)
 *
 * <h2>What it holds</h2>
 * <ul>
 *   <li>the doubly linked list of WAITING {@link Waiter}s, {@code head} first;</li>
 *   <li>{@code size}, readable without the guard for introspection;</li>
 *   <li>the {@link Fairness#EVENTUAL} timer ({@code nextTimedHandOff}) and when the current head
 *       armed, that is began waiting for a release to act for it ({@code armedSince}), read only
 *       for a thread at the head (a callback head is always granted), so stamped only while a
 *       thread is queued ({@code threadWaiters});</li>
 *   <li>the head a release has just woken in place, between the admission and the unpark;</li>
 *   <li>counters of hand-offs and wake-ups, for tests and diagnostics;</li>
 *   <li>one attachment slot for per-lock side state that must not cost an uncontended lock a field;</li>
 *   <li>the lock's {@link LockProbe} while the core records its acquisitions (statistics, JFR).</li>
 * </ul>
 *
 * <h2>What code outside the core may do</h2>
 * Read it: {@link #size()}, {@link #handOffs()}, {@link #wakeUps()} and {@link #config()} are safe
 * from any thread (the counters take the guard briefly; {@code size} is a volatile read). Everything
 * that changes the queue belongs to {@link RawLock}. Obtain it with
 * {@link RawLock#waitQueueIfPresent()}.
 */
public final class WaitQueue {
    final LockConfig config;

    private volatile int guard;
    private volatile Waiter head;
    private Waiter tail;
    private volatile int size;

    /**
     * When the head last armed (set SIGNAL, or was queued armed); fairness clock; guarded.
     * {@link #UNSTAMPED} while no thread is queued: the clock is read only when it matters. Invariant:
     * while {@link #threadWaiters} is positive it is a real reading ({@link #link} stamps the first
     * thread to queue, {@link #armed} stamps whenever a thread is queued).
     */
    long armedSince;
    /** How many queued waiters are threads ({@link ThreadWaiter}); guarded. */
    private int threadWaiters;
    /** When the EVENTUAL timer next forces a hand-off; fairness clock; guarded. */
    private long nextTimedHandOff;
    /** A head just woken in place, for the releaser to unpark once the guard is free; guarded. */
    private Waiter woken;

    private long handOffs;
    private long wakeUps;

    private volatile Object attachment;
    /** Set once the lock is profiled ({@link Diagnostics}); never removed. */
    private volatile LockProbe probe;
    /** Set once a blocking call on a thread that must not block was reported for this lock. */
    private volatile boolean blockingWarned;

    /** {@link #armedSince} while no thread is queued; {@link #stamp()} never returns it. */
    private static final long UNSTAMPED = Long.MIN_VALUE;

    WaitQueue(LockConfig config) {
        this.config = config;
        this.armedSince = UNSTAMPED; // nobody queued yet
        this.nextTimedHandOff = config.clock().nanoTime() + randomInterval();
    }

    // ---- the guard

    void lock() {
        if (!GUARD.compareAndSet(this, 0, 1)) {
            lockContended();
        }
    }

    private void lockContended() {
        boolean mayPause = !BlockingCheck.onNonBlockingThread();
        int spins = 0;
        do {
            while (guard != 0) {
                if (!mayPause) {
                    continue; // re-read only: no hint, no yield on a thread that must not block
                }
                if (++spins < 64) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
        } while (!GUARD.compareAndSet(this, 0, 1));
    }

    void unlock() {
        GUARD.setRelease(this, 0);
    }

    // ---- the list (guarded)

    /**
     * The first waiter. Exact under the guard; volatile so that a barging decision may read a
     * snapshot of it without the guard ({@code RawLock.bargesPastQueue}).
     */
    Waiter head() {
        return head;
    }

    boolean isEmpty() {
        return head == null;
    }

    /** Appends {@code w}, or puts it first (a queue jumper). */
    void link(Waiter w, boolean atFront) {
        if (head == null) {
            w.prev = w.next = null;
            head = tail = w;
        } else if (atFront) {
            w.prev = null;
            w.next = head;
            head.prev = w;
            head = w;
        } else {
            w.next = null;
            w.prev = tail;
            tail.next = w;
            tail = w;
        }
        size = size + 1;
        if (w instanceof ThreadWaiter) {
            threadWaiters++;
            if (armedSince == UNSTAMPED) {
                armedSince = stamp(); // behind callbacks only: the first thread is timed from its arrival
            }
        }
        LockProbe p = probe;
        if (p != null && p.statistics != null) {
            p.statistics.queued(size);
        }
    }

    void unlink(Waiter w) {
        Waiter p = w.prev;
        Waiter n = w.next;
        if (p == null) {
            head = n;
        } else {
            p.next = n;
        }
        if (n == null) {
            tail = p;
        } else {
            n.prev = p;
        }
        w.prev = w.next = null;
        size = size - 1;
        if (w instanceof ThreadWaiter) {
            threadWaiters--;
        }
    }

    /**
     * Detaches the first {@code count} waiters, marks them CLAIMED and returns the first of them; the
     * detached waiters stay chained through {@code next}, the last one's being {@code null}.
     */
    Waiter detachFirst(int count) {
        if (count == 0) {
            return null;
        }
        Waiter first = head;
        Waiter last = first;
        last.setStatus(Waiter.CLAIMED);
        int threads = first instanceof ThreadWaiter ? 1 : 0;
        for (int i = 1; i < count; i++) {
            last = last.next;
            last.setStatus(Waiter.CLAIMED);
            threads += last instanceof ThreadWaiter ? 1 : 0;
        }
        threadWaiters -= threads;
        head = last.next;
        if (head == null) {
            tail = null;
        } else {
            head.prev = null;
        }
        last.next = null;
        size = size - count;
        return first;
    }

    // ---- fairness (guarded)

    /**
     * Decides how the admission now under way treats a thread at the head of the waiters that fit
     * (alone, or with readers behind it): {@code true} to hand the lock over to all of them,
     * {@code false} to wake that thread alone in place (it lets the next in once it holds). Under
     * {@link Fairness#EVENTUAL} it hands over when the head has been armed for longer than the
     * long-hold threshold (a hold, or a run of holds, kept it waiting that long), or when the timer
     * has fired, which it then re-arms.
     */
    boolean shouldHandOff() {
        Fairness fairness = config.fairness();
        if (fairness == Fairness.FIFO) {
            return true;
        }
        if (fairness == Fairness.BARGING) {
            return false;
        }
        long now = config.clock().nanoTime();
        if (now - armedSince > config.longHoldNanos()) { // stamped: a thread heads, so threads are queued
            return true;
        }
        if (now - nextTimedHandOff >= 0) {
            nextTimedHandOff = now + randomInterval();
            return true;
        }
        return false;
    }

    /** Uniform in [0, 2 × mean): the timer fires on average every {@code handOffMeanNanos}. */
    private long randomInterval() {
        return ThreadLocalRandom.current().nextLong(2 * config.handOffMeanNanos());
    }

    /**
     * Records that the head armed now: from here it waits for a release to act for it. Only a thread's
     * wait decides anything ({@link #shouldHandOff}), so with no thread queued this reads no clock,
     * which in a run of asynchronous grants would be one read per release; a thread queued behind
     * callbacks is timed from the last arming (or its arrival) and keeps that time when the callbacks
     * ahead of it are granted or withdrawn.
     */
    void armed() {
        armedSince = threadWaiters > 0 ? stamp() : UNSTAMPED;
    }

    /** The clock now, never {@link #UNSTAMPED}: a clock may read {@code Long.MIN_VALUE} (only differences count). */
    private long stamp() {
        long now = config.clock().nanoTime();
        return now == UNSTAMPED ? now + 1 : now;
    }

    /** Records the head just woken in place; the releaser unparks it once the guard is free. */
    void wake(Waiter head) {
        woken = head;
    }

    /** The head woken by the admission just made, if any; clears it. */
    Waiter takeWoken() {
        Waiter w = woken;
        woken = null;
        return w;
    }

    void countAdmission(boolean handOff) {
        if (handOff) {
            handOffs++;
        } else {
            wakeUps++;
        }
    }

    // ---- introspection (any thread)

    /**
     * The number of queued waiters.
     *
     * @return exact while the lock is quiescent, a recent value otherwise
     */
    public int size() {
        return size;
    }

    /**
     * Contended releases (and cancellations) that handed the lock straight to waiters, counting each
     * admission once however many waiters it admitted.
     *
     * @return the count since the queue was created
     */
    public long handOffs() {
        lock();
        try {
            return handOffs;
        } finally {
            unlock();
        }
    }

    /**
     * Contended releases that freed the lock and woke the head of the queue to compete for it.
     *
     * @return the count since the queue was created
     */
    public long wakeUps() {
        lock();
        try {
            return wakeUps;
        } finally {
            unlock();
        }
    }

    /**
     * The configuration of the lock this queue belongs to.
     *
     * @return the lock's settings
     */
    public LockConfig config() {
        return config;
    }

    /** The attachment, created by {@code factory} on first use; at most one is ever installed. */
    @SuppressWarnings("unchecked")
    <A> A attachment(RawLock lock, Function<RawLock, A> factory) {
        Object a = attachment;
        if (a == null) {
            A created = factory.apply(lock);
            a = ATTACHMENT.compareAndExchange(this, null, created);
            if (a == null) {
                a = created;
            }
        }
        return (A) a;
    }

    /** The lock's diagnostic side state, or {@code null} if it has never been profiled. */
    LockProbe probe() {
        return probe;
    }

    /** Installs {@code p} unless a probe is already there; at most one ever is. */
    void installProbe(LockProbe p) {
        PROBE.compareAndSet(this, null, p);
    }

    /** {@code true} only for the first caller: the once-per-lock warning of {@link BlockingCheck}. */
    boolean markBlockingWarned() {
        return !blockingWarned && BLOCKING_WARNED.compareAndSet(this, false, true);
    }

    private static final VarHandle GUARD;
    private static final VarHandle ATTACHMENT;
    private static final VarHandle BLOCKING_WARNED;
    private static final VarHandle PROBE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            GUARD = l.findVarHandle(WaitQueue.class, "guard", int.class);
            ATTACHMENT = l.findVarHandle(WaitQueue.class, "attachment", Object.class);
            BLOCKING_WARNED = l.findVarHandle(WaitQueue.class, "blockingWarned", boolean.class);
            PROBE = l.findVarHandle(WaitQueue.class, "probe", LockProbe.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
