package dev.turnstile.lock.bench.run;

import org.HdrHistogram.Histogram;

/**
 * The workers' wait histograms of one scenario, one per worker, reused by every round (emptied at
 * its start). An auto-resizing HdrHistogram copies its counts into a larger array when a wait
 * outgrows them; with a fresh histogram per worker per round, that happened on the workers' own
 * threads inside the measured rounds, so the harness's allocation was counted against the lock
 * (B/op) and grew with the lock's tail. Reused, a histogram grows to fit once, in the warm-up.
 */
final class WaitHistograms {
    private final Histogram[] byWorker;

    WaitHistograms(int workers) {
        byWorker = new Histogram[workers];
        for (int i = 0; i < workers; i++) {
            byWorker[i] = new Histogram(3);
        }
    }

    /** Worker {@code id}'s histogram, emptied for a new round. */
    Histogram forWorker(int id) {
        Histogram h = byWorker[id];
        h.reset();
        return h;
    }
}
