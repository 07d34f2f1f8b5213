package dev.turnstile.lock.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Virtual (and a few platform) threads on one {@link RwLock} and one {@link Mutex} with its
 * {@link Condvar}, through the asynchronous and timed paths that issue #8 found hanging or pinning:
 * asynchronous waiters whose executor takes a contended {@code java.util.concurrent} lock (a
 * logger's, which the threads also take themselves and yield inside), so that releasing virtual
 * threads unmount in the middle of delivering a batch; timed readers and writers admitted behind them
 * (#8.2); upgrades, asynchronous and blocking; condvar waits, blocking and asynchronous, timed (#8.4,
 * #8.6); timed asynchronous acquisitions on that executor (#8.3). Every thread must finish, with exact
 * counts and both locks free at the end.
 *
 * <p>Used by the JFR pinning tests (no pin) and by the one- and two-carrier executions (no hang).
 */
public final class AsyncAndTimedWorkload {
    private static final int KINDS = 10;

    private final Mutex<long[]> mutex = Mutex.builder().name("async-timed-mutex").build(new long[1]);
    private final Condvar condvar = new Condvar();
    private final RwLock<long[]> rw = RwLock.builder().name("async-timed-rw").build(new long[1]);
    /** A logger's lock: taken by the executor below and, with a yield inside, by the threads themselves. */
    private final ReentrantLock logLock = new ReentrantLock();
    private final Executor logging = task -> {
        logLock.lock();
        try {
            task.run();
        } finally {
            logLock.unlock();
        }
    };
    private final AtomicLong mutexWrites = new AtomicLong();
    private final AtomicLong rwWrites = new AtomicLong();

    /**
     * Runs {@code rounds} rounds on each of {@code virtualThreads} virtual and {@code platformThreads}
     * platform threads released together, and checks the outcome; fails if they do not all finish
     * within {@code bound}.
     */
    public void runAndCheck(int virtualThreads, int platformThreads, int rounds, Duration bound) {
        assertTimeoutPreemptively(bound, () -> {
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < virtualThreads + platformThreads; t++) {
                int seed = t;
                Runnable body = () -> {
                    awaitQuietly(start);
                    for (int round = 0; round < rounds; round++) {
                        oneRound(seed + round);
                    }
                };
                threads.add(t < virtualThreads ? Thread.ofVirtual().unstarted(body) : Thread.ofPlatform().unstarted(body));
            }
            threads.forEach(Thread::start);
            start.countDown();
            for (Thread thread : threads) {
                thread.join();
            }
        });
        assertFalse(mutex.isLocked());
        assertEquals(0, mutex.queueLength());
        assertEquals(0, condvar.waiterCount());
        assertFalse(rw.isWriteLocked());
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isUpgradableLocked());
        assertEquals(0, rw.queueLength());
        assertEquals(mutexWrites.get(), (long) mutex.withLock(v -> v[0]));
        assertEquals(rwWrites.get(), (long) rw.withRead(v -> v[0]));
    }

    /** The locks, for callers that check contention. */
    public Mutex<long[]> mutex() {
        return mutex;
    }

    /** The locks, for callers that check contention. */
    public RwLock<long[]> rwLock() {
        return rw;
    }

    private void oneRound(int step) {
        switch (step % KINDS) {
            case 0 -> {
                Optional<ReadGuard<long[]>> read;
                do {
                    read = rw.tryRead(shortTimeout(step));
                } while (read.isEmpty());
                try (ReadGuard<long[]> r = read.get()) {
                    r.get();
                }
            }
            case 1 -> rw.readAsync(logging).join().close();
            case 2 -> {
                try (WriteGuard<long[]> w = rw.write()) {
                    long seen = w.get()[0];
                    Thread.yield(); // unmount while holding: others queue behind
                    w.get()[0] = seen + 1;
                    rwWrites.incrementAndGet();
                }
            }
            case 3 -> {
                Optional<WriteGuard<long[]>> write;
                do {
                    write = rw.tryWrite(shortTimeout(step));
                } while (write.isEmpty());
                try (WriteGuard<long[]> w = write.get()) {
                    w.get()[0]++;
                    rwWrites.incrementAndGet();
                }
            }
            case 4 -> {
                try (WriteGuard<long[]> w = rw.writeAsync(logging).join()) {
                    w.get()[0]++;
                    rwWrites.incrementAndGet();
                }
            }
            case 5 -> {
                UpgradableGuard<long[]> u = step % 2 == 0 ? rw.upgradableRead() : rw.upgradableReadAsync(logging).join();
                try (u; WriteGuard<long[]> w = u.upgradeAsync().join()) { // u: consumed, its close does nothing
                    w.get()[0]++;
                    rwWrites.incrementAndGet();
                }
            }
            case 6 -> {
                try (MutexGuard<long[]> g = mutex.lock()) {
                    condvar.await(g, Duration.ofMillis(1));
                    g.get()[0]++;
                    mutexWrites.incrementAndGet();
                    condvar.notifyOne();
                } catch (InterruptedException e) {
                    throw new AssertionError("nobody interrupts the workload", e);
                }
            }
            case 7 -> {
                CompletableFuture<Condvar.Wakeup<long[]>> woken = condvar.awaitAsync(mutex.lock(), Duration.ofMillis(1));
                try (MutexGuard<long[]> g = woken.join().guard()) {
                    g.get()[0]++;
                    mutexWrites.incrementAndGet();
                    condvar.notifyAllWaiters();
                }
            }
            case 8 -> {
                MutexGuard<long[]> granted = null;
                while (granted == null) {
                    granted = mutex.tryLockAsync(Duration.ofMillis(2), logging).handle((guard, timedOut) -> guard).join();
                }
                try (MutexGuard<long[]> g = granted) {
                    g.get()[0]++;
                    mutexWrites.incrementAndGet();
                }
            }
            default -> {
                logLock.lock(); // "logging" from the threads themselves keeps the executor's lock contended
                try {
                    Thread.yield();
                    Thread.yield();
                } finally {
                    logLock.unlock();
                }
                mutex.withLockAsync(g -> {
                    g.get()[0]++;
                    mutexWrites.incrementAndGet();
                    return CompletableFuture.completedFuture(null);
                }, logging).join();
            }
        }
    }

    /** From 20 µs to about 1 ms: deadlines that often pass while a waiter is admitted but not yet told. */
    private static Duration shortTimeout(int step) {
        return Duration.ofNanos(20_000 + (step % 5) * 250_000L);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError("nobody interrupts these threads", e);
        }
    }
}
