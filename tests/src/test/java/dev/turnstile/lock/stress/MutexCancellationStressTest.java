package dev.turnstile.lock.stress;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Waiters that give up (timeout, interrupt) race with releases that admit them: "grant and cancel
 * race on one CAS, and the loser compensates" (DESIGN). If a grant to a waiter that has just timed
 * out were dropped instead of passed on, the lock would stay held by nobody and everyone after would
 * hang; kotlinx.coroutines' Mutex needed "prompt cancellation" (a grant that lands after the cancel
 * is handed back) for exactly this (ANCHORS, "Async locks"). Each test ends by checking the mutex is
 * free, its queue empty, and the count equals the number of successful acquisitions.
 */
class MutexCancellationStressTest {
    private static final Duration BOUND = Duration.ofMinutes(1);
    private static final int PLATFORM_THREADS = 4;
    private static final int VIRTUAL_THREADS = 100;
    private static final int ATTEMPTS_PER_THREAD = 1_000;
    /** Timeouts up to this many nanoseconds: the same order as a hold, so many expire mid-grant. */
    private static final long MAX_TIMEOUT_NANOS = 50_000;

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void waitersTimingOutWhileBeingAdmittedNeverStrandTheLock(Fairness fairness) {
        Mutex<long[]> counter = Mutex.builder().fairness(fairness).name("timeouts").build(new long[1]);
        AtomicLong successes = new AtomicLong();
        AtomicLong timeouts = new AtomicLong();
        runMixedThreads(false, () -> {
            for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
                long timeout = ThreadLocalRandom.current().nextLong(MAX_TIMEOUT_NANOS);
                Optional<MutexGuard<long[]>> guard = counter.tryLock(Duration.ofNanos(timeout));
                if (guard.isPresent()) {
                    try (MutexGuard<long[]> g = guard.get()) {
                        holdBriefly(g);
                    }
                    successes.incrementAndGet();
                } else {
                    timeouts.incrementAndGet();
                }
            }
        });
        assertTrue(timeouts.get() > 0, "no waiter ever timed out: the cancel path never ran");
        assertQuiescentWithCount(counter, successes.get());
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void waitersInterruptedWhileBeingAdmittedNeverStrandTheLock(Fairness fairness) {
        Mutex<long[]> counter = Mutex.builder().fairness(fairness).name("interrupts").build(new long[1]);
        AtomicLong successes = new AtomicLong();
        AtomicLong interruptions = new AtomicLong();
        List<Thread> workers = runMixedThreads(true, () -> {
            for (int i = 0; i < ATTEMPTS_PER_THREAD; i++) {
                try (MutexGuard<long[]> g = counter.lockInterruptibly()) {
                    holdBriefly(g);
                    successes.incrementAndGet();
                } catch (InterruptedException e) {
                    interruptions.incrementAndGet();
                }
            }
            Thread.interrupted(); // an interrupt that landed after the last attempt is nobody's business
        });
        assertTrue(interruptions.get() > 0, "the interrupter never hit a waiting thread");
        assertEquals(workers.size() * (long) ATTEMPTS_PER_THREAD, successes.get() + interruptions.get());
        assertQuiescentWithCount(counter, successes.get());
    }

    /**
     * Runs {@code body} on platform and virtual threads at once and waits for all of them, meanwhile
     * interrupting random workers if {@code interruptWorkers}.
     */
    private static List<Thread> runMixedThreads(boolean interruptWorkers, Runnable body) {
        List<Thread> workers = new ArrayList<>();
        assertTimeoutPreemptively(BOUND, () -> {
            for (int t = 0; t < PLATFORM_THREADS + VIRTUAL_THREADS; t++) {
                workers.add(t < PLATFORM_THREADS ? Thread.ofPlatform().start(body) : Thread.ofVirtual().start(body));
            }
            if (interruptWorkers) {
                interruptUntilDone(workers);
            }
            for (Thread worker : workers) {
                worker.join();
            }
        });
        return workers;
    }

    private static void interruptUntilDone(List<Thread> workers) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (workers.stream().anyMatch(Thread::isAlive)) {
            workers.get(random.nextInt(workers.size())).interrupt();
            // Pacing, not synchronization: let some acquisitions through between interrupts.
            LockSupport.parkNanos(20_000);
        }
    }

    /** A read-modify-write that spans a yield on virtual threads, so waiters queue behind it. */
    private static void holdBriefly(MutexGuard<long[]> guard) {
        long seen = guard.get()[0];
        if (Thread.currentThread().isVirtual()) {
            Thread.yield();
        } else {
            Thread.onSpinWait();
        }
        guard.get()[0] = seen + 1;
    }

    private static void assertQuiescentWithCount(Mutex<long[]> counter, long expected) {
        assertFalse(counter.isLocked(), "a cancelled grant left the mutex held");
        assertEquals(0, counter.queueLength(), "a cancelled waiter stayed queued");
        long total = counter.withLock(c -> c[0]);
        assertEquals(expected, total, "lost or extra increments");
        assertContended(counter);
    }
}
