package dev.turnstile.lock.park;

import dev.turnstile.lock.LockOrderViolationException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one acquirer holds of the tracked locks ({@link LockTracking}) and what it waits for: the
 * bookkeeping behind lock ranks and deadlock detection. An acquirer is a thread (for blocking and
 * virtual-thread acquisitions: {@link #ofCurrentThread()}) or an asynchronous task, identified by an
 * owner object of its own ({@link #forTask}); never a thread for an asynchronous acquisition, since
 * the thread that runs a continuation is not the task.
 *
 * <h2>Implementation overview</h2>
 * A stack of entries in parallel arrays (lock, hold kind, an id, and where it was acquired when
 * {@link #setCaptureSites sites are captured}); entries are pushed on acquisition and removed on
 * release, usually from the top.
 *
 * <h3>A thread's holdings: one writer, no atomics</h3>
 * Only the owning thread changes its own arrays, with plain stores, so a ranked lock+unlock costs a
 * thread-local lookup and a few stores. The version field is a sequence lock for readers on other
 * threads (the deadlock detector): odd while the owner writes, bumped with release semantics after.
 * A hold released on another thread (a guard handed over and closed there, or taken over by its first
 * use there) cannot touch the arrays: it pushes a {@link Notice} onto a lock-free stack, which the
 * owner applies before its next rank check or push, and which readers apply to their copy.
 *
 * <h3>A task's holdings: any thread</h3>
 * An asynchronous task's continuations run on whatever thread granted or completed them, possibly two
 * at once (a task that acquires two locks in parallel), so every change takes the version as a spin
 * lock (odd while held); readers use the same sequence-lock protocol.
 *
 * <h3>Waits</h3>
 * A thread records the one acquisition it is waiting for while it parks; a task records each
 * acquisition it has queued. A wait is a queue node; the detector counts it only while the node is
 * actually queued (status WAITING or WOKEN), so records of waits that ended may linger until replaced.
 *
 * <h3>Finding the current thread's</h3>
 * A thread-local is the one place a thread's holdings are found, with no cache in front of it: a
 * pool that clears its workers' thread-locals between tasks ({@code ForkJoinPool}) would leave a
 * cached entry serving hits while the next miss starts a second record for the same thread, and a
 * cache would keep finished threads (their tasks, their context class loaders) reachable
 * ({@code HoldingsCacheBreakTest}).
 *
 * <h3>Registry</h3>
 * Every holdings object is registered, weakly, in a global set that the detector walks. A thread's
 * lives as long as the thread (its thread-local refers to it); a task's as long as its owner object.
 */
public final class HeldLocks {
    // ---------------------------------------------------------------- rank policy (LockRanks)

    /** Rank policy: no check; the ordinals of {@code LockRanks.Policy}. */
    public static final int OFF = 0;
    /** Rank policy: log a violation once per pair of locks, and let it through. */
    public static final int WARN = 1;
    /** Rank policy: refuse a violation with {@code LockOrderViolationException}. */
    public static final int THROW = 2;

    private static final System.Logger LOG = System.getLogger("dev.turnstile.lock");
    private static volatile int rankPolicy = policyFromProperty("dev.turnstile.lock.rankPolicy");
    private static volatile boolean captureSites = Boolean.getBoolean("dev.turnstile.lock.acquisitionSites");
    /** What a thread waiting for a lock it holds itself does after the grace: {@link #OFF}, {@link #WARN}, {@link #THROW}. */
    private static volatile int selfDeadlockPolicy = policyFromProperty("dev.turnstile.lock.selfDeadlock");
    /** Locks already warned about under the self-deadlock {@link #WARN} policy: identity hashes, bounded. */
    private static final Set<Integer> SELF_WAIT_WARNED = ConcurrentHashMap.newKeySet();
    /** Pairs (held, acquired) already warned about under {@link #WARN}: identity hashes, bounded. */
    private static final Set<Long> WARNED = ConcurrentHashMap.newKeySet();
    private static final int MAX_WARNED_PAIRS = 100_000;

    // ---------------------------------------------------------------- registry

    private static final Set<Registered> REGISTRY = ConcurrentHashMap.newKeySet();
    private static final ReferenceQueue<HeldLocks> COLLECTED = new ReferenceQueue<>();
    private static final ThreadLocal<HeldLocks> CURRENT = new ThreadLocal<>();

    private static final Wait[] NO_WAITS = new Wait[0];
    private static final int INITIAL_CAPACITY = 4;

    /** The acquirer: a {@link Thread}, or an asynchronous task's owner object. */
    final Object owner;
    private final boolean threadOwned;

    private RawLock[] locks = new RawLock[INITIAL_CAPACITY];
    private int[] kinds = new int[INITIAL_CAPACITY];
    private long[] ids = new long[INITIAL_CAPACITY];
    /** Where each hold was acquired, while sites are captured; created on first use. */
    private Throwable[] sites;
    private int size;
    private long lastId;

    /** Sequence lock (thread-owned) or spin lock (task-owned): odd while the entries change. */
    private volatile int version;
    /** Releases made on other threads, for the owning thread to apply (thread-owned only). */
    private volatile Notice notices;
    /** The acquisitions this acquirer waits for; replaced, never changed in place. */
    private volatile Wait[] waits = NO_WAITS;

    private HeldLocks(Object owner, boolean threadOwned) {
        this.owner = owner;
        this.threadOwned = threadOwned;
    }

    /**
     * The current thread's holdings, created (and registered) on first use.
     *
     * @return the holdings of the current thread
     */
    public static HeldLocks ofCurrentThread() {
        HeldLocks h = CURRENT.get();
        return h != null ? h : createForCurrentThread();
    }

    private static HeldLocks createForCurrentThread() {
        HeldLocks h = new HeldLocks(Thread.currentThread(), true);
        CURRENT.set(h);
        register(h);
        return h;
    }

    /**
     * Holdings for an asynchronous task identified by {@code owner} (registered).
     *
     * @param owner the task's identity, which diagnostics show
     * @return new, empty holdings
     */
    public static HeldLocks forTask(Object owner) {
        HeldLocks h = new HeldLocks(owner, false);
        register(h);
        return h;
    }

    /**
     * The acquirer these holdings belong to.
     *
     * @return a {@link Thread} or a task's owner object
     */
    public Object owner() {
        return owner;
    }

    /**
     * Whether these are a thread's holdings, other than the current thread's: a hold of them used
     * here has changed hands.
     *
     * @return {@code true} for another thread's holdings
     */
    public boolean belongsToAnotherThread() {
        return threadOwned && owner != Thread.currentThread();
    }

    // ---------------------------------------------------------------- ranks

    /**
     * Before {@code lock} is acquired in {@code mode} by this acquirer: fails, warns or does nothing
     * (the {@link #setRankPolicy policy}) if the lock's rank is not above every rank held here.
     * Changes nothing, so a refused acquisition leaves no trace.
     *
     * @throws LockOrderViolationException under the throw policy
     */
    void checkOrder(RawLock lock, int mode, LockTracking tracking) {
        if (threadOwned && size == 0 && notices == null) {
            return; // the owning thread holds nothing: nothing to check (kept small, to be inlined)
        }
        checkOrder(lock, mode, tracking, false);
    }

    /**
     * {@link #checkOrder(RawLock, int, LockTracking)}; {@code resuming}: the acquirer's own hold of
     * {@code lock} is being resumed (a condition wait re-acquires it), so its entry does not count.
     */
    void checkOrder(RawLock lock, int mode, LockTracking tracking, boolean resuming) {
        int rank = tracking.rank;
        int policy = rankPolicy;
        if (rank == LockTracking.UNRANKED || policy == OFF) {
            return;
        }
        if (threadOwned) {
            // Only the owning thread acquires for itself, and only it writes the entries: plain reads.
            applyNotices();
            int n = size;
            if (n > 0) {
                int worst = worstConflict(locks, kinds, n, lock, mode, rank, resuming);
                if (worst >= 0) {
                    report(policy, locks[worst], lock, tracking);
                }
            }
            return;
        }
        for (;;) {
            int v = beginRead();
            int n = size;
            RawLock[] l = locks;
            int[] k = kinds;
            int worst = worstConflict(l, k, Math.min(n, Math.min(l.length, k.length)), lock, mode, rank, resuming);
            if (validRead(v)) {
                if (worst >= 0) {
                    report(policy, l[worst], lock, tracking);
                }
                return;
            }
        }
    }

    /**
     * The entry among the first {@code n} with the highest rank not below {@code rank}, other than a
     * hold of {@code lock} itself that the lock lets {@code mode} re-enter; {@code -1} if none.
     */
    private static int worstConflict(RawLock[] l, int[] k, int n, RawLock lock, int mode, int rank,
                                     boolean resuming) {
        int worst = -1;
        int worstRank = 0;
        for (int i = n - 1; i >= 0; i--) {
            RawLock held = l[i];
            if (held == null) {
                continue;
            }
            int heldRank = rankOf(held);
            if (heldRank == LockTracking.UNRANKED || heldRank < rank
                    || (held == lock && (resuming || lock.reentrant(k[i], mode)))) {
                continue;
            }
            if (worst < 0 || heldRank > worstRank) {
                worst = i;
                worstRank = heldRank;
            }
        }
        return worst;
    }

    /** A recorded lock's rank: only tracked locks are recorded, and a lock's tracking never changes. */
    private static int rankOf(RawLock held) {
        return held.tracking().rank;
    }

    private void report(int policy, RawLock held, RawLock acquired, LockTracking tracking) {
        LockTracking heldTracking = held.tracking();
        LockOrderViolationException e = new LockOrderViolationException(
                describeOwner(owner), held.identity(), heldTracking.rank, heldTracking.rankName,
                acquired.identity(), tracking.rank, tracking.rankName, held == acquired);
        if (policy == THROW) {
            throw e;
        }
        long pair = ((long) System.identityHashCode(held) << 32) | (System.identityHashCode(acquired) & 0xffffffffL);
        if (WARNED.size() < MAX_WARNED_PAIRS && WARNED.add(pair)) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage() + " (warned once per pair of locks)", e);
        }
    }

    // ---------------------------------------------------------------- holds

    /**
     * Records that this acquirer now holds {@code lock} as {@code kind} (a hold kind of the lock: its
     * exclusive mode, or a read lock's read, upgradable read or write).
     *
     * @return {@code false} if not recorded: another thread's holdings, which only that thread changes
     */
    boolean acquired(RawLock lock, int kind) {
        if (threadOwned && owner == Thread.currentThread() && notices == null && !captureSites
                && size < locks.length) {
            pushOwn(lock, kind);
            return true;
        }
        return acquiredSlowly(lock, kind);
    }

    /** The owning thread's common case: plain stores inside the sequence lock. */
    private void pushOwn(RawLock lock, int kind) {
        int n = size;
        int v = (int) VERSION.get(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence();
        locks[n] = lock;
        kinds[n] = kind;
        ids[n] = ++lastId;
        size = n + 1; // sites[n] is null already: every removal clears its slot
        VERSION.setRelease(this, v + 2);
    }

    private boolean acquiredSlowly(RawLock lock, int kind) {
        if (threadOwned && owner != Thread.currentThread()) {
            return false; // another thread's: only it writes here (an asynchronous upgrade of its guard)
        }
        applyNotices();
        Throwable site = captureSites ? new Throwable("acquired here") : null;
        beginWrite();
        try {
            int n = size;
            if (n == locks.length) {
                grow();
            }
            locks[n] = lock;
            kinds[n] = kind;
            ids[n] = ++lastId;
            if (site != null || sites != null) {
                if (sites == null) {
                    sites = new Throwable[locks.length];
                }
                sites[n] = site;
            }
            size = n + 1;
        } finally {
            endWrite();
        }
        return true;
    }

    /**
     * Records that one hold of {@code lock} as {@code kind} ended (or moved to another acquirer), on
     * whatever thread: the owning thread (or any thread, for a task) changes the entries itself;
     * another thread leaves a notice for the owning thread.
     */
    void released(RawLock lock, int kind) {
        int top = size - 1;
        if (threadOwned && owner == Thread.currentThread() && top >= 0 && locks[top] == lock && kinds[top] == kind) {
            popOwn(top);
            return;
        }
        releasedSlowly(lock, kind);
    }

    /** The owning thread releasing its latest hold, the common case. */
    private void popOwn(int top) {
        int v = (int) VERSION.get(this);
        VERSION.setOpaque(this, v + 1);
        VarHandle.storeStoreFence();
        locks[top] = null;
        if (sites != null) {
            sites[top] = null;
        }
        size = top;
        VERSION.setRelease(this, v + 2);
    }

    private void releasedSlowly(RawLock lock, int kind) {
        if (threadOwned && owner != Thread.currentThread()) {
            for (Notice head = notices; ; head = notices) {
                if (NOTICES.compareAndSet(this, head, new Notice(lock, kind, head))) {
                    return;
                }
            }
        }
        beginWrite();
        try {
            removeEntry(lock, kind);
        } finally {
            endWrite();
        }
    }

    /** Under write: removes the topmost entry for ({@code lock}, {@code kind}), if any. */
    private void removeEntry(RawLock lock, int kind) {
        for (int i = size - 1; i >= 0; i--) {
            if (locks[i] == lock && kinds[i] == kind) {
                int tail = size - 1 - i;
                if (tail > 0) {
                    System.arraycopy(locks, i + 1, locks, i, tail);
                    System.arraycopy(kinds, i + 1, kinds, i, tail);
                    System.arraycopy(ids, i + 1, ids, i, tail);
                    if (sites != null) {
                        System.arraycopy(sites, i + 1, sites, i, tail);
                    }
                }
                size--;
                locks[size] = null;
                if (sites != null) {
                    sites[size] = null;
                }
                return;
            }
        }
    }

    /** By the owning thread: applies the releases other threads left. */
    private void applyNotices() {
        if (!threadOwned || notices == null) {
            return;
        }
        Notice n = (Notice) NOTICES.getAndSet(this, null);
        if (n == null) {
            return;
        }
        beginWrite();
        try {
            for (; n != null; n = n.next) {
                removeEntry(n.lock, n.kind);
            }
        } finally {
            endWrite();
        }
    }

    private void grow() {
        int c = locks.length * 2;
        locks = Arrays.copyOf(locks, c);
        kinds = Arrays.copyOf(kinds, c);
        ids = Arrays.copyOf(ids, c);
        if (sites != null) {
            sites = Arrays.copyOf(sites, c);
        }
    }

    // ---------------------------------------------------------------- waits

    /** Records that this acquirer waits for {@code node}'s acquisition of {@code lock}. */
    void waitingFor(RawLock lock, Waiter node) {
        Wait w = new Wait(lock, node);
        if (threadOwned) {
            waits = new Wait[] {w};
            return;
        }
        beginWrite();
        try {
            List<Wait> kept = new ArrayList<>();
            for (Wait old : waits) {
                if (!old.isOver()) {
                    kept.add(old);
                }
            }
            kept.add(w);
            waits = kept.toArray(NO_WAITS);
        } finally {
            endWrite();
        }
    }

    /** The wait for {@code node} is over (granted, withdrawn or failed). */
    void doneWaiting(Waiter node) {
        if (threadOwned) {
            waits = NO_WAITS;
            return;
        }
        beginWrite();
        try {
            List<Wait> kept = new ArrayList<>();
            for (Wait old : waits) {
                if (old.node != node && !old.isOver()) {
                    kept.add(old);
                }
            }
            waits = kept.isEmpty() ? NO_WAITS : kept.toArray(NO_WAITS);
        } finally {
            endWrite();
        }
    }

    // ---------------------------------------------------------------- snapshots (the detector)

    /** One hold in a snapshot. */
    record Hold(HeldLocks holder, RawLock lock, int kind, long id, Throwable site) {
    }

    /** One wait: {@code node} queued for {@code lock}. */
    record Wait(RawLock lock, Waiter node) {
        /** Whether the node no longer waits in the lock's queue. */
        boolean isOver() {
            int s = node.status();
            return s == Waiter.GRANTED || s == Waiter.CLAIMED || s == Waiter.CANCELLED;
        }

        /** Whether the node stands in the lock's queue now. */
        boolean isQueued() {
            int s = node.status();
            return s == Waiter.WAITING || s == Waiter.WOKEN;
        }
    }

    /** A consistent copy of the holds, with the releases left by other threads already applied. */
    List<Hold> holds() {
        for (;;) {
            int v = beginRead();
            int n = size;
            RawLock[] l = locks;
            int[] k = kinds;
            long[] id = ids;
            Throwable[] s = sites;
            List<Hold> copy = new ArrayList<>(Math.max(0, n));
            int limit = Math.min(n, Math.min(l.length, Math.min(k.length, id.length)));
            for (int i = 0; i < limit; i++) {
                if (l[i] != null) {
                    copy.add(new Hold(this, l[i], k[i], id[i], s != null && i < s.length ? s[i] : null));
                }
            }
            if (validRead(v)) {
                for (Notice x = notices; x != null; x = x.next) {
                    for (int i = copy.size() - 1; i >= 0; i--) {
                        Hold h = copy.get(i);
                        if (h.lock == x.lock && h.kind == x.kind) {
                            copy.remove(i);
                            break;
                        }
                    }
                }
                return copy;
            }
        }
    }

    /** The waits recorded now (some may be over). */
    Wait[] waits() {
        return waits;
    }

    /** Every registered holdings object that is still reachable. */
    static List<HeldLocks> all() {
        expunge();
        List<HeldLocks> out = new ArrayList<>(REGISTRY.size());
        for (Registered r : REGISTRY) {
            HeldLocks h = r.get();
            if (h != null) {
                out.add(h);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- version: sequence lock / spin lock

    private void beginWrite() {
        if (threadOwned) {
            VERSION.setOpaque(this, version + 1);
            VarHandle.storeStoreFence();
            return;
        }
        int spins = 0;
        for (;;) {
            int v = version;
            if ((v & 1) == 0 && VERSION.compareAndSet(this, v, v + 1)) {
                return;
            }
            if (++spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void endWrite() {
        VERSION.setRelease(this, version + 1);
    }

    /** An even version to validate against, waiting while a write is under way. */
    private int beginRead() {
        for (int spins = 0; ; spins++) {
            int v = (int) VERSION.getAcquire(this);
            if ((v & 1) == 0) {
                return v;
            }
            if (spins < 64) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private boolean validRead(int v) {
        VarHandle.loadLoadFence();
        return (int) VERSION.getOpaque(this) == v;
    }

    // ---------------------------------------------------------------- settings and registry

    /**
     * The rank policy: {@link #OFF}, {@link #WARN} or {@link #THROW}.
     *
     * @return the policy
     */
    public static int rankPolicy() {
        return rankPolicy;
    }

    /**
     * Sets the rank policy.
     *
     * @param policy {@link #OFF}, {@link #WARN} or {@link #THROW}
     */
    public static void setRankPolicy(int policy) {
        rankPolicy = policy;
    }

    /**
     * Whether acquisitions of tracked locks record where they were made.
     *
     * @return the setting
     */
    public static boolean captureSites() {
        return captureSites;
    }

    /**
     * Makes acquisitions of tracked locks record where they were made (a stack trace, taken when the
     * hold is recorded), or stop doing so. Initially from {@code -Ddev.turnstile.lock.acquisitionSites}.
     *
     * @param on whether to record
     */
    public static void setCaptureSites(boolean on) {
        captureSites = on;
    }

    /**
     * The self-deadlock policy: {@link #OFF}, {@link #WARN} or {@link #THROW}.
     *
     * @return the policy
     */
    public static int selfDeadlockPolicy() {
        return selfDeadlockPolicy;
    }

    /**
     * Sets the self-deadlock policy.
     *
     * @param policy {@link #OFF}, {@link #WARN} or {@link #THROW}
     */
    public static void setSelfDeadlockPolicy(int policy) {
        selfDeadlockPolicy = policy;
    }

    /**
     * A thread has waited the grace, without a timeout, for {@code lock}, whose owner record still
     * names it: under {@link #THROW}, the exception to throw; under {@link #WARN}, {@code null} after
     * logging the first time for this lock; under {@link #OFF}, {@code null}.
     */
    static IllegalStateException selfWait(RawLock lock, Thread me) {
        int policy = selfDeadlockPolicy;
        if (policy == OFF) {
            return null;
        }
        String who = describeOwner(me);
        if (policy == THROW) {
            return new IllegalStateException(who + " already holds " + lock.identity() + " and would wait for itself"
                    + " forever: Turnstile locks are not reentrant (pass the guard down instead of locking again)");
        }
        if (SELF_WAIT_WARNED.size() < MAX_WARNED_PAIRS && SELF_WAIT_WARNED.add(System.identityHashCode(lock))) {
            LOG.log(System.Logger.Level.WARNING, who + " still waits for " + lock.identity() + ", which the owner"
                    + " record names it as holding: unless it handed the guard to another thread that has not used"
                    + " it yet, it waits for itself forever (Turnstile locks are not reentrant; warned once per lock)",
                    new Throwable("the waiting call"));
        }
        return null;
    }

    /** A policy from system property {@code name}: "off", "warn", or anything else for {@link #THROW}. */
    private static int policyFromProperty(String name) {
        String v = System.getProperty(name, "throw").trim();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "off" -> OFF;
            case "warn" -> WARN;
            default -> THROW;
        };
    }

    /** How diagnostics name an acquirer: a thread by name and id, a task by its own toString. */
    static String describeOwner(Object owner) {
        if (owner instanceof Thread t) {
            return (t.isVirtual() ? "virtual thread \"" : "thread \"") + t.getName() + "\" (#" + t.threadId() + ")";
        }
        return String.valueOf(owner);
    }

    private static void register(HeldLocks h) {
        expunge();
        REGISTRY.add(new Registered(h, COLLECTED));
    }

    private static void expunge() {
        for (Object r; (r = COLLECTED.poll()) != null; ) {
            REGISTRY.remove(r);
        }
    }

    /** A weak registry entry, equal only to itself. */
    private static final class Registered extends WeakReference<HeldLocks> {
        Registered(HeldLocks h, ReferenceQueue<HeldLocks> q) {
            super(h, q);
        }
    }

    /** A release made on a thread other than the owning one. */
    private record Notice(RawLock lock, int kind, Notice next) {
    }

    @Override
    public String toString() {
        return "HeldLocks[" + describeOwner(owner) + ", " + size + " held]";
    }

    private static final VarHandle VERSION;
    private static final VarHandle NOTICES;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            VERSION = l.findVarHandle(HeldLocks.class, "version", int.class);
            NOTICES = l.findVarHandle(HeldLocks.class, "notices", Notice.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
