package com.example.app;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.loom.FailOnPinning;
import dev.turnstile.lock.loom.PinProvoker;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Run by {@link Main} through the JUnit launcher: lock-loom's extension, used as a test would. */
@FailOnPinning
public class PinningCheckedTest {

    @Test
    void contendedVirtualThreadsDoNotPin() throws Exception {
        Mutex<int[]> counter = new Mutex<>(new int[1]);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(Thread.ofVirtual().start(() -> {
                for (int n = 0; n < 1_000; n++) {
                    try (MutexGuard<int[]> g = counter.lock()) {
                        g.get()[0]++;
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        if (counter.withLock(c -> c[0]) != 8_000) {
            throw new AssertionError("lost updates");
        }
    }

    @Test
    void aProvokedPinFailsThisTest() throws Exception {
        Thread.ofVirtual().start(() -> PinProvoker.runPinned(() -> {
            try {
                Thread.sleep(20); // blocks inside a class initializer: pins the carrier
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).join();
    }
}
