package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link AcquisitionFuzz} with every virtual thread on ONE carrier (the {@code parallelism-1} surefire
 * execution): releasers that unmount in a contended executor, timed waiters admitted behind them, and
 * grants to virtual threads that must first get the carrier (ANCHORS, "Virtual threads").
 */
class AcquisitionFuzzParallelism1Test {
    @BeforeAll
    static void onlyOnASingleCarrier() {
        assumeTrue("1".equals(System.getProperty("jdk.virtualThreadScheduler.parallelism")),
                "run by the parallelism-1 surefire execution");
    }

    @Test
    void everyAcquisitionKindMixedOnOneCarrierKeepsExclusionProgressAndACleanEnd() throws Exception {
        AcquisitionFuzzTest.assertFuzzesClean(2, 12);
    }
}
