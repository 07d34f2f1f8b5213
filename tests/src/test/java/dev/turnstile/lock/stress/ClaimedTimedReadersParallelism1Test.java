package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * issue #8.2 on a scheduler of ONE carrier (the {@code parallelism-1} surefire execution): timed readers
 * admitted but not yet told must park, not spin, or the unmounted releaser never runs again. See
 * {@link ClaimedTimedReadersScenario}.
 */
class ClaimedTimedReadersParallelism1Test extends ClaimedTimedReadersScenario {
    @BeforeAll
    static void onlyOnASingleCarrier() {
        assumeTrue(carriers() == 1, "run by the parallelism-1 surefire execution");
    }

    @Test
    void timedReadersAdmittedBehindAnUnmountedReleaserNeverStarveIt() {
        timedReadersAdmittedBehindAnUnmountedReleaserNeverStarveItOfCarriers();
    }
}
