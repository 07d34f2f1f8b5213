package dev.turnstile.lock.reactor;

import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Signals a grant on a caller's {@link Scheduler}, like {@code publishOn}, but without an extra hop
 * when the grant is already being delivered there.
 *
 * <p>Reactor cannot say which scheduler the current thread belongs to (reactor-core #1177 was
 * declined), so "already there" is what this class can know for sure: the {@code immediate()}
 * scheduler, or a thread that is running a delivery this class dispatched to the same scheduler.
 * The second case is the one that matters for throughput: a continuation that runs on the scheduler
 * and releases the lock grants the next subscriber on the same thread (lock-core's trampoline keeps
 * that flat), and that grant is signalled there without queueing another task.
 */
final class SchedulerHop {
    /** The scheduler whose delivery the current thread is running, if any. */
    private static final ThreadLocal<Scheduler> RUNNING_ON = new ThreadLocal<>();

    private SchedulerHop() {
    }

    /** Whether signalling on {@code target} needs a task on it; {@code null} means "where granted". */
    static boolean isNeeded(Scheduler target) {
        return target != null && target != Schedulers.immediate() && RUNNING_ON.get() != target;
    }

    /** Marks the current thread as running a delivery on {@code target}; returns what to restore. */
    static Scheduler enter(Scheduler target) {
        Scheduler previous = RUNNING_ON.get();
        RUNNING_ON.set(target);
        return previous;
    }

    /** Ends the delivery started by {@link #enter}. */
    static void exit(Scheduler previous) {
        RUNNING_ON.set(previous);
    }
}
