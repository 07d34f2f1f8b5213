package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * The worker threads of a break test: started on platform or virtual threads, their failures
 * collected instead of lost, and joined against one deadline with a dump of whoever is stuck.
 */
final class Workers {
    private Workers() {
    }

    /** A worker's body, which may throw anything. */
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** {@code r}, with whatever it throws added to {@code errors}. */
    static Runnable guarded(ConcurrentLinkedQueue<Throwable> errors, ThrowingRunnable r) {
        return () -> {
            try {
                r.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        };
    }

    /** Starts {@code r} on a new virtual thread, or on a new daemon platform thread. */
    static Thread start(boolean virtual, String name, Runnable r) {
        return (virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon()).name(name).start(r);
    }

    /**
     * Joins {@code threads} within {@code millis} in all; fails with the first of {@code errors}, or
     * with the stacks of the threads still alive (a lost wake-up, usually).
     */
    static void joinAll(List<Thread> threads, long millis, ConcurrentLinkedQueue<Throwable> errors)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : threads) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left > 0) {
                t.join(left);
            }
        }
        List<String> stuck = new ArrayList<>();
        for (Thread t : threads) {
            if (t.isAlive()) {
                StringBuilder sb = new StringBuilder(t.getName()).append(' ').append(t.getState());
                for (StackTraceElement e : t.getStackTrace()) {
                    sb.append("\n    at ").append(e);
                }
                stuck.add(sb.toString());
            }
        }
        if (!errors.isEmpty()) {
            throw new AssertionError("worker errors: " + errors.size() + " (first attached)", errors.peek());
        }
        assertTrue(stuck.isEmpty(), () -> "workers stuck (lost wake-up?):\n" + String.join("\n", stuck));
    }

    /**
     * {@link #joinAll(List, long, ConcurrentLinkedQueue)}, then stops {@code disruptor} (an
     * interrupter, a toggler: a loop that runs until {@code stop} is set) and joins it for up to 5 s,
     * whether the workers' join passed or failed.
     */
    static void joinAll(List<Thread> threads, long millis, ConcurrentLinkedQueue<Throwable> errors,
                        AtomicBoolean stop, Thread disruptor) throws InterruptedException {
        try {
            joinAll(threads, millis, errors);
        } finally {
            stop.set(true);
            disruptor.join(5000);
        }
    }

    /** Waits for {@code condition}, polled every millisecond, for at most 10 s. */
    static void awaitUntil(BooleanSupplier condition) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(condition::getAsBoolean);
    }
}
