package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;

import java.util.concurrent.Executor;

/** An asynchronous acquisition of a {@link Mutex}: its guard is a {@link MutexGuard}. */
final class MutexAcquisition<T> extends Acquisition<MutexGuard<T>> {
    MutexAcquisition(Executor executor, LockCallback<? super MutexGuard<T>> callback) {
        super(Mutex.EXCLUSIVE, executor, callback);
    }

    @Override
    @SuppressWarnings("unchecked") // submitted only by Mutex<T>.lockAsync and friends
    MutexGuard<T> newGuard() {
        Mutex<T> m = (Mutex<T>) lock();
        HeldLocks owner = owner();
        if (owner == null) {
            return new MutexGuard<>(m);
        }
        m.taskWaitOver(owner, this);
        return new MutexGuard<>(m, m.held(owner));
    }

    @Override
    void share(MutexGuard<T> guard) {
        guard.share();
    }

    @Override
    void release(MutexGuard<T> guard) {
        closeIfHeld(guard, guard.isHeld());
    }
}
