package dev.turnstile.lock;

import static dev.turnstile.lock.Workers.awaitUntil;
import static dev.turnstile.lock.Workers.guarded;
import static dev.turnstile.lock.Workers.joinAll;
import static dev.turnstile.lock.Workers.start;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.childjvm.ChildJvm;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Adversarial checks of the blocking fast paths that act with waiters queued (Mutex.takeFree, Mutex.releaseLock):
 * {@code Mutex.acquire()} takes a free mutex past the queue in one CAS from the word its first CAS
 * found, and a guard's release expects the word its acquisition left (queued or not). Every waiter
 * must still get the lock (no lost wake-up when the hint is stale), FIFO must still hold arrivals
 * back, profiled locks must still record every acquisition and hold, and the guards' other paths
 * (condition waits, bump, unlockFair, hand-over to another thread, the Lock view, ranks) must still
 * release what they hold exactly once.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueuedFastPathBreakTest {


    private static long count(Mutex<ExclusionBox> m) {
        Long n = m.withLock(b -> b.n);
        return n;
    }

    /** The mutex ended free with an empty queue, and its counter saw every counted hold. */
    private static void assertSettled(Mutex<ExclusionBox> m, long done) {
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
        assertEquals(done, count(m));
    }

    // ------------------------------------------------------------------ step by step: stale hints

    /**
     * A guard whose acquisition waited carries the QUEUED hint. Its release then finds, in turn: a
     * queue a timed waiter left (word LOCKED only), and a new first waiter that armed SIGNAL (the
     * release must wake it, not free the bit and leave it parked).
     */
    @Test
    void aQueuedHintReleaseAfterTheLastWaiterTimedOutAndANewOneArmed() throws Exception {
        for (int round = 0; round < 20; round++) {
            Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
            MutexGuard<ExclusionBox> first = m.lock();
            AtomicReference<MutexGuard<ExclusionBox>> queuedHolder = new AtomicReference<>();
            CountDownLatch holding = new CountDownLatch(1);
            Thread a = start(round % 2 == 1, "queued-holder", () -> {
                queuedHolder.set(m.lock()); // waits: its guard's hint is HELD_QUEUED
                holding.countDown();
            });
            awaitUntil(() -> m.queueLength() == 1);
            first.close();
            assertTrue(holding.await(5, TimeUnit.SECONDS), "the queued waiter was not woken");
            a.join(5000);
            MutexGuard<ExclusionBox> g = queuedHolder.get();
            assertEquals(0, m.queueLength());

            // A timed waiter queues (arms SIGNAL) and times out: the queue is empty again.
            Thread timed = start(false, "timed", () -> assertTrue(m.tryLock(Duration.ofMillis(20)).isEmpty()));
            timed.join(5000);
            assertFalse(timed.isAlive());
            assertFalse(m.hasQueuedWaiters());

            // A new first waiter arms SIGNAL on the held word; the stale-hinted release must wake it.
            CountDownLatch got = new CountDownLatch(1);
            Thread w = start(round % 3 == 0, "new-first", () -> {
                try (MutexGuard<ExclusionBox> h = m.lock()) {
                    h.get().bump();
                    got.countDown();
                }
            });
            awaitUntil(() -> m.queueLength() == 1);
            g.close(); // expects QUEUED|LOCKED, finds QUEUED|SIGNAL|LOCKED
            assertTrue(got.await(5, TimeUnit.SECONDS), "the new first waiter was never woken (round " + round + ")");
            w.join(5000);
            assertFalse(m.isLocked());
            assertEquals(1L, count(m));
        }
    }

    /**
     * The {@code asLock()} view remembers, as a guard does, whether waiters were queued when its owner
     * took the mutex. Its owner waited (hint: queued); then the queue empties (a timed waiter gives
     * up) and a new first waiter arms SIGNAL: the view's unlock must wake that waiter.
     */
    @Test
    void theLockViewsQueuedHintReleaseAfterTheQueueEmptiedAndANewWaiterArmed() throws Exception {
        for (int round = 0; round < 10; round++) {
            Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
            Lock view = m.asLock();
            MutexGuard<ExclusionBox> first = m.lock();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch unlock = new CountDownLatch(1);
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            Thread owner = start(round % 2 == 1, "view-owner", guarded(errors, () -> {
                view.lock(); // waits behind the guard: the view's hint is "queued"
                holding.countDown();
                assertTrue(unlock.await(5, TimeUnit.SECONDS));
                view.unlock();
            }));
            awaitUntil(() -> m.queueLength() == 1);
            first.close();
            assertTrue(holding.await(5, TimeUnit.SECONDS), "the view's owner was not woken");
            assertEquals(0, m.queueLength());

            Thread timed = start(false, "timed", () -> assertTrue(m.tryLock(Duration.ofMillis(20)).isEmpty()));
            timed.join(5000);
            assertFalse(timed.isAlive());
            assertFalse(m.hasQueuedWaiters());

            CountDownLatch got = new CountDownLatch(1);
            Thread w = start(round % 3 == 0, "new-first", () -> {
                try (MutexGuard<ExclusionBox> h = m.lock()) {
                    h.get().bump();
                    got.countDown();
                }
            });
            awaitUntil(() -> m.queueLength() == 1);
            unlock.countDown(); // the view's unlock expects QUEUED|LOCKED and finds SIGNAL set as well
            assertTrue(got.await(5, TimeUnit.SECONDS), "the new first waiter was never woken (round " + round + ")");
            owner.join(5000);
            w.join(5000);
            assertTrue(errors.isEmpty(), errors::toString);
            assertFalse(m.isLocked());
            assertEquals(1L, count(m));
        }
    }

    /** The QUEUED-hinted release on a mutex whose queue emptied: the lock must come free. */
    @Test
    void aQueuedHintReleaseOnAnEmptiedQueueFreesTheLock() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> first = m.lock();
        AtomicReference<MutexGuard<String>> ref = new AtomicReference<>();
        Thread a = start(false, "waiter", () -> ref.set(m.lock()));
        awaitUntil(() -> m.queueLength() == 1);
        first.close();
        a.join(5000);
        MutexGuard<String> g = ref.get();
        assertTrue(m.isLocked());
        g.close();
        assertFalse(m.isLocked());
        assertTrue(m.tryLock().isPresent(), "the lock must be free after the hinted release");
        // double close of that guard still refused
        assertThrows(IllegalStateException.class, g::close);
    }

    // ------------------------------------------------------------------ stress: every waiter gets it

    /**
     * Bargers (lock(), withLock) with short holds, timed waiters that must succeed within a generous
     * bound, and timed waiters that give up quickly (cancelling, possibly as the last waiter while a
     * holder with a QUEUED hint releases). Everyone finishes; the counter shows exclusion.
     */
    @Test
    void timedWaitersBargersAndQuickTimeoutsAllProgress() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        int ops = 4000;
        for (int i = 0; i < 6; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "w" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < ops; k++) {
                    switch ((id + k) % 4) {
                        case 0 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                g.get().bump();
                            }
                            done.incrementAndGet();
                        }
                        case 1 -> {
                            m.withLockDo(ExclusionBox::bump);
                            done.incrementAndGet();
                        }
                        case 2 -> {
                            Optional<MutexGuard<ExclusionBox>> g = m.tryLock(Duration.ofSeconds(20));
                            assertTrue(g.isPresent(), "a timed waiter with a 20 s bound never got the lock");
                            try (MutexGuard<ExclusionBox> h = g.get()) {
                                h.get().bump();
                            }
                            done.incrementAndGet();
                        }
                        default -> {
                            Optional<MutexGuard<ExclusionBox>> g = m.tryLock(Duration.ofNanos(r.nextInt(1, 50_000)));
                            if (g.isPresent()) {
                                try (MutexGuard<ExclusionBox> h = g.get()) {
                                    h.get().bump();
                                }
                                done.incrementAndGet();
                            }
                        }
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors);
        assertSettled(m, done.get());
    }

    /**
     * Pairs: a holder that releases with a QUEUED hint while one timed waiter at a time arrives and
     * times out around the release. Detects a waiter left parked with the lock free: every untimed
     * waiter must finish within a bound even when the only other traffic has stopped.
     */
    @Test
    void untimedWaitersFinishWhenTrafficStops() throws Exception {
        for (int round = 0; round < 30; round++) {
            Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            int per = 200;
            for (int i = 0; i < 3; i++) {
                boolean virtual = (i + round) % 2 == 0;
                threads.add(start(virtual, "u" + i, guarded(errors, () -> {
                    for (int k = 0; k < per; k++) {
                        try (MutexGuard<ExclusionBox> g = m.lock()) {
                            g.get().bump();
                        }
                    }
                })));
            }
            threads.add(start(false, "t", guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < per; k++) {
                    m.tryLock(Duration.ofNanos(r.nextInt(1000, 100_000))).ifPresent(g -> {
                        g.get().bump();
                        g.close();
                    });
                }
            })));
            joinAll(threads, 15_000, errors);
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
            assertTrue(count(m) >= 3L * per);
        }
    }

    // ------------------------------------------------------------------ FIFO

    /**
     * A FIFO mutex: four waiters queue in a known order; then arrivals hammer lock() and withLock.
     * The queued four must get the lock in their order, before any later arrival.
     */
    @Test
    void fifoNeverLetsLockTakeItPastQueuedWaiters() throws Exception {
        for (int round = 0; round < 5; round++) {
            Mutex<List<String>> m = Mutex.builder().fairness(Fairness.FIFO).build(Collections.synchronizedList(new ArrayList<>()));
            MutexGuard<List<String>> holder = m.lock();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> queued = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String name = "Q" + i;
                queued.add(start(i % 2 == 0, name, guarded(errors, () -> {
                    try (MutexGuard<List<String>> g = m.lock()) {
                        g.get().add(name);
                        Thread.onSpinWait();
                    }
                })));
                int expected = i + 1;
                awaitUntil(() -> m.queueLength() == expected);
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> bargers = new ArrayList<>();
            CountDownLatch bargersRunning = new CountDownLatch(2);
            for (int i = 0; i < 2; i++) {
                String name = "B" + i;
                boolean virtual = i == 1;
                bargers.add(start(virtual, name, guarded(errors, () -> {
                    bargersRunning.countDown();
                    int k = 0;
                    while (!stop.get()) {
                        if (k++ % 2 == 0) {
                            try (MutexGuard<List<String>> g = m.lock()) {
                                g.get().add(name);
                            }
                        } else {
                            m.withLockDo(l -> l.add(name));
                        }
                    }
                })));
            }
            bargersRunning.await();
            awaitUntil(() -> m.queueLength() >= 5);
            holder.close();
            joinAll(queued, 10_000, errors);
            stop.set(true);
            joinAll(bargers, 10_000, errors);
            List<String> order = m.withLock(List::copyOf);
            assertEquals(List.of("Q0", "Q1", "Q2", "Q3"), order.subList(0, 4),
                    "FIFO order broken; acquisition order: " + order.subList(0, Math.min(order.size(), 12)));
        }
    }

    /**
     * FIFO with a free lock and a waiter in flight cannot be arranged from outside directly, so: a
     * FIFO mutex under churn where a woken condition waiter (woken in place by a requeue) competes;
     * the fast path must not take it past the queue. Progress and exclusion only.
     */
    @Test
    void fifoChurnWithConditionWaitersProgresses() throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(Fairness.FIFO).build(new ExclusionBox());
        Condvar c = new Condvar();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        AtomicLong bumps = new AtomicLong();
        for (int i = 0; i < 2; i++) {
            threads.add(start(i == 1, "awaiter" + i, guarded(errors, () -> {
                for (int k = 0; k < 200; k++) {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        c.await(g, Duration.ofMillis(2));
                        g.get().bump();
                        bumps.incrementAndGet();
                    }
                }
            })));
        }
        for (int i = 0; i < 2; i++) {
            threads.add(start(i == 0, "notifier" + i, guarded(errors, () -> {
                for (int k = 0; k < 600; k++) {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        g.get().bump();
                        bumps.incrementAndGet();
                        c.notifyAllWaiters();
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors);
        stop.set(true);
        assertFalse(m.isLocked());
        assertEquals(bumps.get(), count(m));
    }

    // ------------------------------------------------------------------ profiled locks

    /**
     * Statistics on: every acquisition by every blocking and non-blocking path is counted once, every
     * hold timed once, whatever the queue looked like (the fast paths must fail on PROFILED).
     */
    @Test
    void statisticsCountEveryAcquisitionAndHoldOnce() throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().statistics(true).build(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong acquisitions = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        Lock view = m.asLock();
        Condvar cv = new Condvar();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "s" + i, guarded(errors, () -> {
                for (int k = 0; k < 600; k++) {
                    acquisitions.addAndGet(AcquisitionKinds.bumpOnce(m, view, cv, (id + k) % AcquisitionKinds.COUNT));
                }
            })));
        }
        joinAll(threads, 50_000, errors);
        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(acquisitions.get(), s.acquisitions(), "acquisitions counted: " + s);
        assertEquals(acquisitions.get(), s.holdTimes().count(), "holds timed: " + s);
        assertTrue(s.contendedAcquisitions() <= s.acquisitions(), s.toString());
    }

    /**
     * JFR recordings started and stopped while the mutex is contended: PROFILED comes and goes under
     * the fast paths (set by a contended arrival between the fast path's read and its CAS). Exclusion
     * and progress.
     */
    @Test
    void jfrTogglingUnderTheQueuedFastPaths() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        Mutex<ExclusionBox> stats = Mutex.builder().statistics(true).build(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread toggler = start(false, "jfr-toggler", () -> {
            while (!stop.get()) {
                try (Recording r = new Recording()) {
                    r.enable("dev.turnstile.LongHold").withThreshold(Duration.ZERO);
                    r.enable("dev.turnstile.ContendedAcquisition").withThreshold(Duration.ZERO);
                    r.start();
                    LockSupportSleep.millis(ThreadLocalRandom.current().nextInt(1, 10));
                }
                LockSupportSleep.millis(ThreadLocalRandom.current().nextInt(1, 8));
            }
        });
        AtomicLong done = new AtomicLong();
        AtomicLong statsDone = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 0, "j" + i, guarded(errors, () -> {
                for (int k = 0; k < 5000; k++) {
                    Mutex<ExclusionBox> target = (k + id) % 3 == 0 ? stats : m;
                    if (k % 2 == 0) {
                        try (MutexGuard<ExclusionBox> g = target.lock()) {
                            g.get().bump();
                        }
                    } else {
                        target.withLockDo(ExclusionBox::bump);
                    }
                    (target == stats ? statsDone : done).incrementAndGet();
                }
            })));
        }
        joinAll(threads, 40_000, errors, stop, toggler);
        assertEquals(done.get(), count(m));
        assertFalse(m.isLocked());
        long n = statsDone.get();
        LockStatistics s = stats.statistics().orElseThrow();
        assertEquals(n, count(stats));
        // the withLock just above is one more acquisition and hold
        LockStatistics after = stats.statistics().orElseThrow();
        assertEquals(n + 1, after.acquisitions(), after.toString());
        assertEquals(n + 1, after.holdTimes().count(), after.toString());
        assertTrue(s.acquisitions() >= n, s.toString());
    }

    /** Sleeps without leaving an interrupt unhandled. */
    static final class LockSupportSleep {
        static void millis(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ condvar, bump, unlockFair, hand-over

    /** A bounded buffer on Condvar + MutexGuard: platform and virtual producers and consumers. */
    @Test
    void condvarBoundedBufferUnderQueuedFastPaths() throws Exception {
        Mutex<ArrayDeque<Integer>> m = new Mutex<>(new ArrayDeque<>());
        Condvar notEmpty = new Condvar();
        Condvar notFull = new Condvar();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong consumedSum = new AtomicLong();
        int perProducer = 1500;
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            threads.add(start(p == 1, "producer" + p, guarded(errors, () -> {
                for (int k = 1; k <= perProducer; k++) {
                    try (MutexGuard<ArrayDeque<Integer>> g = m.lock()) {
                        while (g.get().size() >= 4) {
                            notFull.await(g);
                        }
                        g.get().add(k);
                        notEmpty.notifyOne();
                    }
                }
            })));
        }
        for (int c = 0; c < 2; c++) {
            boolean virtual = c == 0;
            threads.add(start(virtual, "consumer" + c, guarded(errors, () -> {
                for (int k = 0; k < perProducer; k++) {
                    try (MutexGuard<ArrayDeque<Integer>> g = m.lockInterruptibly()) {
                        while (g.get().isEmpty()) {
                            notEmpty.await(g);
                        }
                        consumedSum.addAndGet(g.get().poll());
                        notFull.notifyOne();
                    }
                }
            })));
        }
        // extra bargers on the same mutex keep the queue non-empty
        AtomicBoolean stop = new AtomicBoolean();
        Thread barger = start(false, "barger", guarded(errors, () -> {
            while (!stop.get()) {
                m.withLockDo(d -> Thread.onSpinWait());
            }
        }));
        joinAll(threads, 40_000, errors);
        stop.set(true);
        joinAll(List.of(barger), 5000, errors);
        long expected = 2L * perProducer * (perProducer + 1) / 2;
        assertEquals(expected, consumedSum.get());
        assertFalse(m.isLocked());
    }

    /** bump() and unlockFair() from guards whose hint says queued, and guards closed on another thread. */
    @Test
    void bumpUnlockFairAndHandedOverGuards() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        AtomicLong done = new AtomicLong();
        ConcurrentLinkedQueue<Handed> handed = new ConcurrentLinkedQueue<>();
        AtomicInteger handedCount = new AtomicInteger();
        int ops = 800;
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 0, "b" + i, guarded(errors, () -> {
                for (int k = 0; k < ops; k++) {
                    MutexGuard<ExclusionBox> g = m.lock();
                    g.get().bump();
                    done.incrementAndGet();
                    switch ((id + k) % 4) {
                        case 0 -> {
                            g.bump();
                            g.get().bump();
                            done.incrementAndGet();
                            g.close();
                        }
                        case 1 -> g.unlockFair();
                        case 2 -> {
                            if (id == 0) {
                                Handed h = new Handed(g, new CountDownLatch(1));
                                handed.add(h); // the closer thread uses and closes it
                                handedCount.incrementAndGet();
                                assertTrue(h.closed().await(20, TimeUnit.SECONDS), "handed guard never closed");
                            } else {
                                g.close();
                            }
                        }
                        default -> g.close();
                    }
                }
            })));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread closer = start(false, "closer", guarded(errors, () -> {
            while (!stop.get() || !handed.isEmpty()) {
                Handed h = handed.poll();
                if (h == null) {
                    Thread.onSpinWait();
                    continue;
                }
                h.guard().get().bump();
                done.incrementAndGet();
                h.guard().close();
                h.closed().countDown();
            }
        }));
        joinAll(threads, 40_000, errors);
        stop.set(true);
        joinAll(List.of(closer), 5000, errors);
        assertTrue(handedCount.get() > 0);
        assertSettled(m, done.get());
    }

    record Handed(MutexGuard<ExclusionBox> guard, CountDownLatch closed) {
    }

    /** unlockFair of a guard with a queued waiter hands the lock over: nobody can take it in between. */
    @Test
    void unlockFairHandsOverEvenWithAQueuedHint() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> first = m.lock();
        AtomicReference<MutexGuard<String>> second = new AtomicReference<>();
        Thread a = start(false, "second", () -> second.set(m.lock()));
        awaitUntil(() -> m.queueLength() == 1);
        first.close();
        a.join(5000);
        MutexGuard<String> g = second.get(); // hint: queued
        CountDownLatch got = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread w = start(false, "third", () -> {
            try (MutexGuard<String> h = m.lock()) {
                got.countDown();
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        awaitUntil(() -> m.queueLength() == 1);
        g.unlockFair();
        assertTrue(m.isLocked(), "unlockFair must hand the lock to the queued waiter");
        assertTrue(m.tryLock().isEmpty(), "nobody may take the lock between unlockFair and the waiter");
        assertTrue(got.await(5, TimeUnit.SECONDS));
        release.countDown();
        w.join(5000);
        assertFalse(m.isLocked());
    }

    // ------------------------------------------------------------------ Lock view, interrupts, async

    /** The Lock view: lock/unlock/tryLock/newCondition under contention, and unlock without a hold. */
    @Test
    void lockViewUnderQueuedFastPaths() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "v" + i, guarded(errors, () -> {
                for (int k = 0; k < 800; k++) {
                    switch ((id + k) % 4) {
                        case 0 -> {
                            view.lock();
                            try {
                                m.value().bump();
                                done.incrementAndGet();
                                cond.signalAll();
                            } finally {
                                view.unlock();
                            }
                        }
                        case 1 -> {
                            if (view.tryLock()) {
                                try {
                                    m.value().bump();
                                    done.incrementAndGet();
                                } finally {
                                    view.unlock();
                                }
                            }
                        }
                        case 2 -> {
                            assertTrue(view.tryLock(20, TimeUnit.SECONDS));
                            try {
                                m.value().bump();
                                done.incrementAndGet();
                                cond.await(1, TimeUnit.MILLISECONDS);
                            } finally {
                                view.unlock();
                            }
                        }
                        default -> {
                            view.lockInterruptibly();
                            try {
                                m.value().bump();
                                done.incrementAndGet();
                            } finally {
                                view.unlock();
                            }
                        }
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors);
        assertEquals(done.get(), count(m));
        assertThrows(IllegalMonitorStateException.class, view::unlock);
        assertFalse(m.isLocked());
    }

    /** lockInterruptibly under random interrupts: held only on success, always released, none stuck. */
    @Test
    void lockInterruptiblyWithInterrupts() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(start(i % 2 == 0, "i" + i, guarded(errors, () -> {
                for (int k = 0; k < 3000; k++) {
                    try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                        g.get().bump();
                        done.incrementAndGet();
                    } catch (InterruptedException expected) {
                        // try again
                    }
                }
                Thread.interrupted();
            })));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread interrupter = start(false, "interrupter", () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                threads.get(r.nextInt(threads.size())).interrupt();
                Thread.onSpinWait();
                Thread.yield();
            }
        });
        joinAll(threads, 40_000, errors, stop, interrupter);
        assertSettled(m, done.get());
    }

    /** Asynchronous callback waiters (heads that need a SIGNAL release) mixed with blocking lock(). */
    @Test
    void asyncCallbacksMixedWithBlockingLock() throws Exception {
        for (int round = 0; round < 3; round++) {
            Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicLong done = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                threads.add(start(i == 1, "blk" + i, guarded(errors, () -> {
                    for (int k = 0; k < 1500; k++) {
                        try (MutexGuard<ExclusionBox> g = m.lock()) {
                            g.get().bump();
                        }
                        done.incrementAndGet();
                    }
                })));
            }
            List<CompletableFuture<Void>> futures = Collections.synchronizedList(new ArrayList<>());
            threads.add(start(false, "async", guarded(errors, () -> {
                for (int k = 0; k < 1500; k++) {
                    CompletableFuture<Void> f = new CompletableFuture<>();
                    futures.add(f);
                    m.lockAsync(new LockCallback<MutexGuard<ExclusionBox>>() {
                        @Override
                        public void onLocked(MutexGuard<ExclusionBox> g) {
                            try {
                                g.get().bump();
                                done.incrementAndGet();
                            } finally {
                                g.close();
                            }
                            f.complete(null);
                        }

                        @Override
                        public void onFailed(Throwable cause) {
                            f.completeExceptionally(cause);
                        }
                    });
                    if (k % 16 == 0) {
                        f.get(20, TimeUnit.SECONDS); // keep the queue bounded
                    }
                }
            })));
            joinAll(threads, 40_000, errors);
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            assertSettled(m, done.get());
        }
    }

    // ------------------------------------------------------------------ ranks, deadlock detection

    /**
     * Ranked and deadlock-detected mutexes under contention: the holds the fast paths take are
     * recorded and released (no stale records afterwards), so order checks still hold and the
     * detector sees no phantom cycle.
     */
    @Test
    void ranksAndDeadlockDetectionKeepTheirRecords() throws Exception {
        Mutex<ExclusionBox> low = Mutex.builder().name("low").rank(1).build(new ExclusionBox());
        Mutex<ExclusionBox> high = Mutex.builder().name("high").rank(2).build(new ExclusionBox());
        Mutex<ExclusionBox> tracked = Mutex.builder().name("tracked").detectDeadlocks().build(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 0, "r" + i, guarded(errors, () -> {
                for (int k = 0; k < 800; k++) {
                    if ((id + k) % 2 == 0) {
                        try (MutexGuard<ExclusionBox> a = low.lock(); MutexGuard<ExclusionBox> b = high.lock()) {
                            a.get().bump();
                            b.get().bump();
                        }
                    } else {
                        high.withLockDo(b -> {
                            b.bump();
                            assertThrows(LockOrderViolationException.class, low::lock);
                        });
                        tracked.withLockDo(ExclusionBox::bump);
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors);
        assertTrue(Deadlocks.detect().isEmpty(), () -> "phantom deadlock: " + Deadlocks.detect());
        try (MutexGuard<ExclusionBox> h = high.lock()) {
            assertThrows(LockOrderViolationException.class, low::lock);
        }
        try (MutexGuard<ExclusionBox> l = low.lock(); MutexGuard<ExclusionBox> h = high.lock()) {
            assertTrue(low.isLocked() && high.isLocked());
        }
        assertFalse(low.isLocked() || high.isLocked() || tracked.isLocked());

        // A real two-lock deadlock between tracked mutexes is still found after that traffic.
        Mutex<String> x = Mutex.builder().name("x").detectDeadlocks().build("x");
        Mutex<String> y = Mutex.builder().name("y").detectDeadlocks().build("y");
        CountDownLatch both = new CountDownLatch(2);
        Thread t1 = start(false, "dl1", () -> {
            try (MutexGuard<String> g = x.lock()) {
                both.countDown();
                both.await();
                y.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Thread t2 = start(false, "dl2", () -> {
            try (MutexGuard<String> g = y.lock()) {
                both.countDown();
                both.await();
                x.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> !Deadlocks.detect().isEmpty());
        } finally {
            t1.interrupt();
            t2.interrupt();
            t1.join(5000);
            t2.join(5000);
        }
        assertFalse(x.isLocked() || y.isLocked());
    }

    // ------------------------------------------------------------------ double release

    /** Double release is refused as before, also with waiters queued and a QUEUED hint. */
    @Test
    void doubleReleaseStillThrows() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> g = m.lock();
        g.close();
        assertThrows(IllegalStateException.class, g::close);
        assertThrows(IllegalStateException.class, () -> m.releaseLock(false));
        assertFalse(m.isLocked());

        // With a waiter queued behind a guard whose hint is queued.
        MutexGuard<String> first = m.lock();
        AtomicReference<MutexGuard<String>> ref = new AtomicReference<>();
        Thread a = start(false, "a", () -> ref.set(m.lock()));
        awaitUntil(() -> m.queueLength() == 1);
        first.close();
        a.join(5000);
        MutexGuard<String> queuedHint = ref.get();
        CountDownLatch got = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread w = start(false, "w", () -> {
            try (MutexGuard<String> h = m.lock()) {
                got.countDown();
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        awaitUntil(() -> m.queueLength() == 1);
        queuedHint.close();
        assertThrows(IllegalStateException.class, queuedHint::close);
        assertTrue(got.await(5, TimeUnit.SECONDS));
        assertThrows(IllegalStateException.class, first::close);
        assertTrue(m.isLocked(), "a refused double close must not free the waiter's hold");
        release.countDown();
        w.join(5000);
        assertFalse(m.isLocked());
        assertThrows(IllegalStateException.class, () -> m.releaseLock(false));
        assertThrows(IllegalMonitorStateException.class, () -> m.asLock().unlock());
    }

    /** White-box: the hinted release of an unlocked mutex throws for either hint. */
    @Test
    void hintedReleaseOfAnUnlockedMutexThrows() {
        Mutex<String> m = new Mutex<>("v");
        assertThrows(IllegalStateException.class, () -> m.releaseLock(false, null, Mutex.HELD_QUEUED));
        assertThrows(IllegalStateException.class, () -> m.releaseLock(false, null, Mutex.HELD_ALONE));
        assertFalse(m.isLocked());
        int held = m.acquire();
        assertEquals(Mutex.HELD_ALONE, held);
        m.releaseLock(false, null, Mutex.HELD_QUEUED); // wrong hint: one more CAS, still released
        assertFalse(m.isLocked());
        assertTrue(m.tryLock().isPresent());
    }

    // ------------------------------------------------------------------ heavy mixed stress

    /** Every acquisition kind on platform and virtual threads: exclusion and progress. */
    @Test
    void heavyMixedStress() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        AtomicLong queuedSeen = new AtomicLong();
        Condvar c = new Condvar();
        Lock view = m.asLock();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(start(i % 2 == 1, "x" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < 4000; k++) {
                    if (m.hasQueuedWaiters()) {
                        queuedSeen.incrementAndGet();
                    }
                    switch (r.nextInt(10)) {
                        case 0 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                g.get().bump();
                                done.incrementAndGet();
                            }
                        }
                        case 1 -> m.withLockDo(b -> {
                            b.bump();
                            done.incrementAndGet();
                        });
                        case 2 -> m.update(b -> {
                            b.bump();
                            done.incrementAndGet();
                            return b;
                        });
                        case 3 -> m.tryLock().ifPresent(g -> {
                            g.get().bump();
                            done.incrementAndGet();
                            g.close();
                        });
                        case 4 -> m.tryLock(Duration.ofNanos(r.nextInt(1, 200_000))).ifPresent(g -> {
                            g.get().bump();
                            done.incrementAndGet();
                            g.close();
                        });
                        case 5 -> {
                            view.lock();
                            try {
                                m.value().bump();
                                done.incrementAndGet();
                            } finally {
                                view.unlock();
                            }
                        }
                        case 6 -> {
                            try (MutexGuard<ExclusionBox> g = m.lockAsync().get(20, TimeUnit.SECONDS)) {
                                g.get().bump();
                                done.incrementAndGet();
                            }
                        }
                        case 7 -> {
                            MutexGuard<ExclusionBox> g = m.lock();
                            g.get().bump();
                            done.incrementAndGet();
                            g.bump();
                            g.unlockFair();
                        }
                        case 8 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                c.notifyOne();
                                c.await(g, Duration.ofNanos(r.nextInt(1, 100_000)));
                                g.get().bump();
                                done.incrementAndGet();
                            }
                        }
                        default -> {
                            try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                                g.get().bump();
                                done.incrementAndGet();
                                c.notifyAllWaiters();
                            }
                        }
                    }
                }
            })));
        }
        joinAll(threads, 50_000, errors);
        assertSettled(m, done.get());
        assertTrue(queuedSeen.get() > 0, "the stress never saw waiters queued: it exercised nothing new");
    }

    // ------------------------------------------------------------------ one carrier (a JVM of its own)

    /** Virtual threads on one carrier: bargers, timed waiters and releases with stale hints. */
    @Test
    void oneCarrierVirtualThreadsInAChildJvm() throws Exception {
        String text = ChildJvm.onOneCarrier(OneCarrier.class, Duration.ofSeconds(40), Mutex.class, QueuedFastPathBreakTest.class);
        assertTrue(text.contains("one-carrier ok"), text);
    }

    /** The child JVM's scenario (no JUnit on its class path). */
    public static final class OneCarrier {
        public static void main(String[] args) throws Exception {
            for (int round = 0; round < 20; round++) {
                Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
                AtomicLong done = new AtomicLong();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    int id = i;
                    threads.add(Thread.ofVirtual().name("vt" + i).start(() -> {
                        try {
                            ThreadLocalRandom r = ThreadLocalRandom.current();
                            for (int k = 0; k < 1000; k++) {
                                switch ((id + k) % 4) {
                                    case 0 -> {
                                        try (MutexGuard<ExclusionBox> g = m.lock()) {
                                            g.get().bump();
                                            done.incrementAndGet();
                                        }
                                    }
                                    case 1 -> m.withLockDo(b -> {
                                        b.bump();
                                        done.incrementAndGet();
                                    });
                                    case 2 -> {
                                        Optional<MutexGuard<ExclusionBox>> g = m.tryLock(Duration.ofSeconds(20));
                                        if (g.isEmpty()) {
                                            throw new AssertionError("timed waiter starved");
                                        }
                                        g.get().get().bump();
                                        done.incrementAndGet();
                                        g.get().close();
                                    }
                                    default -> m.tryLock(Duration.ofNanos(r.nextInt(1, 100_000))).ifPresent(g -> {
                                        g.get().bump();
                                        done.incrementAndGet();
                                        g.close();
                                    });
                                }
                            }
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                for (Thread t : threads) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0 || !t.join(Duration.ofMillis(left))) {
                        System.out.println("stuck: " + t + " round " + round + " locked=" + m.isLocked()
                                + " queue=" + m.queueLength());
                        for (Thread u : threads) {
                            System.out.println(u + " " + u.getState() + " " + java.util.Arrays.toString(u.getStackTrace()));
                        }
                        System.exit(2);
                    }
                }
                if (!errors.isEmpty()) {
                    errors.peek().printStackTrace(System.out);
                    System.exit(3);
                }
                long n = count(m);
                if (n != done.get() || m.isLocked() || m.queueLength() != 0) {
                    System.out.println("round " + round + ": counter " + n + " != " + done.get());
                    System.exit(4);
                }
            }
            System.out.println("one-carrier ok");
        }
    }
}
