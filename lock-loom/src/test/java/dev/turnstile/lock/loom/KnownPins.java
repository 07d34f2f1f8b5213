package dev.turnstile.lock.loom;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/** Test workloads that pin a carrier for certain, as positive controls. */
final class KnownPins {
    private KnownPins() {
    }

    /**
     * Starts a virtual thread that blocks on a latch inside a class initializer (a pin), waits until
     * it is blocked, opens the latch and joins it. Exactly one pin, reported once the thread is joined.
     */
    static void pinOneVirtualThread() throws InterruptedException {
        CountDownLatch gate = new CountDownLatch(1);
        Thread pinned = Thread.ofVirtual().name("pinned").start(() -> PinProvoker.runPinned(() -> awaitGate(gate)));
        await().atMost(Duration.ofSeconds(30)).until(() -> pinned.getState() == Thread.State.WAITING);
        gate.countDown();
        pinned.join();
    }

    private static void awaitGate(CountDownLatch gate) {
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
