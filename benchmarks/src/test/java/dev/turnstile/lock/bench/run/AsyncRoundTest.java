package dev.turnstile.lock.bench.run;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.bench.contender.AsyncLockTable;
import dev.turnstile.lock.bench.contender.GuardedCounters;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The async mode measures the lock, not the pool: with acquisitions that never wait, every task
 * has progressed about as far as the first one to finish. The {@code ForkJoinPool} the mode used
 * before failed this (one or two tasks kept both threads while the rest did nothing, or a few
 * hundred operations each: see {@link AsyncRound#newPool}).
 */
class AsyncRoundTest {
    private static final int TASKS = 32;
    private static final int THREADS = 2;

    @Test
    void everyTaskProgressesWhileAnotherRunsItsOperations() throws InterruptedException {
        Scenario s = new Scenario("never-waits", 2, 0, WorkerKind.ASYNC, TASKS, 100_000, 1,
                TimeUnit.SECONDS.toNanos(30));
        ExecutorService pool = AsyncRound.newPool(THREADS);
        try (AsyncLockTable table = new NeverWaits(s.locks())) {
            RoundResult r = AsyncRound.run(table, s, pool, new WaitHistograms(TASKS), 42,
                    TimeUnit.SECONDS.toNanos(60));

            long[] progress = r.progressAtFirstFinish();
            String seen = "operations per task when the first finished: " + Arrays.toString(progress);
            assertTrue(Arrays.stream(progress).min().orElseThrow() > 0, "a task did nothing; " + seen);
            assertTrue(Fairness.jainIndex(progress) > 0.9, "Jain's index " + Fairness.jainIndex(progress) + "; " + seen);
        } finally {
            pool.shutdown();
        }
    }

    /** A lock table whose every acquisition is granted at once (the counters are not checked here). */
    private static final class NeverWaits implements AsyncLockTable {
        private static final CompletableFuture<Runnable> GRANTED = CompletableFuture.completedFuture(() -> { });
        private final GuardedCounters counters;

        NeverWaits(int locks) {
            counters = new GuardedCounters(locks);
        }

        @Override
        public CompletableFuture<Runnable> acquire(int slot) {
            return GRANTED;
        }

        @Override
        public GuardedCounters counters() {
            return counters;
        }
    }
}
