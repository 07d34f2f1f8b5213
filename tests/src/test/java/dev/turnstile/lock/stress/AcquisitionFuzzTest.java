package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link AcquisitionFuzz}: every acquisition kind mixed on one mutex with its condvar and one
 * read-write lock, from platform and virtual threads (on the default scheduler: as many carriers as
 * cores, two on CI), with interrupts, cancellations, timeouts and refusing executors. Bounded: about
 * six seconds of fuzzing. The seed is printed, and replayed with {@code -Dturnstile.fuzz.seed=…};
 * {@code -Dturnstile.fuzz.seconds=…} runs longer for a real hunt.
 */
class AcquisitionFuzzTest {
    @Test
    void everyAcquisitionKindMixedOnOneMutexCondvarAndRwLockKeepsExclusionProgressAndACleanEnd() throws Exception {
        assertFuzzesClean(3, 12);
    }

    /** Runs one fuzz round with the seed and budget from the system properties (or fresh ones) and checks it. */
    static void assertFuzzesClean(int platformWorkers, int virtualWorkers) throws InterruptedException {
        long seed = Long.getLong("turnstile.fuzz.seed", System.nanoTime());
        Duration budget = Duration.ofSeconds(Long.getLong("turnstile.fuzz.seconds", 6));
        AcquisitionFuzz.Settings settings = new AcquisitionFuzz.Settings(
                seed, platformWorkers, virtualWorkers, budget, Duration.ofSeconds(20));
        System.out.println("AcquisitionFuzz: " + settings);
        AcquisitionFuzz.Outcome outcome = AcquisitionFuzz.run(settings);
        System.out.println("AcquisitionFuzz: " + outcome.statistics());
        assertTrue(outcome.violations().isEmpty(), outcome.report());
        if (System.getProperty("turnstile.fuzz.ops", "").isBlank()) {
            outcome.operations().forEach((op, count) ->
                    assertTrue(count > 0, op + " never ran; " + outcome.report()));
        }
    }
}
