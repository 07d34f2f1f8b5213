package com.example.app;

import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.RawLock;

/** A lock type of the application's own, built on Turnstile's exported parking core: n permits. */
final class Permits extends RawLock {
    private static final int TAKE = 0;
    private final int permits;

    Permits(int permits) {
        super(LockConfig.DEFAULT);
        this.permits = permits;
    }

    void acquire() {
        acquireBlocking(TAKE, false, -1L);
    }

    boolean tryAcquire() {
        return tryAcquire(TAKE, false);
    }

    void release() {
        release(TAKE, false);
    }

    int waiting() {
        return queueLength();
    }

    @Override
    protected boolean canAcquire(int lockBits, int mode) {
        return lockBits < permits;
    }

    @Override
    protected int acquired(int lockBits, int mode) {
        return lockBits + 1;
    }

    @Override
    protected int released(int lockBits, int mode) {
        return lockBits - 1;
    }
}
