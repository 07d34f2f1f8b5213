package dev.turnstile.lock.reactor;

import dev.turnstile.lock.BlockingCalls;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;

/** Test support for the blocking-call rule. */
final class Detectors {
    private Detectors() {
    }

    /**
     * Makes lock-core load its detectors (a {@code ServiceLoader} scan, which reads files) on this
     * thread, which may block, rather than on the first non-blocking thread that parks: that scan
     * happens on the first call about to park, and BlockHound would report its file reads.
     */
    static void warmUp() {
        BlockingCalls.Policy policy = BlockingCalls.policy();
        BlockingCalls.setPolicy(BlockingCalls.Policy.WARN);
        try {
            Mutex<Object> m = new Mutex<>(null);
            Thread holder;
            try (MutexGuard<Object> held = m.lock()) {
                holder = Thread.currentThread();
                Thread t = Thread.ofPlatform().start(() -> m.tryLock(Duration.ofMillis(1)).ifPresent(MutexGuard::close));
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } finally {
            BlockingCalls.setPolicy(policy);
        }
    }
}
