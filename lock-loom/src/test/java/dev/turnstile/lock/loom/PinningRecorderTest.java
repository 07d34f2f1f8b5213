package dev.turnstile.lock.loom;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

class PinningRecorderTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    @Test
    void blockingInsideAClassInitializerIsRecordedWithItsStack() {
        PinningReport report = assertTimeoutPreemptively(BOUND, () -> PinningRecorder.record(
                KnownPins::pinOneVirtualThread));

        PinningReport ours = report.withFrameUnder("dev.turnstile.lock.loom");
        assertEquals(1, ours.events().size(), report.describe());
        PinnedEvent pin = ours.events().get(0);
        assertTrue(pin.stackTrace().stream().anyMatch(f -> f.getMethodName().equals("awaitGate")), pin.describe(64));
        assertTrue(pin.stackTrace().stream().anyMatch(f -> f.getMethodName().equals("<clinit>")), pin.describe(64));
        assertFalse(pin.duration().isNegative());
    }

    @Test
    void virtualThreadsParkingOnAContendedReentrantLockAreNotRecorded() throws Exception {
        // JDK 25 unmounts a virtual thread parked in j.u.c (TOOLSTACK pitfall 8): no false positives.
        ReentrantLock lock = new ReentrantLock();
        PinningReport report = assertTimeoutPreemptively(BOUND, () -> PinningRecorder.record(() -> {
            List<Thread> threads = new ArrayList<>();
            lock.lock();
            try {
                for (int i = 0; i < 16; i++) {
                    threads.add(Thread.ofVirtual().start(() -> {
                        lock.lock();
                        lock.unlock();
                    }));
                }
                await().atMost(BOUND).until(() -> lock.getQueueLength() == threads.size());
            } finally {
                lock.unlock();
            }
            for (Thread thread : threads) {
                thread.join();
            }
        }));
        assertTrue(report.withFrameUnder("dev.turnstile.lock.loom").isEmpty(), report.describe());
    }

    @Test
    void recordRethrowsTheWorkloadsException() {
        IllegalStateException failure = new IllegalStateException("workload failed");
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> PinningRecorder.record(() -> {
                    throw failure;
                }));
        assertSame(failure, thrown);
    }

    @Test
    void aRecorderCanBeStoppedOnlyOnce() {
        try (PinningRecorder recorder = PinningRecorder.start()) {
            recorder.stop();
            assertThrows(IllegalStateException.class, recorder::stop);
        }
    }

}
