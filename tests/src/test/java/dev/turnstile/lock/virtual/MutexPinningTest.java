package dev.turnstile.lock.virtual;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.loom.FailOnPinning;
import dev.turnstile.lock.loom.PinProvoker;
import dev.turnstile.lock.loom.PinningRecorder;
import dev.turnstile.lock.loom.PinningReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Virtual threads waiting for Turnstile mutexes never pin their carrier (issue #2, section 4): every
 * wait goes through {@code LockSupport.park}, never inside {@code synchronized} (which pins on JDK 21)
 * or native code. Checked with JFR {@code jdk.VirtualThreadPinned} at threshold 0 through lock-loom.
 */
class MutexPinningTest {
    private static final Duration BOUND = Duration.ofMinutes(1);
    private static final int VIRTUAL_THREADS = 1_000;
    private static final int ROUNDS = 20;

    @ParameterizedTest
    @EnumSource(Fairness.class)
    @FailOnPinning("dev.turnstile")
    void contendedVirtualThreadsOnTurnstileMutexesNeverPinACarrier(Fairness fairness) {
        List<Mutex<long[]>> counters = List.of(
                Mutex.builder().fairness(fairness).name("a").build(new long[1]),
                Mutex.builder().fairness(fairness).name("b").build(new long[1]));
        assertTimeoutPreemptively(BOUND, () -> {
            try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> tasks = new ArrayList<>();
                for (int t = 0; t < VIRTUAL_THREADS; t++) {
                    int seed = t;
                    tasks.add(executor.submit(() -> {
                        for (int round = 0; round < ROUNDS; round++) {
                            incrementThroughEveryPath(counters.get((seed + round) % 2), seed + round);
                        }
                        return null;
                    }));
                }
                for (Future<?> task : tasks) {
                    task.get();
                }
            }
        });
        for (Mutex<long[]> counter : counters) {
            long total = counter.withLock(c -> c[0]);
            assertEquals((long) VIRTUAL_THREADS * ROUNDS / 2, total, counter.name());
            // Waiting really happened, so "no pin" covers the parking path and not only the fast path.
            assertContended(counter);
        }
    }

    /**
     * The positive control for the test above: when a virtual thread does pin while it waits for a
     * Turnstile mutex (here because the wait happens inside a class initializer, the caller's doing),
     * the recorder in this JVM reports it with the core's parking frames. So a clean report above
     * means no pin, not a blind recorder.
     */
    @Test
    @SuppressWarnings("try") // the test holds the mutex for the guard's scope only
    void aPinWhileWaitingForAMutexIsReportedWithTurnstileFrames() throws Exception {
        Mutex<String> mutex = Mutex.builder().name("held-by-the-test").build("value");
        PinningReport report = assertTimeoutPreemptively(BOUND, () -> PinningRecorder.record(() -> {
            Thread pinned;
            try (MutexGuard<String> held = mutex.lock()) {
                pinned = Thread.ofVirtual().start(() -> PinProvoker.runPinned(() -> mutex.withLock(String::length)));
                await().atMost(BOUND).until(() -> mutex.queueLength() == 1
                        && pinned.getState() == Thread.State.WAITING);
            }
            pinned.join();
        }));
        PinningReport inCore = report.withFrameUnder("dev.turnstile.lock.park");
        assertEquals(1, inCore.events().size(), report.describe());
        assertTrue(inCore.events().get(0).stackTrace().stream()
                .anyMatch(f -> f.getClassName().equals(Mutex.class.getName())), inCore.describe());
        assertFalse(mutex.isLocked());
    }

    @SuppressWarnings("try") // the guards only need to be held for their scope
    private static void incrementThroughEveryPath(Mutex<long[]> counter, int step) throws InterruptedException {
        switch (step % 4) {
            case 0 -> {
                try (MutexGuard<long[]> g = counter.lock()) {
                    Thread.yield(); // unmount while holding, so that others queue and park
                    g.get()[0]++;
                }
            }
            case 1 -> {
                Optional<MutexGuard<long[]>> guard = counter.tryLock(Duration.ofMinutes(1));
                try (MutexGuard<long[]> g = guard.orElseThrow()) {
                    Thread.yield();
                    g.get()[0]++;
                }
            }
            case 2 -> {
                try (MutexGuard<long[]> g = counter.lockInterruptibly()) {
                    Thread.yield();
                    g.get()[0]++;
                }
            }
            default -> counter.withLock(c -> {
                Thread.yield();
                return ++c[0];
            });
        }
    }
}
