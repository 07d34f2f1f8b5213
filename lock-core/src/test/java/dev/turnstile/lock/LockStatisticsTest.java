package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Per-lock statistics: exact counts and distributions for a schedule played under a clock the test
 * moves by hand, write holds of an {@code RwLock}, nothing when off, and no lost count under
 * contention.
 */
class LockStatisticsTest {
    private static final Duration WAIT_LIMIT = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock();

    private Mutex<String> statisticsMutex() {
        return Mutex.builder().name("orders").clock(clock).statistics(true).fairness(Fairness.FIFO).build("v");
    }

    private void advance(long nanos) {
        clock.advance(Duration.ofNanos(nanos));
    }

    @Test
    void statisticsMatchAKnownScheduleUnderAFakeClock() throws Exception {
        Mutex<String> m = statisticsMutex();

        // Uncontended: guard, withLock, tryLock. Holds 100, 300, 50.
        try (MutexGuard<String> g = m.lock()) {
            advance(100);
        }
        m.withLock(v -> {
            advance(300);
            return v;
        });
        try (MutexGuard<String> g = m.tryLock().orElseThrow()) {
            advance(50);
        }

        // An asynchronous waiter: waits 200 behind a hold of 1200, then holds 70.
        MutexGuard<String> held = m.lock();
        advance(1000);
        CompletableFuture<MutexGuard<String>> async = m.lockAsync();
        assertFalse(async.isDone());
        advance(200);
        held.close();
        try (MutexGuard<String> g = async.join()) {
            advance(70);
        }

        // A platform thread: waits 500 behind a hold of 500, then holds 0.
        held = m.lock();
        Thread thread = Thread.ofPlatform().start(() -> m.lock().close());
        await().atMost(WAIT_LIMIT).until(() -> m.queueLength() == 1);
        advance(500);
        held.close();
        thread.join(WAIT_LIMIT.toMillis());
        assertFalse(thread.isAlive());

        // Two waits abandoned (a timeout, a cancelled future) while a hold of 0 lasts.
        held = m.lock();
        Thread timesOut = Thread.ofPlatform().start(() -> assertTrue(m.tryLock(Duration.ofMillis(20)).isEmpty()));
        timesOut.join(WAIT_LIMIT.toMillis());
        assertFalse(timesOut.isAlive());
        CompletableFuture<MutexGuard<String>> cancelled = m.lockAsync();
        assertTrue(cancelled.cancel(false));
        held.close();

        // Two waiters queued at once, each waiting 0 and holding 0, behind a hold of 0.
        held = m.lock();
        CompletableFuture<MutexGuard<String>> first = m.lockAsync();
        CompletableFuture<MutexGuard<String>> second = m.lockAsync();
        assertEquals(2, m.queueLength());
        held.close();
        first.join().close();
        second.join().close();

        LockStatistics s = m.statistics().orElseThrow();
        assertEquals("orders", s.lockName());
        assertEquals(11, s.acquisitions());
        assertEquals(4, s.contendedAcquisitions());
        assertEquals(2, s.abandonedWaits());
        assertEquals(Duration.ofNanos(2220), s.elapsed());
        assertEquals(11 / 2220e-9, s.acquireRate(), 1e-3);
        assertEquals(0, s.queueLength());
        assertEquals(2, s.maxQueueLength());

        LockStatistics.Distribution waits = s.waitTimes();
        assertEquals(4, waits.count());
        assertEquals(Duration.ofNanos(700), waits.total());
        assertEquals(Duration.ZERO, waits.min());
        assertEquals(Duration.ofNanos(500), waits.max());
        assertEquals(Duration.ofNanos(175), waits.mean());
        assertEquals(Duration.ZERO, waits.p50());
        assertWithinBound(500, waits.p99());

        LockStatistics.Distribution holds = s.holdTimes();
        assertEquals(11, holds.count()); // 100, 300, 50, 1200, 70, 500 and five of 0
        assertEquals(Duration.ofNanos(2220), holds.total());
        assertEquals(Duration.ZERO, holds.min());
        assertEquals(Duration.ofNanos(1200), holds.max());
        assertWithinBound(50, holds.p50());
        assertWithinBound(500, holds.p90());
        assertWithinBound(1200, holds.p99());
        assertWithinBound(1200, holds.p999());
    }

    /**
     * A caller may cancel a future after the core granted it the lock but before the grant was
     * delivered; the delivery then finds the future done and releases. The lock was held on the
     * future's behalf all the same (nobody else could take it), so the grant counts as an acquisition
     * and a timed hold, as {@link LockStatistics#acquisitions()} says.
     */
    @Test
    void aGrantThatReachesACancelledFutureCountsAsAnAcquisitionAndAHold() {
        Mutex<String> m = statisticsMutex();
        List<Runnable> deliveries = new ArrayList<>();
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.lockAsync(deliveries::add);
        held.close(); // grants f; its delivery waits in the list
        assertTrue(m.isLocked(), "granted to the queued future");
        assertEquals(1, deliveries.size());
        assertTrue(f.cancel(false), "the caller's completion wins: the future was not complete");
        advance(40);
        deliveries.forEach(Runnable::run); // finds f cancelled and releases
        assertFalse(m.isLocked());

        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(2, s.acquisitions(), "the guard, and the grant that was released unseen");
        assertEquals(1, s.contendedAcquisitions());
        assertEquals(0, s.abandonedWaits(), "the wait ended with the lock");
        assertEquals(2, s.holdTimes().count());
        assertEquals(Duration.ofNanos(40), s.holdTimes().max());
    }

    @Test
    void anRwLockTimesWriteHoldsAndCountsReadHolds() {
        RwLock<String> rw = RwLock.builder().name("prices").clock(clock).statistics(true).build("v");
        try (ReadGuard<String> r = rw.read()) { // the read fast path, diverted to the core
            advance(10);
        }
        assertEquals("v", rw.withRead(v -> v));
        try (WriteGuard<String> w = rw.write()) {
            advance(40);
        }
        WriteGuard<String> w = rw.write();
        advance(30);
        try (ReadGuard<String> r = w.downgrade()) { // the write hold ends here
            advance(1000);
        }
        try (UpgradableGuard<String> u = rw.upgradableRead()) {
            advance(5);
            try (WriteGuard<String> up = u.upgrade()) { // an upgrade begins a write hold
                advance(25);
            }
        }

        LockStatistics s = rw.statistics().orElseThrow();
        assertEquals(6, s.acquisitions()); // read, withRead, write, write, upgradable read, upgrade
        assertEquals(0, s.contendedAcquisitions());
        LockStatistics.Distribution holds = s.holdTimes();
        assertEquals(3, holds.count());
        assertEquals(Duration.ofNanos(95), holds.total());
        assertEquals(Duration.ofNanos(25), holds.min());
        assertEquals(Duration.ofNanos(40), holds.max());
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isWriteLocked());
    }

    @Test
    void locksKeepNoStatisticsUnlessAsked() {
        Mutex<String> plain = new Mutex<>("v");
        Mutex<String> built = Mutex.builder().name("plain").build("v");
        RwLock<String> rw = new RwLock<>("v");
        plain.lock().close();
        built.withLock(v -> v);
        rw.read().close();
        rw.write().close();
        assertTrue(plain.statistics().isEmpty());
        assertTrue(built.statistics().isEmpty());
        assertTrue(rw.statistics().isEmpty());
        assertNull(plain.waitQueueIfPresent(), "an uncontended lock without statistics allocates nothing");
        assertNull(rw.waitQueueIfPresent());
        assertFalse(Mutex.builder().statistics(true).statistics(false).build("v").statistics().isPresent());
    }

    @Test
    void noAcquisitionOrHoldIsLostUnderContention() throws Exception {
        Mutex<long[]> m = Mutex.builder().name("counter").statistics(true).build(new long[1]);
        int platform = 3;
        int virtual = 3;
        int async = 2;
        int each = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < platform + virtual; i++) {
            Thread.Builder b = i < platform ? Thread.ofPlatform() : Thread.ofVirtual();
            threads.add(b.start(() -> {
                awaitQuietly(start);
                for (int k = 0; k < each; k++) {
                    try (MutexGuard<long[]> g = m.lock()) {
                        g.get()[0]++;
                    }
                }
            }));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<CompletableFuture<Void>> chains = new ArrayList<>();
        for (int i = 0; i < async; i++) {
            chains.add(CompletableFuture.runAsync(() -> awaitQuietly(start), pool)
                    .thenCompose(x -> incrementAsync(m, each)));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
            assertFalse(t.isAlive(), "worker finished");
        }
        CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        pool.shutdown();

        long total = (long) (platform + virtual + async) * each;
        assertEquals(total, (long) m.withLock(c -> c[0]));
        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(total + 1, s.acquisitions(), "every acquisition, and the withLock above");
        assertEquals(total + 1, s.holdTimes().count(), "every hold timed");
        assertEquals(s.contendedAcquisitions(), s.waitTimes().count());
        assertTrue(s.contendedAcquisitions() > 0, "some acquisitions waited: " + s);
        assertEquals(0, s.abandonedWaits());
        assertFalse(m.isLocked());
    }

    private static CompletableFuture<Void> incrementAsync(Mutex<long[]> m, int remaining) {
        if (remaining == 0) {
            return CompletableFuture.completedFuture(null);
        }
        // completed on a pool, so that the chain does not grow one stack
        return m.lockAsync(ForkJoinPool.commonPool()).thenCompose(g -> {
            try (g) {
                g.get()[0]++;
            }
            return incrementAsync(m, remaining - 1);
        });
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertWithinBound(long expectedNanos, Duration actual) {
        double error = Math.abs(actual.toNanos() - expectedNanos) / (double) Math.max(1, expectedNanos);
        assertTrue(error <= 1.0 / 32, "expected ~" + expectedNanos + " ns, got " + actual);
    }
}
