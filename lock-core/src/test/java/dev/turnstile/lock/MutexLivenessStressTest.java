package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Liveness under churn: waiters that time out, get interrupted and barge, on platform and virtual
 * threads at once. A lost wake-up shows up as a hang (caught by the preemptive timeout); a leaked
 * waiter or lock as a non-empty queue or a held lock at the end; a broken exclusion as a wrong sum.
 */
class MutexLivenessStressTest {
    private static final int WORKERS = 6;
    private static final int OPS_PER_WORKER = 100_000;

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void timeoutsInterruptsAndBargingNeverLoseAWakeUp(Fairness fairness) {
        Mutex<long[]> m = Mutex.builder().fairness(fairness).build(new long[1]);
        AtomicLong successes = new AtomicLong();
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                workers.add(b.start(() -> churn(m, successes)));
            }
            Thread interrupter = Thread.ofPlatform().start(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (workers.stream().anyMatch(Thread::isAlive)) {
                    workers.get(r.nextInt(WORKERS)).interrupt();
                    Thread.onSpinWait();
                    Thread.yield();
                }
            });
            for (Thread w : workers) {
                w.join();
            }
            interrupter.join();
        });
        assertEquals(successes.get(), m.withLock(v -> v[0]).longValue());
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
    }

    private static void churn(Mutex<long[]> m, AtomicLong successes) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < OPS_PER_WORKER; i++) {
            MutexGuard<long[]> g = null;
            switch (r.nextInt(4)) {
                case 0 -> g = m.lock();
                case 1 -> g = m.tryLock(Duration.ofNanos(r.nextInt(50_000))).orElse(null);
                case 2 -> g = m.tryLock().orElse(null);
                default -> {
                    try {
                        g = m.lockInterruptibly();
                    } catch (InterruptedException e) {
                        // withdrawn: counted as a failed attempt
                    }
                }
            }
            Thread.interrupted(); // the interrupter may have left a status behind; start clean
            if (g != null) {
                g.get()[0]++;
                successes.incrementAndGet();
                if (r.nextInt(8) == 0) {
                    g.unlockFair();
                } else {
                    g.close();
                }
            }
        }
    }
}
