package dev.turnstile.lock.park;

import java.util.concurrent.locks.LockSupport;

/**
 * A waiting thread, platform or virtual. It parks with the lock as the blocker (so thread dumps and
 * JFR's {@code jdk.ThreadPark} name the lock) and loops on its own status, so spurious returns from
 * {@code park} and permits left over from earlier unparks are harmless.
 */
final class ThreadWaiter extends Waiter {
    final Thread thread;

    ThreadWaiter(int mode, Thread thread) {
        super(mode);
        this.thread = thread;
    }

    @Override
    void signal(RawLock lock, int finalStatus) {
        setStatus(finalStatus);
        LockSupport.unpark(thread);
    }
}
