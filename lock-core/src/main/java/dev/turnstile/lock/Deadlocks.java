package dev.turnstile.lock;

import dev.turnstile.lock.park.DeadlockSearch;
import dev.turnstile.lock.park.HeldLocks;
import dev.turnstile.lock.park.LockTracking;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Deadlock detection over Turnstile locks, for every kind of waiter: platform and virtual threads,
 * asynchronous acquisitions, condition waiters waiting to re-acquire their mutex, readers and
 * upgradable readers. The JVM's own detector ({@code ThreadMXBean.findDeadlockedThreads()}) sees
 * platform threads that hold a mutex or a write lock; this one also sees holds of asynchronous tasks,
 * shared holds, virtual threads, and guards handed between threads.
 *
 * <pre>{@code
 * Mutex<Ledger> ledger = Mutex.builder().name("ledger").detectDeadlocks().build(l);   // per lock, or
 * Deadlocks.setEnabledByDefault(true);                                               // every lock built from now on
 *
 * for (Deadlock d : Deadlocks.detect()) {
 *     log.error(d.toString());
 * }
 * try (var watchdog = Deadlocks.watch(Duration.ofSeconds(10), d -> log.error(d.toString()))) {
 *     runServer();
 * }
 * }</pre>
 *
 * <h2>What is tracked</h2>
 * Only locks built with {@link LockBuilder#detectDeadlocks()} or a rank ({@link LockBuilder#rank(int)}),
 * or created while {@link #setEnabledByDefault detection is on by default} (initially from
 * {@code -Ddev.turnstile.lock.deadlockDetection=true}). Their acquisitions record who holds them and
 * who waits; other locks record nothing and cost nothing more. A cycle through a lock that is not
 * tracked is not found.
 *
 * <h2>Whose holds</h2>
 * A hold belongs to its acquirer: the thread for a blocking or virtual-thread acquisition, the
 * {@link LockOwner} passed to an asynchronous one (an asynchronous acquisition without an owner holds
 * nothing else and waits for nothing else, so it is never part of a cycle). A guard handed to another
 * thread belongs to that thread once used there (any method of the guard), so a handed-over guard is
 * not reported against the thread that gave it away. A task waits for every acquisition it has
 * queued: an owner stands for one task that waits for one thing at a time.
 *
 * <h2>Exactness</h2>
 * Nothing is stopped while the holds and queues are read. A cycle is reported only if every wait and
 * hold in it was seen twice, in two passes one after the other, which proves they all existed at one
 * moment: a cycle is a deadlock then, which only a timeout, an interrupt or a cancellation can end.
 */
public final class Deadlocks {
    private Deadlocks() {
    }

    /**
     * Every deadlock among the acquirers of tracked locks right now.
     *
     * @return the cycles found; empty if none
     */
    public static List<Deadlock> detect() {
        List<Deadlock> out = new ArrayList<>();
        for (List<DeadlockSearch.Link> cycle : DeadlockSearch.find()) {
            List<Deadlock.Link> links = new ArrayList<>(cycle.size());
            for (DeadlockSearch.Link l : cycle) {
                List<StackTraceElement> at = l.site() == null ? List.of() : sitesOf(l.site());
                links.add(new Deadlock.Link(l.waiter(), l.lock(), l.waitingMode(), l.holder(), l.heldMode(),
                        l.queuedAhead(), at));
            }
            out.add(new Deadlock(links));
        }
        return out;
    }

    /**
     * The acquisition site recorded as a throwable, without the leading frames of lock-core itself
     * (classes loaded from the same place as this one), so the first frame is the caller's.
     */
    private static List<StackTraceElement> sitesOf(Throwable site) {
        StackTraceElement[] frames = site.getStackTrace();
        int first = 0;
        while (first < frames.length && isLockCore(frames[first].getClassName())) {
            first++;
        }
        return Arrays.asList(frames).subList(first, frames.length);
    }

    private static boolean isLockCore(String className) {
        if (!className.startsWith("dev.turnstile.lock.")) {
            return false;
        }
        try {
            Class<?> c = Class.forName(className, false, Deadlocks.class.getClassLoader());
            java.security.CodeSource mine = Deadlocks.class.getProtectionDomain().getCodeSource();
            java.security.CodeSource its = c.getProtectionDomain().getCodeSource();
            return mine == null ? its == null : its != null && mine.getLocation().equals(its.getLocation());
        } catch (ClassNotFoundException | LinkageError | SecurityException e) {
            return false;
        }
    }

    /**
     * Checks for deadlocks every {@code interval} on a daemon thread, and reports each one found to
     * {@code listener} once (again only if it ends and comes back). The listener runs on that thread;
     * what it throws is logged and the watch goes on.
     *
     * @param interval how often to look
     * @param listener receives each new deadlock
     * @return the watchdog; closing it stops the checks
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public static Watchdog watch(Duration interval, Consumer<? super Deadlock> listener) {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(listener, "listener");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        Watchdog w = new Watchdog(Timeouts.saturatedNanos(interval), listener);
        w.thread.start();
        return w;
    }

    /**
     * Turns deadlock detection on (or off) for every lock created from now on, without a builder
     * setting of its own. Locks that exist keep what they were created with.
     *
     * @param enabled whether locks created from now on are tracked
     */
    public static void setEnabledByDefault(boolean enabled) {
        LockTracking.setTrackAll(enabled);
    }

    /**
     * Whether locks created now are tracked without asking.
     *
     * @return the default
     */
    public static boolean isEnabledByDefault() {
        return LockTracking.trackAll();
    }

    /**
     * Makes acquisitions of tracked locks record where they were made (a stack trace per acquisition,
     * which costs microseconds), so that reports say where each hold was taken; or stops it. Initially
     * from {@code -Ddev.turnstile.lock.acquisitionSites=true}.
     *
     * @param record whether to record acquisition sites from now on
     */
    public static void setRecordAcquisitionSites(boolean record) {
        HeldLocks.setCaptureSites(record);
    }

    /**
     * Whether acquisition sites are recorded.
     *
     * @return the setting
     */
    public static boolean isRecordingAcquisitionSites() {
        return HeldLocks.captureSites();
    }

    /** What a thread waiting for a lock it holds itself does ({@link #setSelfDeadlockPolicy}). */
    public enum SelfDeadlockPolicy {
        /** Do not check: wait as asked. */
        OFF,
        /** After the grace, keep waiting, and log a warning with the stack trace, once per lock. */
        WARN,
        /**
         * After the grace, leave the queue and throw {@link IllegalStateException}; nothing is held or
         * queued on its behalf (the default).
         */
        THROW
    }

    /**
     * Sets what a thread does when it waits, without a timeout, for a {@code Mutex} or a write lock
     * whose owner record names it (see "A thread that locks what it holds" in
     * {@code docs/diagnostics.md}). It first waits 500 ms, the time a guard it may have handed to
     * another thread has to be used or closed there; if the record still names it then,
     * {@link SelfDeadlockPolicy#THROW} (the default; initially from
     * {@code -Ddev.turnstile.lock.selfDeadlock=throw|warn|off}) fails instead of hanging, and
     * {@link SelfDeadlockPolicy#WARN} logs and keeps waiting, for code that hands guards to threads
     * that may keep them unused longer. The check runs only on the path that is about to park.
     *
     * @param policy the policy
     * @throws NullPointerException if {@code policy} is null
     */
    public static void setSelfDeadlockPolicy(SelfDeadlockPolicy policy) {
        HeldLocks.setSelfDeadlockPolicy(Objects.requireNonNull(policy, "policy").ordinal());
    }

    /**
     * The self-deadlock policy in force.
     *
     * @return the policy
     */
    public static SelfDeadlockPolicy selfDeadlockPolicy() {
        return SelfDeadlockPolicy.values()[HeldLocks.selfDeadlockPolicy()];
    }

    /** How reports name an acquirer: a thread by name and id, a task by its owner's name. */
    static String describe(Object acquirer) {
        if (acquirer instanceof Thread t) {
            return (t.isVirtual() ? "virtual thread \"" : "thread \"") + t.getName() + "\" (#" + t.threadId() + ")";
        }
        return String.valueOf(acquirer);
    }

    /** A periodic deadlock check, started by {@link #watch}; {@link #close()} stops it. */
    public static final class Watchdog implements AutoCloseable {
        private static final System.Logger LOG = System.getLogger("dev.turnstile.lock");

        private final long intervalNanos;
        private final Consumer<? super Deadlock> listener;
        private final Thread thread;
        private volatile boolean closed;

        private Watchdog(long intervalNanos, Consumer<? super Deadlock> listener) {
            this.intervalNanos = intervalNanos;
            this.listener = listener;
            this.thread = Thread.ofPlatform().daemon().name("turnstile-deadlock-watchdog").unstarted(this::run);
        }

        private void run() {
            Set<List<Object>> reported = new HashSet<>();
            while (!closed) {
                LockSupport.parkNanos(this, intervalNanos);
                if (closed) {
                    return;
                }
                Set<List<Object>> present = new HashSet<>();
                for (Deadlock d : detect()) {
                    List<Object> key = key(d);
                    present.add(key);
                    if (!reported.contains(key)) {
                        try {
                            listener.accept(d);
                        } catch (RuntimeException | Error e) {
                            LOG.log(System.Logger.Level.ERROR, "a deadlock listener failed", e);
                        }
                    }
                }
                reported = present; // a deadlock that ended and comes back is reported again
            }
        }

        /** A cycle by its acquirers and locks, rotated to start at the smallest identity hash. */
        private static List<Object> key(Deadlock d) {
            List<Object> parts = new ArrayList<>();
            for (Deadlock.Link l : d.links()) {
                parts.add(new Identity(l.waiter()));
                parts.add(new Identity(l.lock()));
            }
            int best = 0;
            for (int i = 2; i < parts.size(); i += 2) {
                if (parts.get(i).hashCode() < parts.get(best).hashCode()) {
                    best = i;
                }
            }
            List<Object> rotated = new ArrayList<>(parts.subList(best, parts.size()));
            rotated.addAll(parts.subList(0, best));
            return rotated;
        }

        /** Compares by identity (locks and owners do not define equality, but be safe). */
        private record Identity(Object o) {
            @Override
            public boolean equals(Object other) {
                return other instanceof Identity i && i.o == o;
            }

            @Override
            public int hashCode() {
                return System.identityHashCode(o);
            }
        }

        /**
         * Whether the watchdog is still checking.
         *
         * @return {@code false} once closed
         */
        public boolean isRunning() {
            return !closed && thread.isAlive();
        }

        /** Stops the checks; a check under way finishes (its reports are still delivered). */
        @Override
        public void close() {
            closed = true;
            LockSupport.unpark(thread);
        }
    }
}
