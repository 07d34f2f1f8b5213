package dev.turnstile.lock.stress;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Counts that must come out exact when many threads hammer a few mutexes (issue #2, section 4). A
 * lost update means two holders at once; a hang (caught by the preemptive timeout) means a lost
 * wake-up or a stranded grant.
 */
class MutexStressTest {
    private static final Duration BOUND = Duration.ofMinutes(2);
    private static final int PLATFORM_THREADS = 8;
    private static final int INCREMENTS_PER_PLATFORM_THREAD = 1_000_000;
    /**
     * FIFO hands every contended release to a parked thread, one scheduling delay per acquisition
     * (the lock convoy, about 10 us on two cores): a million each would take minutes, so FIFO gets
     * fewer increments. The point there is the hand-off path, which still runs tens of thousands of times.
     */
    private static final int FIFO_INCREMENTS_PER_PLATFORM_THREAD = 20_000;
    private static final int VIRTUAL_THREADS = 10_000;
    private static final int VIRTUAL_MUTEXES = 4;
    private static final int INCREMENTS_PER_VIRTUAL_THREAD = 10;

    @ParameterizedTest
    @EnumSource(value = Fairness.class, names = {"EVENTUAL", "BARGING"})
    void eightPlatformThreadsTimesAMillionIncrementsGiveTheExactSum(Fairness fairness) {
        Mutex<long[]> counter = Mutex.builder().fairness(fairness).name("counter").build(new long[1]);
        runPlatformIncrementers(counter, INCREMENTS_PER_PLATFORM_THREAD);
        assertEquals((long) PLATFORM_THREADS * INCREMENTS_PER_PLATFORM_THREAD, total(counter));
    }

    @Test
    void eightPlatformThreadsOnAFifoMutexGiveTheExactSumThroughHandOffs() {
        Mutex<long[]> counter = Mutex.builder().fairness(Fairness.FIFO).name("fifo-counter").build(new long[1]);
        runPlatformIncrementers(counter, FIFO_INCREMENTS_PER_PLATFORM_THREAD);
        assertEquals((long) PLATFORM_THREADS * FIFO_INCREMENTS_PER_PLATFORM_THREAD, total(counter));
        // The count is only meaningful if the grant path really ran.
        assertTrue(counter.waitQueueIfPresent().handOffs() > 0, "a contended FIFO mutex hands off");
        assertFalse(counter.isLocked());
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void tenThousandVirtualThreadsOnAFewMutexesGiveTheExactSums(Fairness fairness) {
        List<Mutex<long[]>> counters = new ArrayList<>();
        for (int m = 0; m < VIRTUAL_MUTEXES; m++) {
            counters.add(Mutex.builder().fairness(fairness).name("vt-counter-" + m).build(new long[1]));
        }
        assertTimeoutPreemptively(BOUND, () -> {
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> tasks = new ArrayList<>(VIRTUAL_THREADS);
                for (int t = 0; t < VIRTUAL_THREADS; t++) {
                    Mutex<long[]> counter = counters.get(t % VIRTUAL_MUTEXES);
                    tasks.add(executor.submit(() -> {
                        for (int i = 0; i < INCREMENTS_PER_VIRTUAL_THREAD; i++) {
                            try (MutexGuard<long[]> g = counter.lock()) {
                                long seen = g.get()[0];
                                // Unmount while holding: other virtual threads run and must queue.
                                Thread.yield();
                                g.get()[0] = seen + 1;
                            }
                        }
                    }));
                }
                for (Future<?> task : tasks) {
                    task.get(); // rethrows a failure of any task
                }
            }
        });
        long expectedPerMutex = (long) VIRTUAL_THREADS / VIRTUAL_MUTEXES * INCREMENTS_PER_VIRTUAL_THREAD;
        for (Mutex<long[]> counter : counters) {
            assertEquals(expectedPerMutex, total(counter), counter.name());
            assertContended(counter);
            assertFalse(counter.isLocked(), counter.name());
            assertEquals(0, counter.queueLength(), counter.name());
        }
    }

    private static void runPlatformIncrementers(Mutex<long[]> counter, int incrementsPerThread) {
        assertTimeoutPreemptively(BOUND, () -> {
            // Without a common start, the first threads finish before the last ones exist: no contention.
            CountDownLatch startGate = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < PLATFORM_THREADS; t++) {
                threads.add(Thread.ofPlatform().name("incrementer-" + t).start(() -> {
                    awaitUninterruptibly(startGate);
                    for (int i = 0; i < incrementsPerThread; i++) {
                        try (MutexGuard<long[]> g = counter.lock()) {
                            g.get()[0]++;
                        }
                    }
                }));
            }
            startGate.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
        });
        assertContended(counter);
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static long total(Mutex<long[]> counter) {
        return counter.withLock(c -> c[0]);
    }
}
