package dev.turnstile.lock;

import java.util.Date;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;

/**
 * {@code Mutex.asLock().newCondition()}: a {@link Condition} over a {@link Condvar}, with the j.u.c
 * ownership rules of the {@link MutexLockView} it belongs to: awaiting or signalling without holding
 * the lock through the view throws {@link IllegalMonitorStateException}. Unlike
 * {@code AbstractQueuedSynchronizer}'s conditions it has no spurious wake-ups, and a signal moves
 * the waiter onto the mutex's queue instead of waking it.
 */
final class MutexCondition implements Condition {
    private final MutexLockView view;
    private final Mutex<?> mutex;
    private final Condvar condvar = new Condvar();

    MutexCondition(MutexLockView view, Mutex<?> mutex) {
        this.view = view;
        this.mutex = mutex;
    }

    @Override
    public void await() throws InterruptedException {
        awaitNanosOrForever(true, -1L);
    }

    @Override
    public void awaitUninterruptibly() {
        try {
            awaitNanosOrForever(false, -1L);
        } catch (InterruptedException impossible) {
            throw new AssertionError(impossible);
        }
    }

    @Override
    public long awaitNanos(long nanosTimeout) throws InterruptedException {
        long deadline = System.nanoTime() + Math.max(0L, nanosTimeout);
        awaitNanosOrForever(true, Math.max(0L, nanosTimeout));
        return deadline - System.nanoTime();
    }

    @Override
    public boolean await(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        return Condvar.notified(awaitNanosOrForever(true, Math.max(0L, unit.toNanos(time))));
    }

    @Override
    public boolean awaitUntil(Date deadline) throws InterruptedException {
        long now = System.currentTimeMillis();
        long at = deadline.getTime();
        long millis = at <= now ? 0L : at - now; // no wrap-around for deadlines far in the past
        return Condvar.notified(awaitNanosOrForever(true, TimeUnit.MILLISECONDS.toNanos(millis)));
    }

    private int awaitNanosOrForever(boolean interruptible, long nanos) throws InterruptedException {
        view.checkOwner();
        Thread me = view.releaseOwnership();
        try {
            return condvar.awaitOn(mutex, interruptible, nanos);
        } finally {
            view.restoreOwnership(me); // the mutex is held again on every path out of awaitOn
        }
    }

    @Override
    public void signal() {
        view.checkOwner();
        condvar.notifyOne();
    }

    @Override
    public void signalAll() {
        view.checkOwner();
        condvar.notifyAllWaiters();
    }

    @Override
    public String toString() {
        return "Condition of " + view + " over " + condvar;
    }
}
