package dev.turnstile.lock.stress;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Platform and virtual threads wait on the same mutexes while all virtual threads share ONE carrier
 * (run by the {@code parallelism-1} surefire execution with
 * {@code -Djdk.virtualThreadScheduler.parallelism=1 -Djdk.virtualThreadScheduler.maxPoolSize=1}).
 *
 * <p>The scenario behind it (ANCHORS, "Virtual threads"): a grant to an unmounted virtual thread is
 * only as live as the carrier pool. Netflix's outage had every carrier pinned while the next-in-line
 * virtual thread could never mount; Netty #13204 had an event loop that was the only carrier of the
 * virtual threads sharing its lock. Here virtual holders unmount while holding (they yield inside the
 * critical section), FIFO hands the lock to virtual threads that must first get the single carrier,
 * and platform threads queue among them. Every thread must finish, with exact counts.
 */
class MixedWaitersParallelism1Test {
    private static final Duration BOUND = Duration.ofSeconds(60);
    private static final int MUTEXES = 3;
    private static final int PLATFORM_THREADS = 4;
    private static final int VIRTUAL_THREADS = 200;
    private static final int ROUNDS_PER_THREAD = 500;

    @BeforeAll
    static void onlyOnASingleCarrier() {
        assumeTrue("1".equals(System.getProperty("jdk.virtualThreadScheduler.parallelism")),
                "run by the parallelism-1 surefire execution");
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void mixedPlatformAndVirtualWaitersOnSharedMutexesAllFinish(Fairness fairness) {
        List<Mutex<long[]>> counters = new ArrayList<>();
        for (int m = 0; m < MUTEXES; m++) {
            counters.add(Mutex.builder().fairness(fairness).name("shared-" + m).build(new long[1]));
        }
        Set<String> carriers = ConcurrentHashMap.newKeySet();
        assertTimeoutPreemptively(BOUND, () -> {
            CountDownLatch startGate = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < PLATFORM_THREADS + VIRTUAL_THREADS; t++) {
                boolean virtual = t >= PLATFORM_THREADS;
                int seed = t;
                Runnable body = () -> {
                    awaitQuietly(startGate);
                    if (virtual) {
                        carriers.add(carrierOf(Thread.currentThread()));
                    }
                    for (int round = 0; round < ROUNDS_PER_THREAD; round++) {
                        oneRound(counters, seed + round, virtual);
                    }
                };
                threads.add(virtual ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body));
            }
            threads.forEach(Thread::start);
            startGate.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
        });
        assertEquals(1, carriers.size(), "all virtual threads ran on one carrier: " + carriers);
        long total = 0;
        for (Mutex<long[]> counter : counters) {
            assertFalse(counter.isLocked(), counter.name());
            assertEquals(0, counter.queueLength(), counter.name());
            assertContended(counter);
            total += counter.withLock(c -> c[0]);
        }
        long expected = 0;
        for (int t = 0; t < PLATFORM_THREADS + VIRTUAL_THREADS; t++) {
            for (int round = 0; round < ROUNDS_PER_THREAD; round++) {
                expected += secondIndex(t + round) < 0 ? 1 : 2;
            }
        }
        assertEquals(expected, total);
    }

    /**
     * The mutex a round locks while holding its first one, or -1: every third round, the next mutex
     * up. Locks are only ever nested upwards, so no cycle (deadlock) can form.
     */
    private static int secondIndex(int step) {
        int first = step % MUTEXES;
        return step % 3 == 0 && first + 1 < MUTEXES ? first + 1 : -1;
    }

    /** One critical section through a different acquisition path each time, sometimes nesting a second lock. */
    private static void oneRound(List<Mutex<long[]>> counters, int step, boolean virtual) {
        Mutex<long[]> first = counters.get(step % MUTEXES);
        int second = secondIndex(step);
        switch (step % 4) {
            case 0 -> {
                try (MutexGuard<long[]> g = first.lock()) {
                    incrementHolding(g, virtual);
                    incrementNested(counters, second);
                }
            }
            case 1 -> {
                Optional<MutexGuard<long[]>> guard;
                do {
                    guard = first.tryLock(Duration.ofMillis(1));
                } while (guard.isEmpty());
                try (MutexGuard<long[]> g = guard.get()) {
                    incrementHolding(g, virtual);
                    incrementNested(counters, second);
                }
            }
            case 2 -> {
                try (MutexGuard<long[]> g = lockInterruptiblyOrFail(first)) {
                    incrementHolding(g, virtual);
                    incrementNested(counters, second);
                }
            }
            default -> first.withLock(c -> {
                c[0]++;
                incrementNested(counters, second);
                return null;
            });
        }
    }

    private static void incrementNested(List<Mutex<long[]>> counters, int index) {
        if (index >= 0) {
            counters.get(index).update(c -> {
                c[0]++;
                return c;
            });
        }
    }

    private static void incrementHolding(MutexGuard<long[]> guard, boolean virtual) {
        long seen = guard.get()[0];
        if (virtual) {
            Thread.yield(); // unmount while holding: the one carrier runs other virtual threads meanwhile
        }
        guard.get()[0] = seen + 1;
    }

    private static MutexGuard<long[]> lockInterruptiblyOrFail(Mutex<long[]> mutex) {
        try {
            return mutex.lockInterruptibly();
        } catch (InterruptedException e) {
            throw new AssertionError("nobody interrupts these threads", e);
        }
    }

    /** A virtual thread's toString names its carrier after '@', e.g. "VirtualThread[#42]/runnable@ForkJoinPool-1-worker-1". */
    private static String carrierOf(Thread virtualThread) {
        String text = virtualThread.toString();
        int at = text.indexOf('@');
        return at < 0 ? text : text.substring(at + 1);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError("nobody interrupts these threads", e);
        }
    }
}
