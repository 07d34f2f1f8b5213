package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Counts that must come out exact when many threads hammer a few mutexes (issue #2, section 4). */
class MutexStressTest {
    private static final int PLATFORM_THREADS = 8;
    private static final int INCREMENTS_PER_PLATFORM_THREAD = 1_000_000;

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void eightPlatformThreadsTimesAMillionIncrementsGiveTheExactSum(Fairness fairness) {
        Mutex<long[]> counter = Mutex.builder().fairness(fairness).name("counter").build(new long[1]);
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < PLATFORM_THREADS; t++) {
                threads.add(Thread.ofPlatform().name("incrementer-" + t).start(() -> {
                    for (int i = 0; i < INCREMENTS_PER_PLATFORM_THREAD; i++) {
                        try (MutexGuard<long[]> g = counter.lock()) {
                            g.get()[0]++;
                        }
                    }
                }));
            }
            for (Thread thread : threads) {
                thread.join();
            }
        });
        long total = counter.withLock(c -> c[0]);
        assertEquals((long) PLATFORM_THREADS * INCREMENTS_PER_PLATFORM_THREAD, total);
    }
}
