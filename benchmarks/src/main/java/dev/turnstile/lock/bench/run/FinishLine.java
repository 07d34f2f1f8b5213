package dev.turnstile.lock.bench.run;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Per-worker progress, read at the moment the first worker finishes its round (or the round is
 * stopped at its time cap): how many operations each worker had completed by then is the fairness
 * measure (every worker ends with the same count, so counting at the end would say nothing). Each
 * worker's counter sits on its own cache lines. Also carries the round's stop signal.
 */
final class FinishLine {
    private static final int STRIDE = 16; // 128 bytes between counters: no false sharing
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] progress;
    private final int workers;
    private final AtomicBoolean crossed = new AtomicBoolean();
    private volatile long[] snapshot;
    private volatile boolean stopped;

    FinishLine(int workers) {
        this.workers = workers;
        this.progress = new long[(workers + 1) * STRIDE];
    }

    /** Worker {@code id} has completed {@code done} operations. */
    void advance(int id, long done) {
        COUNTS.setOpaque(progress, (id + 1) * STRIDE, done);
    }

    /** Stops the round: workers end after their current operation. Takes the snapshot if nobody has. */
    void stop() {
        finished();
        stopped = true;
    }

    /** Whether the round was stopped at its time cap. */
    boolean stopped() {
        return stopped;
    }

    /** Operations worker {@code id} completed; exact once it has ended. */
    long progress(int id) {
        return (long) COUNTS.getOpaque(progress, (id + 1) * STRIDE);
    }

    /** Worker {@code id} is done (or the round stopped); the first to call this takes the snapshot. */
    void finished() {
        if (crossed.compareAndSet(false, true)) {
            long[] s = new long[workers];
            for (int i = 0; i < workers; i++) {
                s[i] = (long) COUNTS.getOpaque(progress, (i + 1) * STRIDE);
            }
            snapshot = s;
        }
    }

    /** Operations per worker when the first one finished; valid once every worker is done. */
    long[] snapshot() {
        return snapshot;
    }
}
