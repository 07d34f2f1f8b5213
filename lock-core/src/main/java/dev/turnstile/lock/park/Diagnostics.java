package dev.turnstile.lock.park;

import dev.turnstile.lock.LockStatistics;

/**
 * What the core records about a lock's acquisitions, waits and holds, for per-lock statistics
 * ({@link StatisticsRecorder}) and JFR events ({@link JfrEvents}). {@link RawLock} calls in here at a
 * few named points, all off the uncontended fast path of a lock that nobody observes:
 * <ul>
 *   <li>{@link #waitBegins}/{@link #waitEnds}: on the contended path, where the waiter is about to spin
 *       or queue. With statistics off and the JFR event disabled this is a few reads and no clock.</li>
 *   <li>{@link #acquired}/{@link #released}: only for a lock whose {@code PROFILED} bit is set. The bit
 *       lives in the state word, so every lock-specific fast path (one compare-and-set from an exact
 *       word) fails on a profiled lock and takes the core's paths, which call here; an unprofiled
 *       lock's fast paths do no new work at all.</li>
 * </ul>
 *
 * <h2>When a lock is profiled</h2>
 * From its construction if it keeps statistics; otherwise from the first contended acquisition that
 * finds the JFR long-hold event enabled, until the first uncontended release that finds it disabled
 * again. A long hold of a lock that nobody waited for is therefore not reported: timing every hold of
 * every lock while the event is enabled would need a check on every fast path and side state for every
 * lock, and a hold that kept nobody waiting cost nobody anything.
 *
 * <h2>Which holds are timed</h2>
 * Exclusive ones ({@link RawLock#heldExclusively}): the start of an exclusive hold can be kept per lock
 * ({@link LockProbe}), since there is one holder at a time. Shared holds (an {@code RwLock}'s readers)
 * are counted but not timed: their starts would need a field in every guard and every {@code with…}
 * frame.
 */
final class Diagnostics {
    /** Whether the {@code jdk.jfr} module is in this runtime (lock-core reads it only if so). */
    static final boolean JFR = jfrModulePresent();

    static {
        if (JFR) {
            JfrEvents.prepare(); // with the core's classes: no virtual thread waits for it later
        }
    }

    // How a contended acquisition ended (the first three hold the lock).
    static final int HANDED_OFF = 0;
    static final int WON_BEFORE_QUEUING = 1;
    static final int WON_AFTER_WAKE_UP = 2;
    static final int TIMED_OUT = 3;
    static final int INTERRUPTED = 4;
    static final int CANCELLED = 5;
    private static final String[] OUTCOMES = {
        "handed off", "won before queuing", "won after wake-up", "timed out", "interrupted", "cancelled"};

    // Who waited.
    static final int PLATFORM_THREAD = 0;
    static final int VIRTUAL_THREAD = 1;
    static final int ASYNC = 2;
    private static final String[] KINDS = {"platform thread", "virtual thread", "async"};

    private Diagnostics() {
    }

    /** The wait queue of a lock built with statistics: created with it, profiled from the start. */
    static WaitQueue queueWithStatistics(LockConfig config) {
        WaitQueue q = new WaitQueue(config);
        q.installProbe(new LockProbe(new StatisticsRecorder(config.clock())));
        return q;
    }

    // ---------------------------------------------------------------- the contended path

    /**
     * A contended acquisition begins (the first attempt failed; the waiter is about to spin or queue).
     *
     * @return its trace, or {@code null} when neither statistics nor the JFR event want it
     */
    static WaitTrace waitBegins(RawLock lock) {
        Object event = null;
        if (JFR) {
            if (JfrEvents.longHoldEnabled()) {
                profile(lock);
            }
            event = JfrEvents.beginContended();
        }
        StatisticsRecorder stats = statistics(lock);
        if (stats == null && event == null) {
            return null;
        }
        return new WaitTrace(stats != null ? stats.now() : 0L, event);
    }

    /** A contended acquisition ended with {@code outcome}; if it holds the lock, its hold begins. */
    static void waitEnds(RawLock lock, WaitTrace trace, int mode, int outcome, int kind) {
        boolean holds = outcome <= WON_AFTER_WAKE_UP;
        if (trace != null) {
            StatisticsRecorder stats = statistics(lock);
            if (stats != null) {
                if (holds) {
                    stats.waited(stats.now() - trace.since);
                } else {
                    stats.abandoned();
                }
            }
            if (trace.event != null) {
                JfrEvents.endContended(trace.event, lock, mode, KINDS[kind], OUTCOMES[outcome]);
            }
        }
        if (holds) {
            acquired(lock);
        }
    }

    static int threadKind() {
        return Thread.currentThread().isVirtual() ? VIRTUAL_THREAD : PLATFORM_THREAD;
    }

    // ---------------------------------------------------------------- holds (profiled locks only)

    /** The caller has just acquired {@code lock} (in any mode). Does nothing unless it is profiled. */
    static void acquired(RawLock lock) {
        int s = lock.state();
        if ((s & RawLock.PROFILED) == 0) {
            return;
        }
        LockProbe p = probe(lock); // installed before the bit was set
        StatisticsRecorder stats = p.statistics;
        if (stats != null) {
            stats.acquired();
        }
        if (lock.heldExclusively(s & ~RawLock.CORE_BITS)) {
            if (stats != null) {
                p.holdSince = stats.now();
                p.holdTimed = true;
            }
            if (JFR && JfrEvents.longHoldEnabled()) {
                if (p.holdEvent == null) {
                    p.holdEvent = JfrEvents.newHold(lock);
                }
                JfrEvents.beginHold(p.holdEvent);
                p.holdEventBegun = true;
            }
        }
    }

    /**
     * The holder of a profiled lock is about to release; {@code s} is the state word it read, with
     * {@code PROFILED} set. Ends an exclusive hold that was timed.
     */
    static void released(RawLock lock, int s) {
        if (!lock.heldExclusively(s & ~RawLock.CORE_BITS)) {
            return;
        }
        LockProbe p = probe(lock);
        boolean timed = p.holdTimed;
        boolean begun = p.holdEventBegun;
        p.holdTimed = false;
        p.holdEventBegun = false;
        if (timed) {
            p.statistics.held(p.statistics.now() - p.holdSince);
        }
        if (begun) {
            JfrEvents.endHold(p.holdEvent);
        }
    }

    /** Whether a profiled lock still has a reason to be: {@code false} lets a release clear the bit. */
    static boolean staysProfiled(RawLock lock) {
        return statistics(lock) != null || JFR && JfrEvents.longHoldEnabled();
    }

    /** Sets {@code lock}'s {@code PROFILED} bit, its probe first. */
    private static void profile(RawLock lock) {
        WaitQueue q = lock.waitQueue();
        if (q.probe() == null) {
            q.installProbe(new LockProbe(null));
        }
        for (int s = lock.state(); (s & RawLock.PROFILED) == 0 && !lock.casWord(s, s | RawLock.PROFILED);
                s = lock.state()) {
            // the word moved: read it again
        }
    }

    // ---------------------------------------------------------------- asynchronous waiters

    /** Outside the guard, before the grant is delivered: {@code w} now holds {@code lock}. */
    static void granted(RawLock lock, CallbackWaiter w) {
        waitEnds(lock, w.trace, w.mode, HANDED_OFF, ASYNC);
    }

    /** {@code w} was withdrawn from {@code lock}'s queue. */
    static void withdrawn(RawLock lock, CallbackWaiter w) {
        if (w.trace != null) {
            waitEnds(lock, w.trace, w.mode, CANCELLED, ASYNC);
        }
    }

    // ---------------------------------------------------------------- reading

    static StatisticsRecorder statistics(RawLock lock) {
        LockProbe p = probe(lock);
        return p != null ? p.statistics : null;
    }

    static LockStatistics snapshot(RawLock lock) {
        StatisticsRecorder stats = statistics(lock);
        return stats == null ? null : stats.snapshot(lock.config().name(), lock.queueLength());
    }

    private static LockProbe probe(RawLock lock) {
        WaitQueue q = lock.waitQueueIfPresent();
        return q != null ? q.probe() : null;
    }

    /**
     * Whether {@code jdk.jfr} is in the boot layer. lock-core requires it {@code static}: when it is
     * present but this module was resolved without reading it (an application module that does not
     * require it), the read edge is added here, before any class that names JFR is loaded.
     */
    private static boolean jfrModulePresent() {
        try {
            Module jfr = ModuleLayer.boot().findModule("jdk.jfr").orElse(null);
            if (jfr == null) {
                return false;
            }
            Module self = Diagnostics.class.getModule();
            if (self.isNamed() && !self.canRead(jfr)) {
                self.addReads(jfr);
            }
            return true;
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
