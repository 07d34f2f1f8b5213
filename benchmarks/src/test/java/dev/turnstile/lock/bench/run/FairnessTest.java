package dev.turnstile.lock.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class FairnessTest {
    @Test
    void evenSharesScoreOne() {
        assertEquals(1.0, Fairness.jainIndex(new long[] {5, 5, 5, 5}), 1e-12);
    }

    @Test
    void oneWorkerTakingEverythingScoresOneOverN() {
        assertEquals(0.25, Fairness.jainIndex(new long[] {0, 12, 0, 0}), 1e-12);
    }

    @Test
    void nobodyHavingStartedIsNotUnfair() {
        assertEquals(1.0, Fairness.jainIndex(new long[] {0, 0}), 1e-12);
    }
}
