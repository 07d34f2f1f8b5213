package dev.turnstile.lock.bench.run;

/** Fairness arithmetic over per-worker operation counts. */
public final class Fairness {
    private Fairness() {
    }

    /**
     * Jain's fairness index, (Σx)² / (n·Σx²): 1 when every worker got the same share, 1/n when one
     * worker got everything. 1 for an all-zero input (nobody was favoured).
     */
    public static double jainIndex(long[] counts) {
        double sum = 0;
        double squares = 0;
        for (long c : counts) {
            sum += c;
            squares += (double) c * c;
        }
        return squares == 0 ? 1.0 : sum * sum / (counts.length * squares);
    }
}
