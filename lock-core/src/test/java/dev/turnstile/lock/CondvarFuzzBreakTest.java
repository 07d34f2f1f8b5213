package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Tokens handed from producers to consumers through one Condvar with notifyOne only. Consumers wait in
 * every way (untimed, timed, interruptible, async, async timed, async cancelled), on platform and
 * virtual threads, with an interrupter. A lost notification leaves a consumer in an untimed wait with
 * a token available: a hang. Every token must be consumed exactly once.
 */
class CondvarFuzzBreakTest {
    private static final int CONSUMERS = 6;
    private static final int PER_CONSUMER = 3000;

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void notifyOneIsNeverLost(long seed) {
        Mutex<int[]> m = Mutex.builder().fairness(Fairness.values()[(int) (seed % 3)]).build(new int[1]);
        Condvar cv = new Condvar();
        AtomicInteger consumed = new AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            List<Thread> consumers = new ArrayList<>();
            for (int i = 0; i < CONSUMERS; i++) {
                long s = seed * 101 + i;
                Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                consumers.add(b.start(() -> consume(m, cv, new Random(s), consumed)));
            }
            List<Thread> producers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                Thread.Builder b = i == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                producers.add(b.start(() -> {
                    for (int k = 0; k < CONSUMERS * PER_CONSUMER / 2; k++) {
                        try (MutexGuard<int[]> g = m.lock()) {
                            g.get()[0]++;
                            cv.notifyOne();
                        }
                        if ((k & 7) == 0) {
                            Thread.yield();
                        }
                    }
                }));
            }
            Thread interrupter = Thread.ofPlatform().start(() -> {
                Random r = new Random(seed);
                while (consumers.stream().anyMatch(Thread::isAlive)) {
                    consumers.get(r.nextInt(CONSUMERS)).interrupt();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            for (Thread p : producers) {
                p.join();
            }
            for (Thread c : consumers) {
                c.join();
            }
            interrupter.join();
        }, () -> "hang: " + m + " tokens=" + m.tryLock().map(g -> { int v = g.get()[0]; g.close(); return v; }).orElse(-1)
                + " consumed=" + consumed + " " + cv);
        assertEquals(CONSUMERS * PER_CONSUMER, consumed.get());
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
        assertEquals(0, cv.waiterCount());
        assertEquals(0, m.withLock(v -> v[0]).intValue());
    }

    private static void consume(Mutex<int[]> m, Condvar cv, Random r, AtomicInteger consumed) {
        int mine = 0;
        MutexGuard<int[]> g = m.lock();
        while (mine < PER_CONSUMER) {
            if (g.get()[0] > 0) {
                g.get()[0]--;
                mine++;
                consumed.incrementAndGet();
                if (r.nextInt(4) == 0) {
                    g.close();
                    g = m.lock();
                }
                continue;
            }
            switch (r.nextInt(6)) {
                case 0 -> cv.awaitUninterruptibly(g);
                case 1 -> {
                    try {
                        cv.await(g, Duration.ofNanos(r.nextInt(200_000)));
                    } catch (InterruptedException e) {
                        // lock held again
                    }
                }
                case 2 -> {
                    try {
                        cv.await(g);
                    } catch (InterruptedException e) {
                        // lock held again
                    }
                }
                case 3 -> g = cv.awaitAsync(g).join();
                case 4 -> g = cv.awaitAsync(g, Duration.ofNanos(r.nextInt(200_000))).join().guard();
                default -> {
                    CompletableFuture<MutexGuard<int[]>> f = cv.awaitAsync(g);
                    if (r.nextBoolean()) {
                        f.cancel(false);
                    } else {
                        f.orTimeout(r.nextInt(200), TimeUnit.MICROSECONDS);
                    }
                    try {
                        g = f.join();
                    } catch (CancellationException | java.util.concurrent.CompletionException e) {
                        g = m.lock(); // gave up waiting: any notification it had was passed on
                    }
                }
            }
        }
        g.close();
        Thread.interrupted();
    }
}
