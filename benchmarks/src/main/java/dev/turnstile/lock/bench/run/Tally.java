package dev.turnstile.lock.bench.run;

import org.HdrHistogram.Histogram;

/** What one worker (thread or async task) counts during a round; read once the round is over. */
abstract class Tally {
    /** Wait time of each acquisition that found its lock held, in nanoseconds (see {@link WaitHistograms}). */
    final Histogram waits;
    /** Increments made. */
    long writes;
    /** Sum of the values read, so that reads cannot be optimised away. */
    long readSink;

    Tally(Histogram waits) {
        this.waits = waits;
    }
}
