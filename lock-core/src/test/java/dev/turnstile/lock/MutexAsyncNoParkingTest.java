package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Asynchronous acquisitions never park the thread that asks. If {@code lockAsync} blocked even once,
 * the single thread of the executor below would be stuck behind the held lock and the probe tasks
 * interleaved with the acquisitions would never run.
 */
class MutexAsyncNoParkingTest {
    private static final int WAITERS = 10_000;

    @Test
    void tenThousandAsyncWaitersFromOneThreadLeaveItResponsive() throws Exception {
        Mutex<List<Integer>> m = new Mutex<>(new ArrayList<>());
        ExecutorService single = Executors.newSingleThreadExecutor();
        try {
            MutexGuard<List<Integer>> held = m.lock();
            List<Future<String>> probes = new ArrayList<>();
            for (int i = 0; i < WAITERS; i++) {
                int n = i;
                single.execute(() -> m.lockAsync().thenAccept(g -> {
                    g.get().add(n);
                    g.close();
                }));
                if (i % 1000 == 999) {
                    probes.add(single.submit(() -> "alive"));
                }
            }
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                for (Future<String> probe : probes) {
                    assertEquals("alive", probe.get());
                }
                assertEquals("alive", single.submit(() -> "alive").get());
            });
            assertEquals(WAITERS, m.queueLength(), "every acquisition is queued, none was granted or lost");

            held.close();

            assertFalse(m.isLocked());
            assertEquals(IntStream.range(0, WAITERS).boxed().toList(), m.withLock(List::copyOf));
        } finally {
            single.shutdownNow();
            single.awaitTermination(10, TimeUnit.SECONDS);
        }
    }
}
