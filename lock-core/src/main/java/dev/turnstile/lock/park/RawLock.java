package dev.turnstile.lock.park;

import dev.turnstile.lock.Fairness;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.AbstractOwnableSynchronizer;
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
 * One {@code int}. The three top bits belong to the core; the other 29 belong to the lock (a
 * {@code LOCKED} bit, a reader count, …) and are interpreted only by the lock's {@link #canAcquire},
 * {@link #acquired} and {@link #released}, which the core calls with the core bits masked off.
 * <pre>
 *   bit 31  QUEUED   the wait queue is not empty
 *   bit 30  SIGNAL   the head of the queue needs a release to act for it: it is a parked thread or a
 *                    callback. Clear while the queue is empty, and while the head is the one thread
 *                    that a release woke "in place" and that has not re-armed yet
 *   bit 29  PROFILED the core records this lock's acquisitions and holds (statistics, JFR; see
 *                    {@link Diagnostics}). A lock's fast paths compare-and-set from exact words with
 *                    no core bit, so on a profiled lock they fail and take the core's paths
 * </pre>
 * Invariant, whenever the queue's guard is free: the queue is non-empty exactly when QUEUED is set;
 * and if it is non-empty, either SIGNAL is set and the head is WAITING, or SIGNAL is clear and the
 * head is that woken thread (status WOKEN), still linked, running. At most one waiter is in flight.
 *
 * <h3>Who changes what</h3>
 * <ul>
 *   <li>Lock bits: anyone, by compare-and-set, carrying the core bits unchanged. An acquisition
 *       that does not wait is one CAS and allocates nothing.</li>
 *   <li>QUEUED and SIGNAL: only while holding the queue guard, in the same CAS as the lock-bit
 *       change that goes with them (a release, a grant) or on a word where the head cannot acquire
 *       (arming). The one exception is a release that clears SIGNAL (below), which takes the guard.</li>
 *   <li>PROFILED: set by any CAS that keeps every other bit (a contended arrival, or at construction);
 *       cleared only by an uncontended release, in its own CAS, once nothing wants it. Every other
 *       CAS carries it unchanged.</li>
 *   <li>Waiter status: see {@link Waiter}. A linked waiter's status changes only under the guard;
 *       a WOKEN head's status only by its own thread.</li>
 * </ul>
 *
 * <h3>Release</h3>
 * SIGNAL clear: one CAS that frees the lock bits and nothing else, whether or not anyone is queued:
 * the queue is empty, or its head is a woken thread on its way, which will take the lock or re-arm.
 * This is what keeps releases cheap under contention (AQS and Go's mutex do the same: at most one
 * woken waiter in flight, and releases touch nothing while it is). SIGNAL set: under the guard,
 * either hand the lock to the longest prefix of the queue that fits ({@link #admit}: a callback head,
 * {@code unlockFair}, {@link Fairness#FIFO}, or a due fairness rule of {@link Fairness#EVENTUAL}),
 * publishing the new holders and the core bits in one CAS; or, for a thread head, free the lock and
 * clear SIGNAL in one CAS and unpark the head alone, which stays linked. Readers queued behind a
 * reader head are not handed holds then either: a hold granted to a parked thread keeps the lock
 * taken until the scheduler runs that thread, and on a loaded machine a writer would wait for every
 * one of them while more readers queue behind it. Each woken reader lets the next in instead (below).
 * A lock's own fast path may make the SIGNAL-clear release itself ({@code Mutex} does: one CAS that
 * expects the word its acquisition left, queued or not).
 *
 * <h3>Arrival</h3>
 * Try the CAS (barging past queued waiters if the fairness policy and the lock allow it); a
 * platform thread then spins briefly, only while nothing is queued (a virtual thread never spins: it
 * would burn its carrier); then, under the guard, it links itself at the tail. The first waiter of
 * an empty queue arms: it sets QUEUED and SIGNAL in one CAS on a word where it cannot acquire, so a
 * release either sees SIGNAL or its CAS fails first (the lost-wake-up argument of AQS and Go, on one
 * word). Joining a non-empty queue needs no SIGNAL change: the head is armed, or is in flight and
 * will arm or leave (and then arm the next head) under the guard, which sees the new waiter.
 * An asynchronous acquisition does the same without spinning or parking: its callback runs when
 * granted.
 *
 * <h3>Queued</h3>
 * Only the head competes; the others stay parked. A woken head retries with growing spin rounds
 * (1, 3, 7 … 255 {@link Thread#onSpinWait()} calls on a platform thread; one {@link Thread#yield()}
 * on a virtual thread). If it takes the lock it unlinks itself under the guard and acts for the
 * next head as a release would: arms it, or, if it is a thread that fits beside the new hold (a
 * reader behind a reader), wakes it in place in its turn, so that a queue of readers drains as a
 * chain of wake-ups, each reader letting the next in (AQS's readers propagate the same way), unless
 * the fairness policy hands the rest over at once. If it cannot take the lock it re-arms (sets
 * SIGNAL under the guard on a word where it cannot acquire) and parks.
 *
 * <h3>Cancel</h3>
 * Under the guard, CAS WAITING (or the canceller's own WOKEN) → CANCELLED and unlink. If the
 * cancelled waiter was the head, an admission runs without a release, because whoever stood behind
 * it may fit now (readers behind a writer that timed out), and the next head is armed. A cancel that
 * finds the waiter CLAIMED or GRANTED has lost to a grant: the waiter owns (or is about to own) the
 * lock and its front-end must use or release it.
 *
 * <h3>Requeue</h3>
 * A condition variable ({@link RawCondvar}) keeps its waiters, ordinary {@link Waiter} nodes, in a
 * {@link WaitQueue} of its own. Notifying moves them onto this lock's queue under this lock's guard
 * ({@link #requeue}), so they are admitted by this lock's releases like any waiter instead of all
 * waking to find the lock taken; only when the lock is free is the first of them woken (or granted).
 *
 * <h3>Queue jumpers</h3>
 * A mode for which {@link #jumpsQueue} answers {@code true} (a read lock's upgrade) ignores QUEUED
 * and waits at the head of the queue, because what it waits for is already held by its own caller.
 *
 * <h3>Memory ordering</h3>
 * Every acquisition is a CAS (or a grant published by a CAS) and every release a CAS on the same
 * word, so each release happens-before the acquisition that observes it; a granted waiter sees its
 * status through a volatile read that follows the releaser's CAS.
 *
 * <h3>Owners the JVM can see</h3>
 * The lock is an {@link AbstractOwnableSynchronizer}, which is how the JVM's own tools find the owner
 * of a park blocker: {@code jstack -l} ("Locked ownable synchronizers", "Found one Java-level
 * deadlock"), {@code ThreadMXBean.findDeadlockedThreads()} and {@code ThreadInfo.getLockOwnerName()}.
 * A thread that takes an exclusive hold ({@link #exclusive}) records itself as the owner with one
 * plain store after its acquiring CAS, and every release of an exclusive hold clears it with one plain
 * store before its releasing CAS, so the record never outlives the hold. Asynchronous acquisitions
 * record no thread (no thread owns what a task holds), nor do shared holds (readers). A guard used on
 * another thread moves the record there ({@link #takenOverByCurrentThread(HeldLocks, int)}).
 *
 * <h3>Diagnostics for tracked locks</h3>
 * A lock built with a rank, or under deadlock detection, carries a {@link LockTracking}; its
 * acquisitions are checked against, and recorded in, their acquirer's {@link HeldLocks}, and a thread
 * waiting for it records its wait there for {@link DeadlockSearch}. An untracked lock reads the
 * {@code tracking} field and does nothing more.
 *
 * <h2>Contract for subclasses</h2>
 * A lock type extends this class (the JDK's {@code AbstractQueuedSynchronizer} plays the same role,
 * but is held in a field; extending keeps an unlocked lock one object). It implements
 * {@link #canAcquire}, {@link #acquired} and {@link #released} as pure functions of the lock bits
 * and a <em>mode</em> (an {@code int} of its own choosing: exclusive, shared, …), optionally
 * overrides the barging rules ({@link #bargesPastWaiters}, {@link #bargesPastHead},
 * {@link #jumpsQueue}), and calls the final acquire and release methods. Every method here is
 * thread-safe. A subclass must:
 * <ul>
 *   <li>never change the {@link #CORE_BITS} itself: a fast path may
 *       {@link #casState compare-and-set} the state word only from a value whose core bits it
 *       carries over unchanged ({@link #casLockBits} and {@link #exchangeLockBits} do that by
 *       construction). The simplest fast path is {@code casState(0, HELD)}, which cannot succeed
 *       while anyone is queued or while the lock is {@link #PROFILED}: then the core's paths do the
 *       work and record it. A fast path may also act with waiters queued, exactly as the core would:
 *       acquire from a word whose only core bits are QUEUED and SIGNAL if
 *       {@link #bargesPastQueue} allows it, and release with one CAS from a word with SIGNAL and
 *       PROFILED clear (see "Release" above); {@code Mutex} does both, because under contention the
 *       queue is rarely empty;</li>
 *   <li>call {@link #release} exactly once per acquisition that succeeded, in the mode that
 *       acquired (any thread may release: the owner thread the core records for the JVM's tools is
 *       a diagnostic, not a permission);</li>
 *   <li>keep the three functions free of side effects and of blocking: they run under the queue's
 *       guard, possibly several times per decision, on whichever thread is admitting waiters.</li>
 * </ul>
 * A <em>transition</em> mode (a downgrade) is a mode that is only ever released: {@link #released}
 * maps the bits of one hold to those of another, and the release admits whoever fits the new bits.
 *
 * @serial exclude
 */
@SuppressWarnings("serial") // an AbstractOwnableSynchronizer for the JVM's tools, never serialized (writeObject)
public abstract class RawLock extends AbstractOwnableSynchronizer {
    /** Bit 31 of the state word, set while the wait queue is non-empty; owned by the core. */
    protected static final int QUEUED = 1 << 31;
    /** Bit 30 of the state word, set while the head of the queue needs a release to act for it; owned by the core. */
    protected static final int SIGNAL = 1 << 30;
    /** Bit 29 of the state word, set while the core records this lock's acquisitions and holds ({@link Diagnostics}); owned by the core. */
    protected static final int PROFILED = 1 << 29;
    /** The core's bits ({@link #QUEUED} | {@link #SIGNAL} | {@link #PROFILED}); a lock's own bits are the other 29. */
    protected static final int CORE_BITS = QUEUED | SIGNAL | PROFILED;

    /** Outcome of a blocking acquisition: the mode is held. */
    protected static final int ACQUIRED = 0;
    /** Outcome of a blocking acquisition: the timeout elapsed; the waiter has left the queue. */
    protected static final int TIMED_OUT = 1;
    /** Outcome of a blocking acquisition: interrupted; the waiter has left the queue. */
    protected static final int INTERRUPTED = 2;
    /** Internal: a woken head re-armed and must park again. */
    private static final int PARK_AGAIN = -1;

    // How an admission chooses between handing the lock over and waking a thread head in place.
    /** Always hand over ({@code unlockFair}, or a cancelled head letting in whoever fits behind it). */
    private static final int HAND_OFF = 0;
    /** Ask the fairness policy ({@link WaitQueue#shouldHandOff}) once it matters. */
    private static final int BY_POLICY = 1;

    /** Spin rounds of an arriving platform thread before it queues; round {@code r} spins {@code 2^r} times. */
    private static final int ARRIVAL_SPIN_ROUNDS = 7;
    /** The longest spin round of a woken head: rounds of 1, 3, 7 … this many {@code onSpinWait} calls. */
    private static final int HEAD_SPIN_LIMIT = 255;

    private volatile int state;
    /** A {@link LockConfig} until the lock is first contended, a {@link WaitQueue} from then on. */
    private volatile Object queue;
    /**
     * Rank and deadlock-detection settings, or {@code null} for an untracked lock. With the owner field
     * inherited from {@link AbstractOwnableSynchronizer}, this fills what would be padding: an unlocked
     * {@code Mutex} is 32 bytes with or without it.
     */
    private final LockTracking tracking;

    /**
     * An unlocked lock (state word 0) with no wait queue yet, tracked if deadlock detection is on
     * for every lock.
     *
     * @param config the lock's settings, not null; usually shared by many locks (see
     *               {@link LockConfig#DEFAULT})
     */
    protected RawLock(LockConfig config) {
        this(config, null);
    }

    /**
     * A lock with the given settings and diagnostic settings.
     *
     * @param config   the lock's settings
     * @param tracking its rank and tracking, or {@code null} for the default ({@link LockTracking#byDefault()})
     */
    protected RawLock(LockConfig config, LockTracking tracking) {
        if (config.statistics()) {
            this.queue = Diagnostics.queueWithStatistics(config);
            this.state = PROFILED;
        } else {
            this.queue = config;
        }
        this.tracking = tracking != null ? tracking : LockTracking.byDefault();
    }

    // ---------------------------------------------------------------- the lock's part

    /**
     * Whether {@code mode} may be acquired while the lock bits are {@code lockBits}. Pure: called
     * under the queue's guard, possibly more than once per decision.
     *
     * @param lockBits the lock's 29 bits of the state word (the core bits masked off)
     * @param mode     the mode a waiter or an arrival asks for
     * @return {@code true} if {@code mode} fits beside the holds that {@code lockBits} describe
     */
    protected abstract boolean canAcquire(int lockBits, int mode);

    /**
     * The lock bits after {@code mode} is acquired. Pure; called only when {@link #canAcquire}
     * holds for the same arguments.
     *
     * @param lockBits the lock bits before the acquisition
     * @param mode     the mode acquired
     * @return the lock bits with one more holder of {@code mode}; the {@link #CORE_BITS} must be 0 (a
     *         result with one of them set is refused: the state word is left unchanged and
     *         {@link IllegalStateException} reaches the thread that acquires or admits)
     */
    protected abstract int acquired(int lockBits, int mode);

    /**
     * The lock bits after one holder of {@code mode} releases (or, for a transition mode, after one
     * hold is turned into another). Pure. It may throw to refuse a release that the bits cannot
     * express (the state word is then left unchanged and the exception reaches the releaser).
     *
     * @param lockBits the lock bits before the release
     * @param mode     the mode released, or a transition mode
     * @return the lock bits after the release; the {@link #CORE_BITS} must be 0 (a result with one
     *         of them set, such as a count taken below zero, is refused as if this method had thrown
     *         {@link IllegalStateException})
     */
    protected abstract int released(int lockBits, int mode);

    /**
     * Whether an arrival in {@code mode} may take the lock past queued waiters when the fairness
     * policy allows barging at all. A read lock answers {@code false} for readers so that a queued
     * writer is not starved. The default answers {@code true}.
     *
     * @param mode the arrival's mode
     * @return whether it may barge past queued waiters
     */
    protected boolean bargesPastWaiters(int mode) {
        return true;
    }

    /**
     * Whether an arrival in {@code mode} ignores queued waiters whatever the fairness policy: it takes
     * the lock whenever {@link #canAcquire} allows, and if it must wait, it waits at the front of the
     * queue. For acquisitions that convert or extend a hold the caller already has (a read lock's
     * upgrade, a recursive read), which every queued waiter is waiting behind anyway: queued at the
     * back, they would wait for those waiters, which wait for them. The default answers
     * {@code false}.
     *
     * @param mode the arrival's mode
     * @return whether it ignores queued waiters and waits at the front
     */
    protected boolean jumpsQueue(int mode) {
        return false;
    }

    /**
     * Whether the lock bits {@code lockBits} (of a held lock) mean one exclusive holder: the holds whose
     * duration diagnostics time (statistics and the long-hold JFR event). {@code false} by default.
     *
     * @param lockBits the lock bits of a held lock
     * @return whether they describe one exclusive hold
     */
    protected boolean heldExclusively(int lockBits) {
        return false;
    }

    /**
     * Whether holding {@code mode} (or releasing it) is an exclusive hold that a thread owns in the
     * JVM's eyes ({@link AbstractOwnableSynchronizer}): a mutex's lock, a read lock's write lock, and
     * the transitions that end one (a downgrade). Shared holds have no single owner.
     *
     * @param mode a mode, or a transition mode, of this lock
     * @return whether it is an exclusive hold; {@code false} by default
     */
    protected boolean exclusive(int mode) {
        return false;
    }

    /**
     * Whether an acquirer that holds this lock as {@code heldKind} may acquire it again in
     * {@code mode} without waiting for itself (a read lock's recursive read). Rank checks let such an
     * acquisition through.
     *
     * @param heldKind the mode the acquirer holds the lock in
     * @param mode     the mode it asks for now
     * @return whether that is a re-entry that cannot wait for itself; {@code false} by default
     */
    protected boolean reentrant(int heldKind, int mode) {
        return false;
    }

    /**
     * What {@code mode} (or a hold kind) is called in diagnostics (JFR events, deadlock reports).
     *
     * @param mode a mode of this lock
     * @return its name; {@code "exclusive"} by default
     */
    protected String modeName(int mode) {
        return "exclusive";
    }

    // ---------------------------------------------------------------- state word

    /**
     * The whole state word (a volatile read): the lock's bits and the core's.
     *
     * @return the state word
     */
    protected final int state() {
        return state;
    }

    /**
     * One compare-and-set of the whole state word (volatile semantics), for a lock's own fast
     * paths. {@code update} must carry {@code expect}'s {@link #CORE_BITS} unchanged.
     *
     * @param expect the word the caller read
     * @param update the word to publish
     * @return whether the word was {@code expect} and is now {@code update}
     * @throws IllegalArgumentException if {@code update} differs from {@code expect} in a core bit
     *                                  (the word is left unchanged)
     */
    protected final boolean casState(int expect, int update) {
        // Enforced, not only documented: a lock type that set QUEUED or SIGNAL here (or cleared one)
        // would leave the core believing in a queue that does not exist, or forgetting one that does,
        // and every later waiter would park forever. The lock types' own fast paths pass constants,
        // for which the JIT folds this check away.
        if (((expect ^ update) & CORE_BITS) != 0) {
            throw new IllegalArgumentException(getClass().getName() + " tried to change the core bits of the state word: "
                    + Integer.toHexString(expect) + " -> " + Integer.toHexString(update));
        }
        return STATE.compareAndSet(this, expect, update);
    }

    /**
     * {@link #casLockBits} that returns the word it found instead of whether it succeeded, so that a
     * fast path that expected the wrong word (a waiter queued meanwhile) can try again from the word
     * it found without reading it.
     *
     * @param expect   the word the caller expects
     * @param lockBits the lock bits to publish; no core bit
     * @return the word found; it now holds {@code lockBits} if it equals {@code expect}
     * @throws IllegalArgumentException as {@link #casLockBits}
     */
    protected final int exchangeLockBits(int expect, int lockBits) {
        if ((lockBits & CORE_BITS) != 0) {
            throw coreBitsRefused(lockBits);
        }
        return (int) STATE.compareAndExchange(this, expect, expect & CORE_BITS | lockBits);
    }

    /**
     * One compare-and-set that replaces the lock bits of {@code seen} with {@code lockBits} and
     * carries its core bits over: {@link #casState} for a fast path that read the word.
     *
     * @param seen     the word the caller read
     * @param lockBits the lock bits to publish; no core bit
     * @return whether the word was {@code seen} and now holds {@code lockBits}
     * @throws IllegalArgumentException if {@code lockBits} has a core bit (the word is left unchanged)
     */
    protected final boolean casLockBits(int seen, int lockBits) {
        if ((lockBits & CORE_BITS) != 0) { // folded away for the constants the fast paths pass
            throw coreBitsRefused(lockBits);
        }
        return STATE.compareAndSet(this, seen, seen & CORE_BITS | lockBits);
    }

    private IllegalArgumentException coreBitsRefused(int lockBits) {
        return new IllegalArgumentException(getClass().getName() + " tried to set core bits of the state word: "
                + Integer.toHexString(lockBits));
    }

    /** The core's own compare-and-set of the whole word, core bits included (setting PROFILED). */
    final boolean casWord(int expect, int update) {
        return STATE.compareAndSet(this, expect, update);
    }

    /**
     * A lock type's {@link #acquired} or {@link #released} result, checked before it is published: the
     * core ORs its bits into it, so a result that spills into them (a count taken below zero is -1,
     * every bit set) would corrupt QUEUED, SIGNAL and PROFILED and strand every later waiter. Refused
     * instead, before any CAS, so the state word stays as it was.
     */
    private int lockBits(int bits, String function) {
        if ((bits & CORE_BITS) != 0) {
            throw new IllegalStateException(getClass().getName() + "." + function + " returned 0x"
                    + Integer.toHexString(bits) + ", which sets core bits of the state word; refused");
        }
        return bits;
    }

    /**
     * The lock's configuration.
     *
     * @return the settings the lock was created with
     */
    protected final LockConfig config() {
        Object q = queue;
        return q instanceof WaitQueue wq ? wq.config : (LockConfig) q;
    }

    // ---------------------------------------------------------------- acquire

    /**
     * One attempt without waiting. Never queues, never blocks.
     *
     * @param mode        the mode to acquire
     * @param pastWaiters whether to take a free lock even though waiters are queued
     * @return whether {@code mode} is now held
     */
    protected final boolean tryAcquire(int mode, boolean pastWaiters) {
        return tryAcquire(mode, pastWaiters, true);
    }

    /**
     * One attempt without waiting; {@code record}: on a profiled lock, an acquisition that did not wait
     * (the contended paths pass {@code false} and tell {@link Diagnostics} how they got it).
     */
    private boolean tryAcquire(int mode, boolean pastWaiters, boolean record) {
        for (;;) {
            int s = state;
            if ((s & QUEUED) != 0 && !pastWaiters) {
                return false;
            }
            int bits = s & ~CORE_BITS;
            if (!canAcquire(bits, mode)) {
                return false;
            }
            if (STATE.compareAndSet(this, s, lockBits(acquired(bits, mode), "acquired") | (s & CORE_BITS))) {
                if (record && (s & PROFILED) != 0) {
                    Diagnostics.acquired(this);
                }
                return true;
            }
        }
    }

    /**
     * Whether an arrival in {@code mode} may take a free lock now, past any queued waiters, as the
     * fairness policy and the barging rules ({@link #bargesPastWaiters}, {@link #bargesPastHead},
     * {@link #jumpsQueue}) say: the core's first attempt asks it, and so may a lock's own fast path
     * that found its lock bits free but waiters queued. The answer is a policy read without the
     * guard; the compare-and-set that follows is what keeps it correct.
     *
     * @param mode the arrival's mode
     * @return whether it may take the lock now, queue or not
     */
    protected final boolean bargesPastQueue(int mode) {
        if (jumpsQueue(mode)) {
            return true;
        }
        if (config().fairness() == Fairness.FIFO) {
            return false;
        }
        if (bargesPastWaiters(mode)) {
            return true;
        }
        WaitQueue q = waitQueueIfPresent();
        Waiter head = q != null ? q.head() : null;
        return head == null || head.status() == Waiter.WOKEN || bargesPastHead(mode, head.mode);
    }

    /**
     * For a mode that does not barge past waiters in general: whether it may barge past a queue whose
     * head waits in {@code headMode} (a snapshot read without the guard; the decision is a policy,
     * the CAS on the state word is what keeps it correct). A read lock lets readers pass a queue
     * headed by a reader, as {@code ReentrantReadWriteLock} does, never one headed by a waiting
     * writer. Any mode that may barge at all also passes a head that is in flight (woken, competing):
     * it arms again if it loses, and from then on the queue holds arrivals back; the fairness timer
     * hands the lock to it within about a timer interval. The default answers {@code false}.
     *
     * @param mode     the arrival's mode
     * @param headMode the mode the head of the queue waits for
     * @return whether the arrival may take the lock past that head
     */
    protected boolean bargesPastHead(int mode, int headMode) {
        return false;
    }

    /**
     * How long an untimed wait by the thread the owner record names waits before it is refused as a
     * self-deadlock: the time a guard handed to another thread has to be used or closed there.
     */
    static final long SELF_WAIT_GRACE_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(500);

    /**
     * Blocks the current thread until {@code mode} is acquired, the timeout elapses, or (if
     * {@code interruptible}) the thread is interrupted. Tries first (barging as the fairness policy
     * and {@link #bargesPastWaiters} allow), spins briefly on a platform thread while nobody is
     * queued, then queues and parks with this lock as the blocker. A zero timeout makes that one
     * attempt (and the spin) and then gives up. A waiter that gives up (timeout, interrupt) has
     * left the queue when this returns. Before the current thread would wait, the
     * {@code BlockingCalls} policy is applied, which may throw (strict mode) with nothing changed.
     *
     * @param mode          the mode to acquire
     * @param interruptible whether an interrupt ends the wait
     * @param timeoutNanos  the longest wait, or a negative value for no limit
     * @return {@link #ACQUIRED}, {@link #TIMED_OUT} or {@link #INTERRUPTED}; on INTERRUPTED the
     *         interrupt status is cleared, otherwise an interrupt received while waiting is restored
     * @throws IllegalStateException if the current thread must not block and the
     *                               {@code BlockingCalls} policy is strict; nothing was acquired
     */
    protected final int acquireBlocking(int mode, boolean interruptible, long timeoutNanos) {
        return acquireBlocking(mode, interruptible, timeoutNanos, null, false);
    }

    /**
     * {@link #acquireBlocking(int, boolean, long)} reusing {@code node} if not {@code null}: a condition
     * waiter withdrawn from its condition queue, which re-acquires from the back, or ({@code linked})
     * one that a notify already moved onto this lock's queue.
     */
    final int acquireBlocking(int mode, boolean interruptible, long timeoutNanos, ThreadWaiter node, boolean linked) {
        int outcome = waitToAcquire(mode, interruptible, timeoutNanos, node, linked);
        if (outcome == ACQUIRED && exclusive(mode)) {
            setExclusiveOwnerThread(Thread.currentThread());
        }
        return outcome;
    }

    private int waitToAcquire(int mode, boolean interruptible, long timeoutNanos, ThreadWaiter node, boolean linked) {
        return waitToAcquire(mode, interruptible, timeoutNanos, node, linked, false);
    }

    /** {@code ownRecordChecked}: the wait has been through {@link #waitForOwnRecord} already. */
    private int waitToAcquire(int mode, boolean interruptible, long timeoutNanos, ThreadWaiter node, boolean linked,
                              boolean ownRecordChecked) {
        final boolean timed = timeoutNanos >= 0;
        final long deadline = timed ? System.nanoTime() + timeoutNanos : 0L;
        boolean mustNotBlock = false;
        if (!linked) {
            if (tryAcquire(mode, bargesPastQueue(mode))) {
                return ACQUIRED;
            }
            // About to wait: a thread that would wait for itself, or that must not block, is refused
            // here (the latter in strict mode) before it changes anything; the latter does not spin
            // either way (a spin is a wait too).
            if (!timed && !ownRecordChecked && getExclusiveOwnerThread() == Thread.currentThread()
                    && HeldLocks.selfDeadlockPolicy() != HeldLocks.OFF) {
                if (node == null) {
                    return waitForOwnRecord(mode, interruptible);
                }
                checkNotHeldByCurrentThread(); // a condition's re-acquisition: its node is the condition's
            }
            mustNotBlock = BlockingCheck.beforeWait(this);
        }
        WaitTrace trace = linked ? null : Diagnostics.waitBegins(this);
        int how = waitFor(mode, interruptible, timed, deadline, node, linked, mustNotBlock);
        Diagnostics.waitEnds(this, trace, mode, how, Diagnostics.threadKind());
        return how <= Diagnostics.WON_AFTER_WAKE_UP ? ACQUIRED
                : how == Diagnostics.TIMED_OUT ? TIMED_OUT : INTERRUPTED;
    }

    /**
     * The contended part of {@link #acquireBlocking}: the first attempt failed (unless {@code linked}).
     *
     * @return how it ended, as {@link Diagnostics} counts it: {@code HANDED_OFF},
     *         {@code WON_BEFORE_QUEUING}, {@code WON_AFTER_WAKE_UP}, {@code TIMED_OUT} or
     *         {@code INTERRUPTED}
     */
    private int waitFor(int mode, boolean interruptible, boolean timed, long deadline, ThreadWaiter node,
                        boolean linked, boolean mustNotBlock) {
        final boolean virtual = Thread.currentThread().isVirtual();
        boolean interrupted = false;
        HeldLocks waitRecord = null;
        try {
            if (linked && tracking != null) {
                waitRecord = HeldLocks.ofCurrentThread();
                waitRecord.waitingFor(this, node);
            }
            if (!linked) {
                int spinRound = virtual || mustNotBlock ? ARRIVAL_SPIN_ROUNDS : 0;
                for (;;) {
                    if (tryAcquire(mode, bargesPastQueue(mode), false)) {
                        return Diagnostics.WON_BEFORE_QUEUING;
                    }
                    if (spinRound < ARRIVAL_SPIN_ROUNDS && (state & QUEUED) == 0) {
                        for (int i = 1 << spinRound++; i > 0; i--) {
                            Thread.onSpinWait();
                        }
                        continue;
                    }
                    if (interruptible && Thread.interrupted()) {
                        return Diagnostics.INTERRUPTED;
                    }
                    if (timed && deadline - System.nanoTime() <= 0) {
                        return Diagnostics.TIMED_OUT;
                    }
                    if (node == null) {
                        node = new ThreadWaiter(mode, Thread.currentThread());
                    }
                    if (tracking != null && waitRecord == null) {
                        waitRecord = HeldLocks.ofCurrentThread();
                        waitRecord.waitingFor(this, node); // before it queues, so the detector never misses it
                    }
                    if (enqueue(node)) {
                        break;
                    }
                }
            }
            for (;;) {
                int st = node.status();
                if (st == Waiter.GRANTED) {
                    return Diagnostics.HANDED_OFF;
                }
                if (st == Waiter.WOKEN) {
                    int outcome = competeAsHead(node, mode, interruptible, timed, deadline, virtual);
                    if (outcome != PARK_AGAIN) {
                        return outcome == ACQUIRED ? Diagnostics.WON_AFTER_WAKE_UP
                                : outcome == TIMED_OUT ? Diagnostics.TIMED_OUT : Diagnostics.INTERRUPTED;
                    }
                    continue;
                }
                // WAITING (parked in the queue) or CLAIMED (granted, about to be told): park.
                if (timed) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        if (cancel(node)) {
                            return Diagnostics.TIMED_OUT;
                        }
                        // Claimed, or woken meanwhile: the final status comes with an unpark. Never
                        // spin for it: a releasing virtual thread may be unmounted, and spinning here
                        // could hold the very carrier it needs to run again.
                        if (node.status() == Waiter.CLAIMED) {
                            LockSupport.park(this);
                        }
                    } else {
                        LockSupport.parkNanos(this, remaining);
                    }
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible && cancel(node)) {
                        interrupted = false;
                        return Diagnostics.INTERRUPTED;
                    }
                }
            }
        } finally {
            if (waitRecord != null) {
                waitRecord.doneWaiting(node);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * An untimed wait by the thread the owner record names: either a self-deadlock, or the thread
     * handed its guard to another thread that has not used it yet (the record moves only when the
     * receiver touches the guard). It waits {@link #SELF_WAIT_GRACE_NANOS} first, so that a handed
     * guard closed by its receiver meanwhile lets it through; only then, if the record still names
     * it, is the wait refused (its node has left the queue: nothing is held or queued).
     */
    private int waitForOwnRecord(int mode, boolean interruptible) {
        int outcome = waitToAcquire(mode, interruptible, SELF_WAIT_GRACE_NANOS, null, false);
        if (outcome != TIMED_OUT) {
            return outcome;
        }
        checkNotHeldByCurrentThread(); // throws, or warns and lets it wait
        return waitToAcquire(mode, interruptible, -1L, null, false, true);
    }

    /**
     * After the grace of an untimed wait that could only end with the current thread's own release
     * (the owner record still names the current thread as the exclusive holder, and Turnstile locks
     * are not reentrant): refuses it, or warns once per lock and lets it wait, as the self-deadlock
     * policy says ({@code Deadlocks.setSelfDeadlockPolicy}; refusing is the default). It cannot be
     * certain: a guard handed to another thread that keeps it unused past the grace still names the
     * thread that handed it over, which may be waiting for it to come back. A timed wait is never
     * checked: it ends by itself.
     *
     * @throws IllegalStateException under the throw policy, if the current thread holds this lock
     */
    private void checkNotHeldByCurrentThread() {
        Thread me = Thread.currentThread();
        if (getExclusiveOwnerThread() == me) {
            IllegalStateException refused = HeldLocks.selfWait(this, me);
            if (refused != null) {
                throw refused;
            }
        }
    }

    /**
     * The woken head's turn: it is linked, status WOKEN, and SIGNAL is clear. Retries with growing
     * spin rounds (platform) or one yield (virtual), then re-arms.
     *
     * @return {@link #ACQUIRED}, {@link #TIMED_OUT}, {@link #INTERRUPTED}, or {@link #PARK_AGAIN}
     *         once re-armed (status WAITING)
     */
    private int competeAsHead(ThreadWaiter node, int mode, boolean interruptible, boolean timed,
                              long deadline, boolean virtual) {
        int spins = 1;
        boolean yielded = false;
        for (;;) {
            if (node.status() != Waiter.WOKEN) {
                return PARK_AGAIN; // handed the lock (unlockFair): CLAIMED, then GRANTED
            }
            if (tryAcquire(mode, true, false)) {
                if (leaveQueueHolding(node)) {
                    return ACQUIRED;
                }
                // A hand-off granted this (shared) mode to us meanwhile: give back the hold we just
                // took ourselves and keep the granted one, which comes with the grant's signal.
                release(mode, false);
                return PARK_AGAIN;
            }
            if (interruptible && Thread.currentThread().isInterrupted() && cancel(node)) {
                Thread.interrupted();
                return INTERRUPTED;
            }
            if (timed && deadline - System.nanoTime() <= 0 && cancel(node)) {
                return TIMED_OUT;
            }
            if (!virtual && spins <= HEAD_SPIN_LIMIT) {
                for (int i = spins; i > 0; i--) {
                    Thread.onSpinWait();
                }
                spins = 2 * spins + 1;
                continue;
            }
            if (virtual && !yielded) {
                yielded = true;
                Thread.yield();
                continue;
            }
            if (rearm(node, mode)) {
                return PARK_AGAIN;
            }
            // the lock came free while arming: one more attempt, no more spinning
        }
    }

    /**
     * Under the guard: a woken head that could not acquire sets SIGNAL on a word where it still
     * cannot, and goes back to WAITING. {@code false} if the lock came free meanwhile.
     */
    private boolean rearm(ThreadWaiter node, int mode) {
        WaitQueue q = (WaitQueue) queue;
        q.lock();
        try {
            for (;;) {
                if (node.status() != Waiter.WOKEN) {
                    return true; // handed the lock meanwhile: wait for the grant's signal
                }
                int s = state;
                if (canAcquire(s & ~CORE_BITS, mode)) {
                    return false;
                }
                if ((s & SIGNAL) != 0 || STATE.compareAndSet(this, s, s | SIGNAL)) {
                    node.setStatus(Waiter.WAITING);
                    if (q.head() == node) {
                        q.armed();
                    }
                    return true;
                }
            }
        } finally {
            q.unlock();
        }
    }

    /**
     * Under the guard: a woken waiter took the lock; it leaves the queue and acts for the next head as
     * a release would ({@link #admit} by the policy): arms it, wakes it in place (a thread that fits
     * beside the new hold), or grants what fits (a callback, or a due hand-off). Then unparks or tells
     * it outside the guard.
     *
     * @return {@code false} if a hand-off had already detached and granted it (possible for a shared
     *         mode, which its own attempt could take as well): it then holds the mode twice
     */
    private boolean leaveQueueHolding(ThreadWaiter node) {
        WaitQueue q = (WaitQueue) queue;
        Waiter admitted;
        Waiter woken;
        q.lock();
        try {
            if (node.status() != Waiter.WOKEN) {
                return false;
            }
            q.unlink(node);
            node.setStatus(Waiter.GRANTED);
            admitted = admit(q, false, 0, BY_POLICY);
            woken = q.takeWoken();
        } finally {
            q.unlock();
        }
        tell(woken, admitted);
        return true;
    }

    /**
     * A condition waiter's thread that a release granted {@code mode} while the waiter was being
     * requeued onto this lock (so it never went through {@link #acquireBlocking}): records what that
     * would have recorded, the owner of an exclusive hold and, on a profiled lock, the acquisition.
     */
    final void grantedWhileRequeued(int mode) {
        if (exclusive(mode)) {
            setExclusiveOwnerThread(Thread.currentThread());
        }
        Diagnostics.acquired(this);
    }

    /**
     * Submits an asynchronous acquisition: {@code waiter}'s callback runs once the lock is granted,
     * at once (through the trampoline or its executor) if the lock is free. Never blocks.
     *
     * @param waiter a new waiter, in the mode it asks for
     * @throws IllegalStateException if {@code waiter} was submitted before (a waiter is single-use)
     */
    protected final void acquireAsync(CallbackWaiter waiter) {
        waiter.bind(this);
        submitAsync(waiter);
    }

    /** {@link #acquireAsync} for a waiter already bound to this lock (a withdrawn condition waiter). */
    final void submitAsync(CallbackWaiter waiter) {
        if (tryAcquire(waiter.mode, bargesPastQueue(waiter.mode))) {
            waiter.signal(this, Waiter.GRANTED);
            return;
        }
        WaitTrace trace = Diagnostics.waitBegins(this);
        waiter.trace = trace; // before it is queued: whoever grants or withdraws it reads it
        for (;;) {
            if (enqueue(waiter)) {
                return;
            }
            if (tryAcquire(waiter.mode, bargesPastQueue(waiter.mode), false)) {
                waiter.trace = null;
                Diagnostics.waitEnds(this, trace, waiter.mode, Diagnostics.WON_BEFORE_QUEUING, Diagnostics.ASYNC);
                waiter.signal(this, Waiter.GRANTED);
                return;
            }
        }
    }

    /**
     * Whether the current thread is running granted callbacks through its trampoline right now. An
     * asynchronous front-end may complete an uncontended acquisition directly on the caller's stack,
     * without a {@link CallbackWaiter}, only when this is {@code false}: inside a delivery the grant
     * must go through the trampoline (via {@link #acquireAsync}) so that release chains stay flat.
     *
     * @return whether a grant delivery is running on the current thread
     */
    protected static boolean isDeliveringGrants() {
        return Trampoline.isDraining();
    }

    /**
     * Delivers a grant that a lock's free-lock fast path made without a {@link CallbackWaiter} (such
     * as {@code Mutex.lockIfFree}, taken only while {@link #isDeliveringGrants()} is {@code false}):
     * {@code callback.onLocked(guard)} runs now, on the current thread, as a delivery, so that grants
     * made while it runs wait on the thread's trampoline until it returns and release chains stay
     * flat, as after a queued waiter's grant. What the callback throws goes to the thread's
     * uncaught-exception handler.
     *
     * @param callback receives the guard
     * @param guard    the guard of the hold taken
     * @param <G>      the guard type
     */
    protected static <G> void deliverTaken(dev.turnstile.lock.LockCallback<? super G> callback, G guard) {
        Trampoline.deliverTaken(callback, guard);
    }

    /**
     * Links {@code w} into the queue (at the tail, or at the head for a queue jumper) unless the
     * lock became available to it meanwhile, arming SIGNAL when it becomes the head.
     *
     * @return {@code true} if queued; {@code false} if the caller should try to acquire again
     */
    private boolean enqueue(Waiter w) {
        WaitQueue q = waitQueue();
        boolean jumper = jumpsQueue(w.mode);
        boolean barge = jumper || bargesPastQueue(w.mode);
        q.lock();
        try {
            for (;;) {
                int s = state;
                if (canAcquire(s & ~CORE_BITS, w.mode) && (barge || (s & QUEUED) == 0)) {
                    return false;
                }
                boolean becomesHead = jumper || q.isEmpty();
                // A new head arms on a word where it cannot acquire (checked above unless it may not
                // barge, in which case the head in flight or the armed head will move the queue).
                int update = becomesHead ? s | QUEUED | SIGNAL : s | QUEUED;
                if (update == s || STATE.compareAndSet(this, s, update)) {
                    w.setStatus(Waiter.WAITING);
                    w.notified = false;
                    q.link(w, jumper);
                    if (becomesHead) {
                        q.armed();
                    }
                    return true;
                }
            }
        } finally {
            q.unlock();
        }
    }

    // ---------------------------------------------------------------- release

    /**
     * Releases one holder of {@code mode} (or applies a transition mode), and acts for the queue:
     * admits whoever fits, or wakes the head, as the fairness policy says. Never blocks; callbacks
     * granted by it may run on the calling thread before it returns (through the trampoline).
     *
     * @param mode the mode released, or a transition mode
     * @param fair hand the lock to the longest waiter instead of letting arrivals barge
     */
    protected final void release(int mode, boolean fair) {
        if (exclusive(mode)) {
            setExclusiveOwnerThread(null); // before the releasing CAS: the record never outlives the hold
        }
        for (;;) {
            int s = state;
            if ((s & (SIGNAL | PROFILED)) != 0 || (fair && (s & QUEUED) != 0)) {
                releaseSlowly(mode, fair, s);
                return;
            }
            if (STATE.compareAndSet(this, s, lockBits(released(s & ~CORE_BITS, mode), "released") | (s & QUEUED))) {
                return;
            }
        }
    }

    /**
     * {@link #release} of a contended or a profiled lock ({@code s} is the word it read). A profiled
     * lock's hold ends first; its uncontended release clears PROFILED once nothing wants it.
     */
    private void releaseSlowly(int mode, boolean fair, int s) {
        int keep = QUEUED | PROFILED; // a PROFILED set meanwhile by an arrival is carried
        if ((s & PROFILED) != 0) {
            Diagnostics.released(this, s);
            if (!Diagnostics.staysProfiled(this)) {
                keep = QUEUED;
            }
        }
        for (;; s = state) {
            if ((s & SIGNAL) != 0 || (fair && (s & QUEUED) != 0)) {
                releaseContended(mode, fair);
                return;
            }
            if (STATE.compareAndSet(this, s, lockBits(released(s & ~CORE_BITS, mode), "released") | (s & keep))) {
                return;
            }
        }
    }

    private void releaseContended(int mode, boolean fairRequested) {
        WaitQueue q = (WaitQueue) queue;
        Waiter admitted;
        Waiter woken;
        q.lock();
        try {
            admitted = admit(q, true, mode, fairRequested ? HAND_OFF : BY_POLICY);
            woken = q.takeWoken();
        } finally {
            q.unlock();
        }
        tell(woken, admitted);
    }

    /**
     * Under the guard: optionally releases {@code mode}, then acts for the head of the queue and
     * publishes the lock bits and both core bits in one CAS:
     * <ul>
     *   <li>no head: the core bits are cleared;</li>
     *   <li>the head is a woken thread in flight: SIGNAL is cleared and nothing else done;</li>
     *   <li>the longest prefix of WAITING waiters that fits is granted (detached as CLAIMED and
     *       returned) — unless its head is a thread and {@code handOff} lets the fairness policy
     *       decide and it says wake: then that thread alone is woken in place (left linked, status
     *       WOKEN, handed to the caller through {@link WaitQueue#takeWoken()}, SIGNAL cleared), and
     *       whoever fits behind it stays queued for it to let in;</li>
     *   <li>nothing fits: SIGNAL stays set for the waiting head.</li>
     * </ul>
     */
    private Waiter admit(WaitQueue q, boolean releasing, int mode, int handOff) {
        int decided = -1; // the policy's answer for a thread head, asked at most once: 1 hand off, 0 wake
        for (;;) {
            int s = state;
            int bits = s & ~CORE_BITS;
            int published = releasing ? lockBits(released(bits, mode), "released") : bits;
            int keep = s & PROFILED; // carried by every CAS below
            Waiter head = q.head();
            if (head == null) {
                if (STATE.compareAndSet(this, s, published | keep)) {
                    return null;
                }
                continue;
            }
            // A woken head in flight is left to compete, except by a hand-off (unlockFair, a cancel
            // or a woken holder letting others in): then it is granted like a waiting one, and finds
            // out from its status (a woken thread checks it between attempts).
            boolean inFlight = head.status() == Waiter.WOKEN;
            if (inFlight && handOff != HAND_OFF) {
                if (STATE.compareAndSet(this, s, published | QUEUED | keep)) {
                    return null; // a woken head is on its way; it arms again if it must wait
                }
                continue;
            }
            int occupied = published;
            int count = 0;
            Waiter w = head;
            while (w != null && (w.status() == Waiter.WAITING || w == head && inFlight) && canAcquire(occupied, w.mode)) {
                occupied = lockBits(acquired(occupied, w.mode), "acquired");
                count++;
                w = w.next;
            }
            if (count == 0) {
                int core = inFlight ? QUEUED : QUEUED | SIGNAL;
                if (STATE.compareAndSet(this, s, published | core | keep)) {
                    if ((core & ~s & SIGNAL) != 0) {
                        q.armed(); // the head waits from now (its woken predecessor left)
                    }
                    return null;
                }
                continue;
            }
            if (head instanceof ThreadWaiter && handOff == BY_POLICY && decided < 0) {
                decided = q.shouldHandOff() ? 1 : 0;
            }
            if (decided == 0) { // the head (fixed under the guard) is a thread
                if (STATE.compareAndSet(this, s, published | QUEUED | keep)) {
                    head.setStatus(Waiter.WOKEN);
                    q.wake(head);
                    q.countAdmission(false);
                    return null;
                }
                continue;
            }
            int core = w == null ? 0 : w.status() == Waiter.WAITING ? QUEUED | SIGNAL : QUEUED;
            if (STATE.compareAndSet(this, s, occupied | core | keep)) {
                q.countAdmission(true);
                Waiter chain = q.detachFirst(count);
                if ((core & SIGNAL) != 0) {
                    q.armed(); // a new head waits from now
                }
                return chain;
            }
        }
    }

    /** Outside the guard: unparks a head woken in place, then tells the granted chain. */
    private void tell(Waiter woken, Waiter admitted) {
        if (woken != null) {
            LockSupport.unpark(((ThreadWaiter) woken).thread);
        }
        signal(admitted);
    }

    /**
     * Outside the guard: tells each granted waiter of a detached chain. Threads first, then callbacks,
     * so that no callback (which may block its thread in an executor, or unmount a virtual thread)
     * delays a thread that already owns the lock.
     */
    private void signal(Waiter admitted) {
        Waiter callbacks = null;
        Waiter lastCallback = null;
        for (Waiter w = admitted, next; w != null; w = next) {
            next = w.next; // read before the status write frees the waiter
            w.next = null;
            if (w instanceof CallbackWaiter) {
                if (lastCallback == null) {
                    callbacks = w;
                } else {
                    lastCallback.next = w;
                }
                lastCallback = w;
            } else {
                w.signal(this, Waiter.GRANTED);
            }
        }
        for (Waiter w = callbacks, next; w != null; w = next) {
            next = w.next;
            w.next = null;
            Diagnostics.granted(this, (CallbackWaiter) w); // before it can run and release
            w.signal(this, Waiter.GRANTED); // never throws (CallbackWaiter.signal)
        }
    }

    // ---------------------------------------------------------------- requeue (condition variables)

    /**
     * Moves a chain of notified condition waiters (CLAIMED, linked through {@code next}) onto this
     * lock's queue, where the lock's own releases admit them one admission at a time, instead of waking
     * them all to find the lock taken. If the queue is empty and the lock is free for the first of
     * them, that one is granted (a callback, detached and returned for the caller to signal) or woken
     * in place (a thread: it becomes the head in flight, status WOKEN, and is returned for the caller
     * to unpark); the rest wait behind it.
     *
     * @return the waiter to signal (GRANTED) or unpark (WOKEN), or {@code null}
     */
    final Waiter requeue(Waiter chain) {
        WaitQueue q = waitQueue();
        q.lock();
        try {
            for (;;) {
                int s = state;
                int bits = s & ~CORE_BITS;
                boolean wasEmpty = q.isEmpty();
                boolean freeForFirst = wasEmpty && canAcquire(bits, chain.mode);
                boolean grantFirst = freeForFirst && chain instanceof CallbackWaiter;
                Waiter linkFrom = grantFirst ? chain.next : chain;
                int keep = s & PROFILED;
                int update;
                if (grantFirst) {
                    update = lockBits(acquired(bits, chain.mode), "acquired") | (linkFrom != null ? QUEUED | SIGNAL : 0) | keep;
                } else if (freeForFirst) {
                    update = bits | QUEUED | keep; // the first is woken in place: SIGNAL stays clear
                } else if (wasEmpty) {
                    update = bits | QUEUED | SIGNAL | keep;
                } else {
                    update = s; // joins a queue whose head is armed or in flight
                }
                if (update == s || STATE.compareAndSet(this, s, update)) {
                    for (Waiter w = linkFrom, next; w != null; w = next) {
                        next = w.next;
                        w.setStatus(Waiter.WAITING);
                        q.link(w, false);
                    }
                    if (grantFirst) {
                        chain.next = null;
                        if (linkFrom != null) {
                            q.armed();
                        }
                        return chain;
                    }
                    if (freeForFirst) {
                        chain.setStatus(Waiter.WOKEN);
                        return chain;
                    }
                    if (wasEmpty) {
                        q.armed();
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
     * Withdraws {@code w} if it is still queued: WAITING, or WOKEN when the caller is the woken
     * thread itself.
     *
     * @return {@code true} if withdrawn; {@code false} if a grant won the race
     */
    final boolean cancel(Waiter w) {
        if (!(queue instanceof WaitQueue q)) {
            return false;
        }
        Waiter admitted;
        Waiter woken;
        q.lock();
        try {
            if (!w.casStatus(Waiter.WAITING, Waiter.CANCELLED) && !w.casStatus(Waiter.WOKEN, Waiter.CANCELLED)) {
                return false;
            }
            boolean wasHead = q.head() == w;
            q.unlink(w);
            admitted = wasHead ? admit(q, false, 0, HAND_OFF) : null;
            woken = q.takeWoken();
        } finally {
            q.unlock();
        }
        tell(woken, admitted);
        if (w instanceof CallbackWaiter cw) {
            Diagnostics.withdrawn(this, cw); // a thread tells its own outcome (acquireBlocking)
        }
        return true;
    }

    // ---------------------------------------------------------------- diagnostics: owners, ranks, holders

    /**
     * A guard of a hold of this lock is being used on the current thread: if it was a thread's
     * exclusive hold recorded for another thread, the current thread holds it now (for the JVM's
     * tools, and in the tracked holdings). The guard was handed over.
     *
     * @param holdings the holdings the hold was recorded in, or {@code null} (untracked, or a task's)
     * @param kind     the hold's kind
     * @return the holdings the hold is recorded in from now on
     */
    protected final HeldLocks takenOverByCurrentThread(HeldLocks holdings, int kind) {
        Thread me = Thread.currentThread();
        if (exclusive(kind)) {
            Thread owner = getExclusiveOwnerThread();
            if (owner != null && owner != me) {
                setExclusiveOwnerThread(me);
            }
        }
        if (holdings == null || !holdings.belongsToAnotherThread()) {
            return holdings;
        }
        holdings.released(this, kind);
        HeldLocks mine = HeldLocks.ofCurrentThread();
        mine.acquired(this, kind);
        return mine;
    }

    /**
     * Before the current thread acquires {@code mode}: nothing for an untracked lock ({@code null});
     * for a tracked one, the rank check against what the thread holds, and its holdings.
     *
     * @param mode the mode the current thread is about to acquire
     * @return the current thread's holdings, to pass to {@link #recordHold}, or {@code null}
     * @throws dev.turnstile.lock.LockOrderViolationException if the rank policy refuses the acquisition
     */
    protected final HeldLocks threadAcquiring(int mode) {
        LockTracking t = tracking;
        if (t == null) {
            return null;
        }
        HeldLocks mine = HeldLocks.ofCurrentThread();
        mine.checkOrder(this, mode, t);
        return mine;
    }

    /**
     * Before an asynchronous task acquires {@code mode}: the rank check against what the task holds
     * (nothing for an untracked lock, or a task without holdings).
     *
     * @param task the task's holdings, or {@code null}
     * @param mode the mode the task is about to acquire
     * @throws dev.turnstile.lock.LockOrderViolationException if the rank policy refuses the acquisition
     */
    protected final void taskAcquiring(HeldLocks task, int mode) {
        LockTracking t = tracking;
        if (t != null && task != null) {
            task.checkOrder(this, mode, t);
        }
    }

    /**
     * Before a condition wait releases a hold recorded in {@code holdings} and later re-acquires it in
     * {@code mode}: the re-acquisition must obey the rank order like any acquisition (waiting on a
     * condition of a lock ranked below another lock held would re-acquire out of order), so it is
     * checked now, before anything changes.
     *
     * @param holdings where the hold is recorded, or {@code null}
     * @param mode     the mode the wait re-acquires
     * @throws dev.turnstile.lock.LockOrderViolationException if the rank policy refuses it
     */
    protected final void resumingHold(HeldLocks holdings, int mode) {
        LockTracking t = tracking;
        if (t != null && holdings != null) {
            holdings.checkOrder(this, mode, t, true);
        }
    }

    /**
     * Records a hold of kind {@code kind} in {@code holdings} (nothing if {@code null} or untracked).
     *
     * @param holdings the acquirer's holdings, or {@code null}
     * @param kind     the kind of hold taken
     * @return the holdings the hold is recorded in, or {@code null}
     */
    protected final HeldLocks recordHold(HeldLocks holdings, int kind) {
        LockTracking t = tracking;
        if (holdings == null || t == null || !holdings.acquired(this, kind)) {
            return null;
        }
        return holdings;
    }

    /**
     * Records that a hold recorded in {@code holdings} ended (nothing if {@code null}); any thread.
     *
     * @param holdings where the hold was recorded, or {@code null}
     * @param kind     the kind of hold released
     */
    protected final void recordRelease(HeldLocks holdings, int kind) {
        if (holdings != null) {
            holdings.released(this, kind);
        }
    }

    /**
     * Records that a task waits for {@code node}'s acquisition of this lock (tracked locks only).
     *
     * @param task the task's holdings, or {@code null}
     * @param node the queued acquisition
     */
    protected final void recordTaskWait(HeldLocks task, CallbackWaiter node) {
        if (task != null && tracking != null) {
            task.waitingFor(this, node);
        }
    }

    /**
     * The task's wait for {@code node} is over.
     *
     * @param task the task's holdings, or {@code null}
     * @param node the acquisition that was waiting
     */
    protected final void recordTaskWaitOver(HeldLocks task, CallbackWaiter node) {
        if (task != null && tracking != null) {
            task.doneWaiting(node);
        }
    }

    /**
     * The rank and tracking of this lock, for diagnostics.
     *
     * @return the tracking, or {@code null} if the lock is untracked
     */
    public final LockTracking tracking() {
        return tracking;
    }

    /**
     * The thread recorded as holding this lock exclusively (see "Owners the JVM can see"), or
     * {@code null}: free, shared, held by an asynchronous task, or not yet recorded.
     *
     * @return the owner thread, or {@code null}
     */
    public final Thread ownerThread() {
        return getExclusiveOwnerThread();
    }

    /** Whether a hold of kind {@code heldKind} leaves room for an acquisition in {@code mode}. */
    final boolean compatible(int heldKind, int mode) {
        return canAcquire(acquired(0, heldKind), mode);
    }

    /** The waiters queued ahead of {@code node} (empty if it is not queued). */
    final List<Waiter> queuedAhead(Waiter node) {
        if (!(queue instanceof WaitQueue q)) {
            return List.of();
        }
        List<Waiter> ahead = new ArrayList<>();
        q.lock();
        try {
            for (Waiter w = q.head(); w != null; w = w.next) {
                if (w == node) {
                    return ahead;
                }
                ahead.add(w);
            }
        } finally {
            q.unlock();
        }
        return List.of();
    }

    /**
     * How diagnostics and messages name this lock: its class's simple name, its name if it has one,
     * and the identity hash that thread dumps print for it ({@code ThreadInfo.getLockName()},
     * {@code jcmd Thread.dump_to_file}), as in {@code Mutex[orders]@1b6d3586}.
     *
     * @return the identity string
     */
    public final String identity() {
        String n = config().name();
        return getClass().getSimpleName() + (n != null ? "[" + n + "]" : "") + "@"
                + Integer.toHexString(System.identityHashCode(this));
    }

    /** Locks are not serializable: their waiters, owners and holds only mean something in this JVM. */
    @java.io.Serial
    private void writeObject(java.io.ObjectOutputStream out) throws java.io.IOException {
        throw new java.io.NotSerializableException(getClass().getName());
    }

    @java.io.Serial
    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException {
        throw new java.io.InvalidObjectException(getClass().getName() + " is not serializable");
    }

    @java.io.Serial
    private static final long serialVersionUID = 1L;

    // ---------------------------------------------------------------- queue and introspection

    /** The wait queue, created on first use. */
    final WaitQueue waitQueue() {
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
     * once the attachment exists. Creating it creates the wait queue (the first time).
     *
     * @param factory creates the attachment from this lock; threads that race may each call it,
     *                and one result is installed for good
     * @param <A>     the attachment's type; one attachment per lock, so one type per lock class
     * @return the attachment, created by {@code factory} on the first call
     */
    protected final <A> A attachment(Function<RawLock, A> factory) {
        return waitQueue().attachment(this, factory);
    }

    /**
     * The wait queue if the lock has ever needed one, for diagnostics (its counters of hand-offs and
     * wake-ups). Reading it creates nothing.
     *
     * @return the wait queue, or {@code null} if the lock was never contended (nor given side state)
     */
    public final WaitQueue waitQueueIfPresent() {
        return queue instanceof WaitQueue q ? q : null;
    }

    /**
     * The number of queued waiters: exact while the lock is quiescent, a recent value otherwise.
     * Protected so that each lock type decides what it publishes; {@code Mutex} and {@code RwLock}
     * make it public.
     *
     * @return the number of waiters in the queue
     */
    protected int queueLength() {
        return queue instanceof WaitQueue q ? q.size() : 0;
    }

    /**
     * Whether any waiter is queued (the QUEUED bit: a volatile read, no guard). Protected for the
     * same reason as {@link #queueLength()}.
     *
     * @return whether the wait queue is not empty
     */
    protected boolean hasQueuedWaiters() {
        return (state & QUEUED) != 0;
    }

    /**
     * A snapshot of this lock's statistics, for the typed locks' {@code statistics()}.
     *
     * @return the snapshot, or {@code null} if the lock was built without statistics
     */
    protected final dev.turnstile.lock.LockStatistics statisticsSnapshot() {
        return Diagnostics.snapshot(this);
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
            l.ensureInitialized(BlockingCheck.class);
            l.ensureInitialized(Diagnostics.class);
            l.ensureInitialized(WaitTrace.class);
            l.ensureInitialized(LockProbe.class);
            // And resolve this class's reference to LockSupport: its first resolution calls the class
            // loader, and virtual threads that resolve it at once (their first park) contend for the
            // loader's lock inside a VM call, which pins them (seen in FirstCallsInAFreshJvmNeverPinTest).
            l.ensureInitialized(LockSupport.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
