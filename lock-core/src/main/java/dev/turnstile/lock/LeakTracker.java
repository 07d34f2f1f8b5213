package dev.turnstile.lock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The leak detector's record of one tracked guard ({@link LeakDetection}), and the {@link Cleaner}
 * action that reports it.
 *
 * <h2>Why a side table, not a field</h2>
 * Guards are 24 bytes and stay so (a field for the tracker would make every escaping guard 32, with
 * detection off). A tracked guard is found at its release through {@link #TRACKED}, keyed by the
 * guard's identity and holding it only weakly; guards are released through {@link #forget}, which
 * with no tracked guard alive reads one static field and returns ({@link #live}).
 *
 * <h2>Races</h2>
 * The record references the lock, never the guard strongly, so the guard can become unreachable.
 * Whichever of the release and the cleaner's run comes first decides, by one compare-and-set: a
 * released record never reports. The guard's release keeps the guard reachable until the record is
 * settled ({@link Reference#reachabilityFence}), or the cleaner could find it unreachable in the
 * middle of its own close.
 */
final class LeakTracker implements Runnable {
    private static final int TRACKING = 0;
    private static final int DONE = 1;

    /** Tracked guards by identity, until released or collected. */
    private static final ConcurrentHashMap<Key, LeakTracker> TRACKED = new ConcurrentHashMap<>();
    /** How many records are in {@link #TRACKED}; 0 lets every release skip the table. */
    private static volatile int live;

    private final Key key;
    private final Object lock;
    private final String guardType;
    private final Throwable acquiredAt;
    private volatile int state;
    private Cleaner.Cleanable cleanable;

    private LeakTracker(Key key, Object lock, String guardType, Throwable acquiredAt) {
        this.key = key;
        this.lock = lock;
        this.guardType = guardType;
        this.acquiredAt = acquiredAt;
    }

    /**
     * Tracks {@code guard} if this acquisition is sampled: decided now, or, for a guard a grant makes,
     * when its asynchronous acquisition was asked for ({@link LeakDetection#asyncSite()}).
     */
    static void start(Object guard, Object lock, int levelOrdinal) {
        Object site = LeakDetection.takeNextGuardSite();
        Throwable stack;
        if (site == null) {
            if (!LeakDetection.sampled(levelOrdinal)) {
                return;
            }
            stack = LeakDetection.recordsStacks() ? new Throwable("acquired here") : null;
        } else if (site == LeakDetection.NOT_SAMPLED) {
            return; // the asynchronous acquisition this guard comes from was not sampled
        } else {
            stack = site instanceof Throwable askedAt ? askedAt : null; // where it was asked for
        }
        Key key = new Key(guard);
        LeakTracker tracker = new LeakTracker(key, lock, guard.getClass().getSimpleName(), stack);
        LIVE.getAndAdd(1);
        TRACKED.put(key, tracker);
        tracker.cleanable = Reaper.CLEANER.register(guard, tracker);
    }

    /**
     * The guard gave its hold up (closed, upgraded, downgraded, consumed): if it is tracked, it is
     * never reported, and leaves the table and the cleaner's list now. One static read when nothing
     * is tracked.
     */
    static void forget(Object guard) {
        if (live != 0) {
            forgetTracked(guard);
        }
    }

    private static void forgetTracked(Object guard) {
        LeakTracker t = TRACKED.get(new Key(guard));
        if (t != null && t.settle()) {
            t.cleanable.clean(); // runs run() now, which finds DONE; deregisters the guard
        }
        Reference.reachabilityFence(guard);
    }

    /** The cleaner's action: the guard is unreachable; report unless it was released. */
    @Override
    public void run() {
        if (settle()) {
            LeakDetection.report(new LeakDetection.Leak(lock, guardType, acquiredAt));
        }
    }

    /** Claims this record for whoever comes first, and takes it out of the table. */
    private boolean settle() {
        if (!STATE.compareAndSet(this, TRACKING, DONE)) {
            return false;
        }
        TRACKED.remove(key, this);
        LIVE.getAndAdd(-1);
        return true;
    }

    /** A guard's identity, held weakly: equal to another key of the same guard while it lives. */
    private static final class Key extends WeakReference<Object> {
        private final int hash;

        Key(Object guard) {
            super(guard);
            this.hash = System.identityHashCode(guard);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            if (o == this) {
                return true;
            }
            if (!(o instanceof Key k) || k.hash != hash) {
                return false;
            }
            Object referent = get();
            return referent != null && referent == k.get();
        }
    }

    /** The cleaner and its daemon thread, created the first time a guard is tracked. */
    private static final class Reaper {
        static final Cleaner CLEANER = Cleaner.create(task -> {
            Thread t = new Thread(task, "turnstile-leak-detector");
            t.setDaemon(true);
            return t;
        });
    }

    private static final VarHandle STATE;
    private static final VarHandle LIVE;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(LeakTracker.class, "state", int.class);
            LIVE = l.findStaticVarHandle(LeakTracker.class, "live", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
