package dev.turnstile.lock.park;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;

/** A callback waiter whose grant runs a given action; records a refused delivery. */
final class RecordingWaiter extends CallbackWaiter {
    private final Runnable onGrant;
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    RecordingWaiter(int mode, Executor executor, Runnable onGrant) {
        super(mode, executor);
        this.onGrant = onGrant;
    }

    @Override
    protected void onGrant() {
        onGrant.run();
    }

    @Override
    protected void onGrantFailed(Throwable cause) {
        failure.set(cause);
    }
}
