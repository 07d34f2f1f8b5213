package dev.turnstile.lock;

import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;

/**
 * The future that {@code lockAsync} returns: a view over one {@link Acquisition}, completed with the
 * guard when the lock is granted. See {@link AcquisitionFuture} for why a caller's completion can
 * never strand the lock. It is itself the acquisition's callback, so a queued {@code lockAsync} costs
 * this future and the node, nothing else.
 *
 * @param <G> the guard type
 */
class LockFuture<G> extends AcquisitionFuture<G> implements LockCallback<G> {
    final Acquisition<G> acquisition;

    LockFuture(Acquisition.Factory<G> factory, Executor executor) {
        this.acquisition = factory.create(executor, this);
    }

    /** A future granted on the caller's stack, without a queue node: complete, so never withdrawn. */
    private LockFuture(G guard) {
        this.acquisition = null;
        settleInternally(guard);
    }

    /**
     * The future of an acquisition that took a free lock at once, outside any grant delivery. Every
     * caller-side completion of it is refused (it is already complete), so it needs no node.
     */
    static <G> LockFuture<G> granted(G guard) {
        return new LockFuture<>(guard);
    }

    // ---------------------------------------------------------------- grant side

    @Override
    public final void onLocked(G guard) {
        if (settleInternally(guard)) {
            settled();
        } else {
            acquisition.release(guard); // the caller completed the future first
        }
    }

    @Override
    public final void onFailed(Throwable cause) {
        if (!isDone()) {
            withdraw();
            if (failInternally(cause)) {
                settled();
            }
        }
    }

    // ---------------------------------------------------------------- caller side

    @Override
    final boolean withdraw() {
        // acquisition is null only when granted at construction; then this is never called
        return acquisition == null || acquisition.withdrawForCaller();
    }

    @Override
    final void completedByCaller() {
        settled();
    }

    /** Runs once the future is complete, however; lets a timed future drop its deadline. */
    void settled() {
    }

    @Override
    public String toString() {
        return "LockFuture[" + (acquisition != null ? acquisition.target() + ", " : "") + super.toString() + "]";
    }

    /**
     * The future of {@code tryLockAsync}: a {@link LockFuture} with a deadline. When the deadline
     * passes first, the waiter is withdrawn (it leaves the queue at once, on the timer's thread) and
     * the future fails with {@link LockTimeoutException}. The deadline is cancelled as soon as the
     * future completes otherwise ({@link Deadlines}).
     */
    static final class Timed<G> extends LockFuture<G> {
        private volatile ScheduledFuture<?> deadline;

        Timed(Acquisition.Factory<G> factory, Executor executor) {
            super(factory, executor);
        }

        /**
         * Starts the deadline once the acquisition is submitted. A zero wait times out at once unless
         * the submission was granted.
         *
         * @param executor where the timeout's completion runs, or {@code null} for the timer's thread
         */
        void arm(long waitNanos, Duration wait, String lockName, Executor executor) {
            if (isDone()) {
                return;
            }
            if (waitNanos == 0) {
                timedOut(lockName, wait, executor);
                return;
            }
            deadline = Deadlines.schedule(() -> timedOut(lockName, wait, executor), waitNanos);
            if (isDone()) {
                settled(); // completed while arming: settled() may not have seen the deadline
            }
        }

        /** On the timer's thread: withdraw first (the same race as a cancel), then report. */
        private void timedOut(String lockName, Duration wait, Executor executor) {
            if (isDone() || !acquisition.cancel()) {
                return; // granted or completed first
            }
            LockTimeoutException timeout = new LockTimeoutException(lockName, wait);
            if (executor != null) {
                try {
                    executor.execute(() -> failInternally(timeout));
                    return;
                } catch (RuntimeException | Error refused) {
                    // report on this thread rather than not at all
                }
            }
            failInternally(timeout);
        }

        @Override
        void settled() {
            ScheduledFuture<?> d = deadline;
            if (d != null) {
                d.cancel(false); // leaves the timer's queue: nothing stays reachable until the deadline
            }
        }
    }
}
