package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.park.RawLock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Adversarial checks of profiled locks (statistics on, JFR long-hold recordings switched on and off
 * while the lock is contended): exclusion and progress under every acquisition kind, and the
 * statistics' own invariants: every acquisition counted once, every exclusive hold timed exactly once,
 * every contended acquisition's wait recorded once.
 */
class ProfiledLockBreakTest {
    private static final String CONTENDED = "dev.turnstile.ContendedAcquisition";
    private static final String LONG_HOLD = "dev.turnstile.LongHold";
    private static final long RUN_MILLIS = Long.getLong("profiled.millis", 3000L);

    /** Starts and stops recordings that enable both events until {@code stop}. */
    private static Thread toggler(AtomicBoolean stop) {
        return Thread.ofPlatform().daemon().name("jfr-toggler").start(() -> {
            while (!stop.get()) {
                try (Recording r = new Recording()) {
                    r.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                    r.enable(CONTENDED).withThreshold(Duration.ZERO);
                    r.start();
                    pause(ThreadLocalRandom.current().nextInt(1, 15));
                }
                pause(ThreadLocalRandom.current().nextInt(1, 10));
            }
        });
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One turn of a worker's loop: an acquisition and its checks, by worker {@code id}. */
    private interface Turn {
        void run(int id, ThreadLocalRandom random);
    }

    /**
     * Runs {@code turn} in a loop on six workers (platform and virtual threads in turn, named
     * {@code prefix} and a number) for {@link #RUN_MILLIS} while recordings that enable both events are
     * started and stopped, and, if {@code interrupt}, while random workers are interrupted. A turn that
     * throws is added to {@code errors}. Fails if a worker is stuck or anything was added to {@code errors}.
     */
    private static void runWhileRecordingsToggle(String prefix, boolean interrupt, ConcurrentLinkedQueue<String> errors,
                                                 Turn turn) throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        Thread jfr = toggler(stop);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RUN_MILLIS);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            int id = i;
            Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
            workers.add(b.name(prefix + i).start(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (System.nanoTime() < end) {
                    try {
                        turn.run(id, r);
                    } catch (RuntimeException | Error e) {
                        errors.add(prefix + id + ": " + e);
                    }
                }
            }));
        }
        Thread interrupter = !interrupt ? null : Thread.ofPlatform().daemon().start(() -> {
            while (System.nanoTime() < end) {
                workers.get(ThreadLocalRandom.current().nextInt(workers.size())).interrupt();
                pause(1);
            }
        });
        for (Thread w : workers) {
            w.join(RUN_MILLIS + 20_000);
            assertFalse(w.isAlive(), () -> "stuck: " + w + " " + List.of(w.getStackTrace()));
        }
        if (interrupter != null) {
            interrupter.join();
        }
        stop.set(true);
        jfr.join();
        assertTrue(errors.isEmpty(), () -> errors.toString());
    }

    @ParameterizedTest(name = "statistics {0}")
    @ValueSource(booleans = {true, false})
    void profiledMutexCountsEveryAcquisitionAndTimesEveryHoldOnce(boolean statistics) throws Exception {
        Mutex<long[]> m = Mutex.builder().name("profiled-mutex").statistics(statistics).build(new long[1]);
        Condvar cv = new Condvar();
        AtomicInteger inside = new AtomicInteger();
        AtomicLong acquisitions = new AtomicLong();
        AtomicLong entries = new AtomicLong();
        AtomicLong cancels = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        runWhileRecordingsToggle("w", true, errors, (id, r) -> {
            MutexGuard<long[]> g;
            switch (r.nextInt(6)) {
                case 0 -> g = m.lock();
                case 1 -> {
                    Optional<MutexGuard<long[]>> o = m.tryLock(Duration.ofNanos(r.nextInt(200_000)));
                    g = o.orElse(null);
                }
                case 2 -> {
                    try {
                        g = m.lockInterruptibly();
                    } catch (InterruptedException e) {
                        g = null;
                    }
                }
                case 3 -> {
                    CompletableFuture<MutexGuard<long[]>> f = m.lockAsync();
                    if (r.nextInt(3) == 0 && f.cancel(false)) {
                        cancels.incrementAndGet();
                        g = null;
                    } else {
                        g = f.join();
                    }
                }
                case 4 -> g = m.tryLock().orElse(null);
                default -> {
                    CompletableFuture<MutexGuard<long[]>> f =
                            m.tryLockAsync(Duration.ofNanos(r.nextInt(200_000)));
                    try {
                        g = f.join();
                    } catch (RuntimeException e) {
                        g = null;
                    }
                }
            }
            if (g == null) {
                return;
            }
            acquisitions.incrementAndGet();
            enter(inside, errors, "w" + id);
            g.get()[0]++;
            entries.incrementAndGet();
            if (r.nextInt(8) == 0) {
                inside.decrementAndGet();
                // Releases and re-acquires whatever the interrupter does: the blocking await is
                // interruptible (as Condition.await), and one interrupted on entry throws without
                // releasing, which this count could not tell from one interrupted while waiting.
                g = cv.awaitAsync(g, Duration.ofNanos(r.nextInt(100_000))).join().guard();
                acquisitions.incrementAndGet();
                enter(inside, errors, "w" + id + " after await");
            }
            if (r.nextInt(4) == 0) {
                cv.notifyOne();
            }
            inside.decrementAndGet();
            if (r.nextBoolean()) {
                g.unlockFair();
            } else {
                g.close();
            }
        });
        assertEquals(entries.get(), (long) m.withLock(c -> c[0]));
        acquisitions.incrementAndGet(); // the withLock above
        assertFalse(m.isLocked());
        if (!statistics) {
            assertQuiescentAndUnprofiledOnceUncontended(m);
            return;
        }
        LockStatistics s = m.statistics().orElseThrow();
        // A cancel that wins after the grant (LockStatisticsTest has it step by step) leaves a hold
        // this count cannot see: the statistics count it, so they may exceed it by one per cancel.
        long phantoms = s.acquisitions() - acquisitions.get();
        assertTrue(phantoms >= 0 && phantoms <= cancels.get(),
                () -> "every acquisition counted once: " + s.acquisitions() + " for " + acquisitions.get()
                        + " seen and " + cancels.get() + " cancelled");
        assertEquals(s.acquisitions(), s.holdTimes().count(), "every hold timed once");
        assertEquals(s.contendedAcquisitions(), s.waitTimes().count(), "every contended wait recorded once");
        assertFalse(m.isLocked());
    }

    @ParameterizedTest(name = "statistics {0}")
    @ValueSource(booleans = {true, false})
    void profiledRwLockTimesEveryWriteHoldOnce(boolean statistics) throws Exception {
        RwLock<long[]> rw = RwLock.builder().name("profiled-rw").statistics(statistics).build(new long[1]);
        AtomicInteger writers = new AtomicInteger();
        AtomicInteger readers = new AtomicInteger();
        AtomicLong acquisitions = new AtomicLong();
        AtomicLong writeHolds = new AtomicLong();
        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        runWhileRecordingsToggle("rw", false, errors, (id, r) -> {
            switch (r.nextInt(5)) {
                case 0 -> {
                    try (ReadGuard<long[]> g = rw.read()) {
                        acquisitions.incrementAndGet();
                        readers.incrementAndGet();
                        if (writers.get() != 0) {
                            errors.add("reader beside writer");
                        }
                        readers.decrementAndGet();
                    }
                }
                case 1 -> {
                    WriteGuard<long[]> g = rw.write();
                    acquisitions.incrementAndGet();
                    writeHolds.incrementAndGet();
                    if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                        errors.add("writer not alone");
                    }
                    g.get()[0]++;
                    writers.decrementAndGet();
                    if (r.nextBoolean()) {
                        ReadGuard<long[]> rg = g.downgrade(); // ends the timed write hold
                        readers.incrementAndGet();
                        readers.decrementAndGet();
                        rg.close();
                    } else if (r.nextBoolean()) {
                        g.unlockFair();
                    } else {
                        g.close();
                    }
                }
                case 2 -> {
                    UpgradableGuard<long[]> u = rw.upgradableRead();
                    acquisitions.incrementAndGet();
                    Optional<WriteGuard<long[]>> w = r.nextBoolean()
                            ? Optional.of(u.upgrade())
                            : u.tryUpgrade(Duration.ofNanos(r.nextInt(200_000)));
                    if (w.isPresent()) {
                        acquisitions.incrementAndGet();
                        writeHolds.incrementAndGet();
                        if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                            errors.add("upgraded writer not alone");
                        }
                        writers.decrementAndGet();
                        if (r.nextBoolean()) {
                            w.get().downgradeToUpgradable().close();
                        } else {
                            w.get().close();
                        }
                    } else {
                        u.close();
                    }
                }
                case 3 -> {
                    WriteGuard<long[]> g = rw.writeAsync().join();
                    acquisitions.incrementAndGet();
                    writeHolds.incrementAndGet();
                    if (writers.incrementAndGet() != 1 || readers.get() != 0) {
                        errors.add("async writer not alone");
                    }
                    writers.decrementAndGet();
                    g.close();
                }
                default -> {
                    ReadGuard<long[]> g = rw.readAsync().join();
                    acquisitions.incrementAndGet();
                    g.close();
                }
            }
        });
        if (!statistics) {
            assertQuiescentAndUnprofiledOnceUncontended(rw);
            return;
        }
        LockStatistics s = rw.statistics().orElseThrow();
        assertEquals(acquisitions.get(), s.acquisitions(), "every acquisition counted once");
        assertEquals(writeHolds.get(), s.holdTimes().count(), "every write hold timed once");
        assertEquals(s.contendedAcquisitions(), s.waitTimes().count(), "every contended wait recorded once");
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isWriteLocked());
    }

    /**
     * A lock profiled only by JFR (no statistics): contended while a recording enables the long-hold
     * event it becomes profiled; once no recording wants it, the next uncontended release clears the
     * bit, and its fast paths are plain again.
     */
    @Test
    void jfrOnlyLockBecomesProfiledAndThenUnprofiled() throws Exception {
        for (int round = 0; round < 20; round++) {
            Mutex<long[]> m = Mutex.builder().name("jfr-only").build(new long[1]);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            try (Recording r = new Recording()) {
                r.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                r.start();
                Thread holder = Thread.ofPlatform().start(() -> {
                    try (MutexGuard<long[]> g = m.lock()) {
                        held.countDown();
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                held.await();
                Thread waiter = Thread.ofVirtual().start(() -> m.withLock(c -> c[0]++));
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(m::hasQueuedWaiters);
                assertTrue(profiled(m), "contended while the event is enabled: profiled");
                release.countDown();
                holder.join();
                waiter.join();
            }
            // no recording now: the next uncontended release clears the bit
            m.withLock(c -> c[0]++);
            assertFalse(profiled(m), "unprofiled after an uncontended release with no recording");
            assertEquals(2L, (long) m.withLock(c -> c[0]));
        }
    }

    /**
     * A lock's {@link NanoClock} may read any {@code long}, {@link Long#MIN_VALUE} included (a test
     * clock moved back, or a nanoTime origin anywhere): a hold that begins at that reading is a hold
     * like any other and is timed.
     */
    @Test
    void aHoldThatBeginsAtLongMinValueIsTimed() {
        AtomicLong now = new AtomicLong(Long.MIN_VALUE);
        Mutex<String> m = Mutex.builder().clock(now::get).statistics(true).build("v");
        try (MutexGuard<String> g = m.lock()) {
            now.set(Long.MIN_VALUE + 5_000);
        }
        LockStatistics.Distribution holds = m.statistics().orElseThrow().holdTimes();
        assertEquals(1, holds.count(), "the hold is timed");
        assertEquals(Duration.ofNanos(5_000), holds.total());
    }

    /**
     * Hold times are differences of clock readings, each correct up to 2^63 - 1 ns even across the
     * clock's wrap-around; their total must not wrap around to a negative duration.
     */
    @Test
    void hugeHoldTimesSaturateTheirTotalInsteadOfWrappingNegative() {
        AtomicLong now = new AtomicLong(1); // no hold begins at Long.MIN_VALUE (see the test above)
        Mutex<String> m = Mutex.builder().clock(now::get).statistics(true).build("v");
        long quarter = 1L << 61;
        for (int i = 0; i < 5; i++) {
            try (MutexGuard<String> g = m.lock()) {
                now.addAndGet(quarter); // wraps past Long.MAX_VALUE on the fourth hold, like nanoTime may
            }
        }
        LockStatistics.Distribution holds = m.statistics().orElseThrow().holdTimes();
        assertEquals(5, holds.count());
        assertFalse(holds.total().isNegative(), () -> "total " + holds.total());
        assertFalse(holds.mean().isNegative(), () -> "mean " + holds.mean());
        assertTrue(holds.max().toNanos() == quarter, () -> "max " + holds.max());
    }

    /**
     * A profiled RwLock (statistics on: every fast path goes through the core) at reader saturation:
     * refusing one more read hold by a downgrade is an exception that changes nothing, with a writer
     * queued (the release takes the contended path under the guard) as without.
     */
    @Test
    void profiledRwLockAtReaderSaturationRefusesTheDowngradeAndStaysIntact() throws Exception {
        RwLock<String> rw = RwLock.builder().statistics(true).build("v");
        UpgradableGuard<String> u = rw.upgradableRead();
        for (int i = 0; i < RwLock.READERS_MASK; i++) {
            rw.acquireRead(); // the core's path: the lock is profiled
        }
        assertEquals(RwLock.READERS_MASK + 1, rw.readHolds());
        assertTrue(rw.tryRead().isEmpty(), "saturated");
        assertThrows(IllegalStateException.class, u::downgrade);
        CompletableFuture<WriteGuard<String>> writer = rw.writeAsync();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(rw::hasQueuedWaiters);
        assertThrows(IllegalStateException.class, u::downgrade);
        assertTrue(u.isHeld(), "the guard keeps its upgradable hold");
        assertEquals(RwLock.READERS_MASK + 1, rw.readHolds());
        u.close();
        for (int i = 0; i < RwLock.READERS_MASK; i++) {
            rw.releaseRead();
        }
        writer.get(10, TimeUnit.SECONDS).close();
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isWriteLocked());
        LockStatistics s = rw.statistics().orElseThrow();
        assertEquals(RwLock.READERS_MASK + 2L, s.acquisitions());
        assertEquals(1, s.holdTimes().count());
    }

    /**
     * No recording runs and nobody waits: one uncontended acquisition and release leaves the state word
     * all zero (no core bit stuck: QUEUED, SIGNAL, or PROFILED that nothing wants any more).
     */
    private static void assertQuiescentAndUnprofiledOnceUncontended(RawLock lock) {
        if (lock instanceof Mutex<?> m) {
            m.withLock(v -> v);
        } else {
            ((RwLock<?>) lock).write().close();
        }
        assertEquals(0, StateWord.of(lock), () -> "state word " + Integer.toHexString(StateWord.of(lock)));
    }

    private static void enter(AtomicInteger inside, ConcurrentLinkedQueue<String> errors, String who) {
        if (inside.incrementAndGet() != 1) {
            errors.add(who + " not alone");
        }
    }

    private static boolean profiled(RawLock lock) {
        return (StateWord.of(lock) & (1 << 29)) != 0;
    }
}
