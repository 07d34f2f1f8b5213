package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.park.WaitQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link RwLock}: sharing, exclusion, task fairness, upgrades, downgrades, recursion and misuse. */
@Timeout(30)
class RwLockTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    /**
     * The wait of an acquisition a test lets time out while others queue behind it: the test must see
     * it queued and queue more before it gives up, which took more than the 200-300 ms used before on
     * a loaded two-core machine.
     */
    private static final Duration TIMED_OUT_WAIT = Duration.ofSeconds(2);

    /** Runs {@code action} on a new platform thread and returns its completion. */
    private static <R> CompletableFuture<R> onThread(Supplier<R> action) {
        CompletableFuture<R> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                done.complete(action.get());
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    private static Throwable failureOnAnotherThread(Runnable action) throws Exception {
        return onThread(() -> {
            try {
                action.run();
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        }).get(10, TimeUnit.SECONDS);
    }

    private static void awaitQueued(RwLock<?> lock, int waiters) {
        await().atMost(PATIENCE).until(() -> lock.queueLength() == waiters);
    }

    // ---------------------------------------------------------------- basics

    @Test
    void readersShareAndAWriterExcludesEveryone() {
        RwLock<String> lock = new RwLock<>("v");
        ReadGuard<String> r1 = lock.read();
        ReadGuard<String> r2 = lock.read();
        assertEquals(2, lock.readHolds());
        assertEquals("v", r1.get());
        assertTrue(lock.tryWrite().isEmpty());
        r1.close();
        r2.close();
        WriteGuard<String> w = lock.write();
        assertTrue(lock.isWriteLocked());
        assertTrue(lock.tryRead().isEmpty());
        assertTrue(lock.tryUpgradableRead().isEmpty());
        assertTrue(lock.tryWrite().isEmpty());
        w.set("w");
        w.close();
        assertEquals("w", lock.withRead(v -> v));
        assertEquals("ww", lock.update(v -> v + "w"));
        assertEquals(2, (int) lock.withWrite(String::length));
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void withReadAndWithWriteReleaseWhenTheActionThrows() {
        RwLock<String> lock = new RwLock<>("v");
        assertThrows(IllegalArgumentException.class, () -> lock.withRead(v -> {
            throw new IllegalArgumentException();
        }));
        assertThrows(IllegalArgumentException.class, () -> lock.withWrite(v -> {
            throw new IllegalArgumentException();
        }));
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void builderSettingsReachTheLock() {
        RwLock<Integer> lock = RwLock.builder().name("prices").fairness(Fairness.FIFO).build(1);
        assertEquals("prices", lock.name());
        assertEquals(Fairness.FIFO, lock.fairness());
        assertTrue(lock.toString().contains("prices"));
    }

    // ---------------------------------------------------------------- task fairness

    @Test
    void aQueuedWriterBlocksNewReaders() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        ReadGuard<Integer> early = lock.read();
        CompletableFuture<Integer> writer = onThread(() -> lock.update(v -> v + 1));
        awaitQueued(lock, 1);
        assertTrue(lock.tryRead().isEmpty(), "a try-read overtook the queued writer");
        CompletableFuture<Integer> lateReader = onThread(() -> lock.withRead(v -> v));
        awaitQueued(lock, 2);
        early.close();
        assertEquals(1, writer.get(10, TimeUnit.SECONDS));
        assertEquals(1, lateReader.get(10, TimeUnit.SECONDS), "the late reader ran after the writer");
    }

    @Test
    void aFairUnlockAdmitsEveryReaderQueuedBeforeTheNextWriterInOneStep() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        WriteGuard<Integer> w = lock.write();
        List<CompletableFuture<ReadGuard<Integer>>> readers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 3; i++) {
            readers.add(onThread(lock::read));
            awaitQueued(lock, i + 1);
        }
        CompletableFuture<WriteGuard<Integer>> nextWriter = onThread(lock::write);
        awaitQueued(lock, 4);
        CompletableFuture<ReadGuard<Integer>> readerAfterWriter = onThread(lock::read);
        awaitQueued(lock, 5);

        w.unlockFair();
        // The hand-off published all three read holds in the same step as the release.
        assertEquals(3, lock.readHolds());
        assertEquals(2, lock.queueLength(), "the next writer and the reader behind it still wait");
        for (CompletableFuture<ReadGuard<Integer>> r : readers) {
            r.get(10, TimeUnit.SECONDS).close();
        }
        nextWriter.get(10, TimeUnit.SECONDS).close();
        readerAfterWriter.get(10, TimeUnit.SECONDS).close();
        assertEquals(0, lock.readHolds());
    }

    /**
     * Readers queued behind a writer, held inside together until all of them are in: a release that
     * woke one without letting the next in would leave the rest parked, and the test would time out.
     */
    private static List<CompletableFuture<Void>> queueReadersBehind(RwLock<Integer> lock, int count,
                                                                    Thread.Builder threads,
                                                                    CountDownLatch allInside) {
        List<CompletableFuture<Void>> readers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < count; i++) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            threads.start(() -> {
                try {
                    try (ReadGuard<Integer> r = lock.read()) {
                        allInside.countDown();
                        if (!allInside.await(10, TimeUnit.SECONDS)) {
                            throw new AssertionError("the other readers did not get in");
                        }
                    }
                    done.complete(null); // after its hold ended, so that the test may count holds
                } catch (Throwable t) {
                    done.completeExceptionally(t);
                }
            });
            readers.add(done);
            awaitQueued(lock, i + 1);
        }
        return readers;
    }

    @Test
    void aWriterReleaseWakesTheFirstQueuedReaderAndEachReaderWakesTheNext() throws Exception {
        for (Thread.Builder threads : List.of(Thread.ofPlatform().daemon(), Thread.ofVirtual())) {
            // The timer never fires here and the clock never moves: every decision is "wake".
            RwLock<Integer> lock = RwLock.builder().clock(new ManualClock()).handOffEvery(Duration.ofHours(1))
                    .build(0);
            WriteGuard<Integer> w = lock.write();
            CountDownLatch allInside = new CountDownLatch(4);
            List<CompletableFuture<Void>> readers = queueReadersBehind(lock, 4, threads, allInside);

            w.close();
            for (CompletableFuture<Void> r : readers) {
                r.get(10, TimeUnit.SECONDS);
            }
            WaitQueue q = lock.waitQueueIfPresent();
            assertEquals(0, q.handOffs(), "no read hold was handed to a parked reader");
            assertEquals(4, q.wakeUps(), "the release woke the first reader, each reader the next");
            assertEquals(0, lock.readHolds());
            assertEquals(0, lock.queueLength());
        }
    }

    @Test
    void aDueFairnessRuleHandsEveryQueuedReaderItsHoldInOneStep() throws Exception {
        ManualClock clock = new ManualClock();
        RwLock<Integer> lock = RwLock.builder().clock(clock).handOffEvery(Duration.ofHours(1))
                .handOffAfterHolding(Duration.ofMillis(1)).build(0);
        WriteGuard<Integer> w = lock.write();
        CountDownLatch allInside = new CountDownLatch(3);
        List<CompletableFuture<Void>> readers = queueReadersBehind(lock, 3, Thread.ofPlatform().daemon(), allInside);

        clock.advance(Duration.ofMillis(2)); // the first reader has waited past the long-hold threshold
        w.close();
        for (CompletableFuture<Void> r : readers) {
            r.get(10, TimeUnit.SECONDS);
        }
        WaitQueue q = lock.waitQueueIfPresent();
        // (Their read holds cannot be counted here: once all three are in, they leave at once.)
        assertEquals(1, q.handOffs(), "the release handed all three readers their holds in one step");
        assertEquals(0, q.wakeUps(), "no reader was woken to take its hold itself");
    }

    @Test
    void aTimedOutWriterLetsTheReadersItHeldBackIn() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        ReadGuard<Integer> held = lock.read();
        CompletableFuture<Optional<WriteGuard<Integer>>> writer = onThread(() -> lock.tryWrite(TIMED_OUT_WAIT));
        awaitQueued(lock, 1);
        CompletableFuture<Integer> reader = onThread(() -> lock.withRead(v -> v));
        awaitQueued(lock, 2); // held back by the writer
        assertTrue(writer.get(10, TimeUnit.SECONDS).isEmpty());
        assertEquals(0, reader.get(10, TimeUnit.SECONDS));
        assertEquals(0, lock.queueLength());
        held.close();
    }

    @Test
    void readRecursiveEntersPastAQueuedWriter() throws Exception {
        for (Fairness fairness : Fairness.values()) {
            // parking_lot #212 / Tokio RwLock docs: a plain recursive read here waits behind the
            // writer, which waits for the first read: a deadlock.
            RwLock<Integer> lock = RwLock.builder().fairness(fairness).build(7);
            ReadGuard<Integer> outer = lock.read();
            CompletableFuture<Integer> writer = onThread(() -> lock.update(v -> v + 1));
            awaitQueued(lock, 1);
            try (ReadGuard<Integer> inner = lock.readRecursive()) {
                assertEquals(7, inner.get());
                assertEquals(2, lock.readHolds());
            }
            assertFalse(writer.isDone());
            outer.close();
            assertEquals(8, writer.get(10, TimeUnit.SECONDS), fairness.name());
        }
    }

    // ---------------------------------------------------------------- interrupts and timeouts

    @Test
    void interruptedReadersAndWritersLeaveNoTraceInTheQueue() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        WriteGuard<Integer> w = lock.write();
        AtomicReference<Thread> readerThread = new AtomicReference<>();
        CompletableFuture<Throwable> reader = onThread(() -> {
            readerThread.set(Thread.currentThread());
            try {
                lock.readInterruptibly().close();
                return null;
            } catch (InterruptedException e) {
                return e;
            }
        });
        awaitQueued(lock, 1);
        readerThread.get().interrupt();
        assertInstanceOf(InterruptedException.class, reader.get(10, TimeUnit.SECONDS));
        assertEquals(0, lock.queueLength());
        w.close();

        ReadGuard<Integer> r = lock.read();
        AtomicReference<Thread> writerThread = new AtomicReference<>();
        CompletableFuture<Throwable> writer = onThread(() -> {
            writerThread.set(Thread.currentThread());
            try {
                lock.writeInterruptibly().close();
                return null;
            } catch (InterruptedException e) {
                return e;
            }
        });
        awaitQueued(lock, 1);
        writerThread.get().interrupt();
        assertInstanceOf(InterruptedException.class, writer.get(10, TimeUnit.SECONDS));
        assertEquals(0, lock.queueLength());
        assertTrue(lock.tryRead().isPresent(), "readers are admitted again once the writer has left");
        r.close();
    }

    @Test
    void timedAcquisitionsGiveUpAndLeaveTheQueue() {
        RwLock<Integer> lock = new RwLock<>(0);
        try (WriteGuard<Integer> w = lock.write()) {
            assertTrue(lock.tryRead(Duration.ofMillis(20)).isEmpty());
            assertTrue(lock.tryUpgradableRead(Duration.ofMillis(20)).isEmpty());
            assertTrue(lock.tryWrite(Duration.ZERO).isEmpty());
            assertEquals(0, lock.queueLength());
        }
        assertTrue(lock.tryRead(Duration.ofMillis(20)).isPresent());
        assertThrows(NullPointerException.class, () -> lock.tryRead((Duration) null));
        assertThrows(NullPointerException.class, () -> lock.tryWrite((Instant) null));
    }

    // ---------------------------------------------------------------- downgrades

    @Test
    void downgradeKeepsTheWrittenValueAndLetsNoQueuedWriterIn() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        WriteGuard<Integer> w = lock.write();
        CompletableFuture<Integer> otherWriter = onThread(() -> lock.update(v -> v * 10));
        awaitQueued(lock, 1);
        w.set(42);
        ReadGuard<Integer> r = w.downgrade();
        assertFalse(lock.isWriteLocked());
        assertEquals(1, lock.readHolds());
        assertEquals(42, r.get(), "no writer ran between the write and the read");
        assertFalse(otherWriter.isDone());
        assertFalse(w.isHeld());
        assertThrows(IllegalStateException.class, w::get);
        w.close(); // closing the consumed guard does nothing
        assertEquals(1, lock.readHolds());
        r.close();
        assertEquals(420, otherWriter.get(10, TimeUnit.SECONDS));
    }

    @Test
    void downgradeAdmitsTheReadersQueuedAtTheHead() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        WriteGuard<Integer> w = lock.write();
        CompletableFuture<ReadGuard<Integer>> r1 = onThread(lock::read);
        CompletableFuture<ReadGuard<Integer>> r2 = onThread(lock::read);
        awaitQueued(lock, 2);
        ReadGuard<Integer> mine = w.downgrade();
        r1.get(10, TimeUnit.SECONDS).close();
        r2.get(10, TimeUnit.SECONDS).close();
        assertEquals(1, lock.readHolds());
        mine.close();
    }

    @Test
    void downgradeToUpgradableThenUpgradeAgainWithNoWriterInBetween() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        WriteGuard<Integer> w = lock.write();
        w.set(1);
        CompletableFuture<Integer> writer = onThread(() -> lock.update(v -> v + 100));
        awaitQueued(lock, 1);
        UpgradableGuard<Integer> u = w.downgradeToUpgradable();
        assertTrue(lock.isUpgradableLocked());
        assertEquals(1, u.get());
        assertTrue(lock.tryUpgradableRead().isEmpty(), "only one upgradable reader");
        try (WriteGuard<Integer> again = u.upgrade()) {
            again.set(again.get() + 1);
        }
        assertEquals(102, writer.get(10, TimeUnit.SECONDS), "the queued writer ran after both writes");
    }

    @Test
    void upgradableDowngradeLetsAnotherUpgradableIn() {
        RwLock<Integer> lock = new RwLock<>(0);
        UpgradableGuard<Integer> u = lock.upgradableRead();
        ReadGuard<Integer> r = u.downgrade();
        assertFalse(lock.isUpgradableLocked());
        assertEquals(1, lock.readHolds());
        UpgradableGuard<Integer> next = lock.tryUpgradableRead().orElseThrow();
        next.close();
        r.close();
        u.close(); // consumed: no effect
        assertEquals(0, lock.readHolds());
    }

    // ---------------------------------------------------------------- upgradable reads

    @Test
    void oneUpgradableAtATimeCoexistingWithReaders() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        UpgradableGuard<Integer> u = lock.upgradableRead();
        ReadGuard<Integer> r = lock.tryRead().orElseThrow();
        assertTrue(lock.tryUpgradableRead().isEmpty());
        assertTrue(lock.tryWrite().isEmpty());
        CompletableFuture<UpgradableGuard<Integer>> second = onThread(lock::upgradableRead);
        awaitQueued(lock, 1);
        u.close();
        UpgradableGuard<Integer> s = second.get(10, TimeUnit.SECONDS);
        assertTrue(lock.isUpgradableLocked());
        s.close();
        r.close();
    }

    @Test
    void upgradeWaitsOnlyForPresentReadersAndNoWriterSlipsIn() throws Exception {
        RwLock<List<String>> lock = new RwLock<>(new CopyOnWriteArrayList<>());
        UpgradableGuard<List<String>> u = lock.upgradableRead();
        ReadGuard<List<String>> present = lock.read();
        // A writer queued before the upgrade began must still come after it.
        CompletableFuture<Void> writer = onThread(() -> {
            lock.withWrite(l -> l.add("writer"));
            return null;
        });
        awaitQueued(lock, 1);
        CompletableFuture<WriteGuard<List<String>>> upgraded = onThread(u::upgrade);
        awaitQueued(lock, 2);
        // While the upgrade waits, new readers queue (even a try-read fails).
        assertTrue(lock.tryRead().isEmpty());
        CompletableFuture<Void> lateReader = onThread(() -> {
            lock.withRead(l -> l.add("late reader"));
            return null;
        });
        awaitQueued(lock, 3);
        present.close();
        WriteGuard<List<String>> w = upgraded.get(10, TimeUnit.SECONDS);
        w.get().add("upgrade");
        assertFalse(writer.isDone());
        w.close();
        writer.get(10, TimeUnit.SECONDS);
        lateReader.get(10, TimeUnit.SECONDS);
        assertEquals("upgrade", lock.withRead(l -> l.get(0)), "the upgrade wrote first");
    }

    @Test
    void tryUpgradeSucceedsOnlyWithoutReaders() {
        RwLock<Integer> lock = new RwLock<>(0);
        UpgradableGuard<Integer> u = lock.upgradableRead();
        ReadGuard<Integer> r = lock.read();
        assertTrue(u.tryUpgrade().isEmpty());
        assertTrue(u.isHeld(), "a failed tryUpgrade keeps the upgradable hold");
        r.close();
        WriteGuard<Integer> w = u.tryUpgrade().orElseThrow();
        assertTrue(lock.isWriteLocked());
        assertFalse(lock.isUpgradableLocked());
        assertThrows(IllegalStateException.class, u::upgrade);
        w.close();
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void aTimedOutUpgradeKeepsTheUpgradableHoldAndLetsHeldBackReadersIn() throws Exception {
        RwLock<Integer> lock = new RwLock<>(5);
        UpgradableGuard<Integer> u = lock.upgradableRead();
        ReadGuard<Integer> present = lock.read();
        CompletableFuture<Optional<WriteGuard<Integer>>> attempt = onThread(() -> u.tryUpgrade(TIMED_OUT_WAIT));
        awaitQueued(lock, 1);
        CompletableFuture<Integer> heldBack = onThread(() -> lock.withRead(v -> v));
        awaitQueued(lock, 2); // held back by the upgrade
        assertTrue(attempt.get(10, TimeUnit.SECONDS).isEmpty());
        assertEquals(5, heldBack.get(10, TimeUnit.SECONDS));
        assertTrue(u.isHeld());
        assertEquals(5, u.get());
        assertTrue(lock.isUpgradableLocked());
        present.close();
        u.upgrade().close();
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    // ---------------------------------------------------------------- guards and misuse

    @Test
    void guardsAreSingleUseAndReleasableFromAnyThread() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        ReadGuard<Integer> r = lock.read();
        CompletableFuture.runAsync(r::close).get(10, TimeUnit.SECONDS);
        assertEquals(0, lock.readHolds());
        assertThrows(IllegalStateException.class, r::close);
        assertThrows(IllegalStateException.class, r::get);

        WriteGuard<Integer> w = lock.write();
        CompletableFuture.runAsync(w::close).get(10, TimeUnit.SECONDS);
        assertThrows(IllegalStateException.class, w::close);
        assertThrows(IllegalStateException.class, w::downgrade);
        assertThrows(IllegalStateException.class, () -> w.set(1));

        WriteGuard<Integer> holder = lock.write();
        assertThrows(IllegalStateException.class, w::unlockFair);
        assertTrue(lock.isWriteLocked(), "the stale guard left the new holder's lock alone");
        holder.close();

        UpgradableGuard<Integer> u = lock.upgradableRead();
        u.close();
        assertThrows(IllegalStateException.class, u::close);
        assertThrows(IllegalStateException.class, u::tryUpgrade);
        assertThrows(IllegalStateException.class, u::downgrade);
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    // ---------------------------------------------------------------- the ReadWriteLock view

    @Test
    void theViewIsThreadOwnedAndNestedReadsDoNotDeadlock() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        ReadWriteLock view = lock.asReadWriteLock();
        assertTrue(view == lock.asReadWriteLock());
        Lock read = view.readLock();
        Lock write = view.writeLock();
        read.lock();
        CompletableFuture<Integer> writer = onThread(() -> lock.update(v -> v + 1));
        awaitQueued(lock, 1);
        read.lock(); // nested: a recursive read past the queued writer
        assertEquals(2, lock.readHolds());
        assertInstanceOf(IllegalMonitorStateException.class, failureOnAnotherThread(read::unlock));
        read.unlock();
        read.unlock();
        assertThrows(IllegalMonitorStateException.class, read::unlock);
        assertEquals(1, writer.get(10, TimeUnit.SECONDS));

        write.lock();
        assertThrows(IllegalStateException.class, read::lock, "read while holding write would deadlock");
        assertInstanceOf(IllegalMonitorStateException.class, failureOnAnotherThread(write::unlock));
        assertTrue(lock.isWriteLocked());
        write.unlock();
        assertTrue(write.tryLock(10, TimeUnit.MILLISECONDS));
        assertFalse(read.tryLock());
        write.unlock();
        assertThrows(UnsupportedOperationException.class, read::newCondition);
    }
}
