package dev.turnstile.lock.bench.contender;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * Test-and-test-and-set spin lock: the classic foil of every lock benchmark. Waiters spin reading the
 * word (so they spin in their own cache) and CAS only when it looks free. It never parks; to stay
 * usable with more threads than cores it yields the processor every {@value #SPINS_BEFORE_YIELD}
 * failed looks, which is what practical spin locks do (a pure spinner whose holder was descheduled
 * burns whole time slices). Not reentrant, no owner check: a benchmark foil, not a library lock.
 */
public final class TtasSpinLock implements Lock {
    private static final int SPINS_BEFORE_YIELD = 128;

    private volatile int locked;

    /** Whether the lock is held right now (the benchmark's wait probe). */
    public boolean isLocked() {
        return locked != 0;
    }

    @Override
    public void lock() {
        int spins = 0;
        while (!tryLock()) {
            while (locked != 0) {
                if (++spins % SPINS_BEFORE_YIELD == 0) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
        }
    }

    @Override
    public boolean tryLock() {
        return locked == 0 && LOCKED.compareAndSet(this, 0, 1);
    }

    @Override
    public void unlock() {
        LOCKED.setRelease(this, 0);
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        while (!tryLock()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            Thread.onSpinWait();
        }
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(time);
        while (!tryLock()) {
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /** A spin lock has no wait queue to put a condition on. */
    @Override
    public Condition newCondition() {
        throw new UnsupportedOperationException("TtasSpinLock has no conditions");
    }

    private static final VarHandle LOCKED;

    static {
        try {
            LOCKED = MethodHandles.lookup().findVarHandle(TtasSpinLock.class, "locked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
