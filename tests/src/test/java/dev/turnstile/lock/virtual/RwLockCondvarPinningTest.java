package dev.turnstile.lock.virtual;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import dev.turnstile.lock.loom.FailOnPinning;
import dev.turnstile.lock.testing.AsyncAndTimedWorkload;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Virtual threads waiting on an {@link RwLock} (every kind of hold) or a {@link Condvar} never pin
 * their carrier: reads, writes, upgrades, downgrades and condition waits all park through the one
 * parking core, never inside {@code synchronized} or {@code Object.wait}. JFR
 * {@code jdk.VirtualThreadPinned} at threshold 0, through lock-loom.
 */
class RwLockCondvarPinningTest {
    private static final Duration BOUND = Duration.ofMinutes(1);
    private static final int VIRTUAL_THREADS = 1_000;
    private static final int ROUNDS = 20;

    /**
     * Runs the asynchronous and timed paths once outside any recording: the first use of a class in a
     * JVM may pin a virtual thread that waits for another's class initialization, a one-off cost that
     * {@code FirstCallsInAFreshJvmNeverPinTest} checks on its own, in a fresh JVM.
     */
    @BeforeAll
    static void initializeTheAsyncPathsOutsideTheRecording() {
        new AsyncAndTimedWorkload().runAndCheck(20, 1, 10, BOUND);
    }

    /**
     * The scenarios of issue #8.2 and #8.10 under JFR: asynchronous acquisitions of every kind (futures
     * and timed ones on an executor whose lock is contended), upgrades, timed condvar waits, and timed
     * readers and writers admitted behind releasing virtual threads that unmount while delivering a
     * batch. Waiting for an admission parks; nothing in the library pins a carrier.
     */
    @Test
    @FailOnPinning("dev.turnstile")
    void asyncAndTimedWaitersBehindUnmountingReleasersNeverPinACarrier() {
        AsyncAndTimedWorkload workload = new AsyncAndTimedWorkload();
        workload.runAndCheck(VIRTUAL_THREADS / 5, 2, ROUNDS, BOUND);
        assertContended(workload.rwLock());
        assertContended(workload.mutex());
    }

    @Test
    @FailOnPinning("dev.turnstile")
    void virtualThreadsOnAnRwLockNeverPinACarrier() {
        RwLock<long[]> lock = RwLock.builder().name("rw").build(new long[1]);
        assertTimeoutPreemptively(BOUND, () -> {
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> tasks = new ArrayList<>();
                for (int t = 0; t < VIRTUAL_THREADS; t++) {
                    int seed = t;
                    tasks.add(executor.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            holdOneWay(lock, seed + round);
                        }
                        return null;
                    }));
                }
                for (Future<?> task : tasks) {
                    task.get();
                }
            }
        });
        // Every third hold writes once: writes, upgrades and downgrading writes alike.
        long writes = 0;
        for (int t = 0; t < VIRTUAL_THREADS; t++) {
            for (int round = 0; round < ROUNDS; round++) {
                writes += (t + round) % 4 == 0 ? 0 : 1;
            }
        }
        assertEquals(writes, (long) lock.withRead(c -> c[0]));
        assertContended(lock);
    }

    private static void holdOneWay(RwLock<long[]> lock, int which) {
        switch (which % 4) {
            case 0 -> {
                try (ReadGuard<long[]> r = lock.read()) {
                    Thread.yield(); // let others queue behind the hold
                    r.get();
                }
            }
            case 1 -> {
                try (WriteGuard<long[]> w = lock.write()) {
                    Thread.yield();
                    w.get()[0]++;
                }
            }
            case 2 -> {
                try (UpgradableGuard<long[]> u = lock.upgradableRead(); WriteGuard<long[]> w = u.upgrade()) {
                    Thread.yield();
                    w.get()[0]++;
                }
            }
            default -> {
                WriteGuard<long[]> w = lock.write();
                w.get()[0]++;
                try (ReadGuard<long[]> r = w.downgrade()) {
                    Thread.yield();
                    r.get();
                }
            }
        }
    }

    @Test
    @FailOnPinning("dev.turnstile")
    void virtualThreadsWaitingOnACondvarNeverPinACarrier() {
        Mutex<long[]> turn = Mutex.builder().name("turn").build(new long[1]);
        Condvar changed = new Condvar();
        int players = 100;
        int turnsEach = 20;
        assertTimeoutPreemptively(BOUND, () -> {
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> tasks = new ArrayList<>();
                for (int p = 0; p < players; p++) {
                    int me = p;
                    tasks.add(executor.submit(() -> {
                        // Strict round-robin: each player waits for its own turn, so most waits are real.
                        for (int i = 0; i < turnsEach; i++) {
                            try (MutexGuard<long[]> g = turn.lock()) {
                                while (g.get()[0] % players != me) {
                                    changed.await(g);
                                }
                                g.get()[0]++;
                                changed.notifyAllWaiters();
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> task : tasks) {
                    task.get();
                }
            }
        });
        assertEquals((long) players * turnsEach, (long) turn.withLock(c -> c[0]));
    }
}
