package dev.turnstile.lock.reactor;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.PendingLock;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real {@link Acquirer} that counts which path each acquisition took and how it ended: taken at
 * once ({@link #takeIfFree}, no queue node), or submitted and then granted, withdrawn or failed; and
 * the grants the adapter released itself because its subscriber had gone. An optional hook runs
 * right after the fast path took a hold and before the adapter delivers it, to put a cancellation
 * exactly there.
 */
final class CountingAcquirer<G> extends Acquirer<G> {
    final LongAdder taken = new LongAdder();
    final LongAdder submitted = new LongAdder();
    final LongAdder granted = new LongAdder();
    final LongAdder withdrawn = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder released = new LongAdder();
    private final Acquirer<G> real;
    /** Runs after the fast path took a hold, before it is delivered; {@code null}: nothing. */
    volatile Runnable afterTaking;

    CountingAcquirer(Acquirer<G> real) {
        this.real = real;
    }

    @Override
    G takeIfFree(LockOwner owner) {
        G now = real.takeIfFree(owner);
        if (now != null) {
            taken.increment();
            Runnable hook = afterTaking;
            if (hook != null) {
                hook.run();
            }
        }
        return now;
    }

    @Override
    PendingLock submit(LockCallback<? super G> callback, LockOwner owner) {
        submitted.increment();
        PendingLock p = real.submit(new LockCallback<G>() {
            @Override
            public void onLocked(G guard) {
                granted.increment();
                callback.onLocked(guard);
            }

            @Override
            public void onFailed(Throwable cause) {
                failed.increment();
                callback.onFailed(cause);
            }
        }, owner);
        return new PendingLock() {
            @Override
            public boolean cancel() {
                boolean w = p.cancel();
                if (w) {
                    withdrawn.increment();
                }
                return w;
            }

            @Override
            public boolean isGranted() {
                return p.isGranted();
            }

            @Override
            public boolean isCancelled() {
                return p.isCancelled();
            }
        };
    }

    @Override
    void release(G granted) {
        released.increment();
        real.release(granted);
    }

    @Override
    String lockName() {
        return real.lockName();
    }
}
