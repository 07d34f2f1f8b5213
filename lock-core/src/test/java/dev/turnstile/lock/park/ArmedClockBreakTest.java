package dev.turnstile.lock.park;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.ManualClock;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.NanoClock;
import dev.turnstile.lock.PendingLock;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Attacks on 32a1694 ("the head's arming time is read from the clock only for a thread head"):
 * {@code WaitQueue.armedSince} is {@code UNSTAMPED} (Long.MIN_VALUE) while a callback heads the queue.
 * Each test drives the EVENTUAL long-hold rule with a clock the test moves and reads from the queue's
 * counters whether the release that ended a long hold handed the lock to the thread it kept waiting.
 *
 * <p>The first three tests fail on 32a1694 and pass on 32a1694^; the rest pin down paths that the
 * change handles (they pass on both).
 */
class ArmedClockBreakTest {
    private static final Duration NEVER = Duration.ofDays(1);
    private static final Duration MS = Duration.ofMillis(1);
    private static final Duration HALF_MS = Duration.ofNanos(500_000);

    private final ManualClock clock = new ManualClock();
    private final CountDownLatch waitersMayRelease = new CountDownLatch(1);
    private final List<Thread> waiters = new ArrayList<>();

    @AfterEach
    void letWaitersFinish() throws InterruptedException {
        waitersMayRelease.countDown();
        for (Thread t : waiters) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(t.isAlive(), "waiter finished");
        }
    }

    private Mutex<String> mutex(NanoClock c) {
        return Mutex.builder().fairness(Fairness.EVENTUAL).clock(c)
                .handOffEvery(NEVER).handOffAfterHolding(MS).build("v");
    }

    /** A platform thread that blocks on {@code m}, then holds it until the test ends. */
    private void queueThread(Mutex<String> m, int expectedQueueLength) {
        Thread t = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                waitersMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        waiters.add(t);
        await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == expectedQueueLength);
    }

    private static <G> LockCallback<G> neverGranted() {
        return new LockCallback<>() {
            @Override
            public void onLocked(G guard) {
                throw new AssertionError("withdrawn before any release");
            }

            @Override
            public void onFailed(Throwable cause) {
            }
        };
    }

    // ------------------------------------------------------------------ findings (fail on 32a1694)

    /**
     * Finding 1: the sentinel collides with a real clock reading. A clock whose reading is
     * Long.MIN_VALUE when a thread arms (a wrapping or offset clock; {@code NanoClock} promises only
     * differences) stamps the head with the value that means "not stamped", and the release decision
     * then restamps it as if it had just armed: a 2 ms hold, twice the long-hold threshold, wakes the
     * waiter to compete instead of handing it the lock.
     */
    @Test
    void aThreadArmedWhenTheClockReadsLongMinValueIsStillTimed() {
        AtomicLong now = new AtomicLong(Long.MIN_VALUE);
        Mutex<String> m = mutex(now::get);
        MutexGuard<String> held = m.lock();
        queueThread(m, 1);
        now.addAndGet(MS.multipliedBy(2).toNanos());
        held.close();
        assertEquals(1, m.waitQueueIfPresent().handOffs(),
                "a 2 ms hold that kept a thread head waiting, armed at clock reading Long.MIN_VALUE, hands off (wake-ups: "
                        + m.waitQueueIfPresent().wakeUps() + ")");
    }

    /**
     * Finding 2: a thread queued behind a callback head that is withdrawn is timed only from the
     * withdrawal, so the part of a long hold it spent second in line is forgotten. Here the hold
     * lasts 3.5 ms and keeps the thread waiting all of it; only the last 0.5 ms come after the
     * callback left. DESIGN.md rule (b): a critical section that held the lock longer than the
     * threshold hands off. On 32a1694^ the thread inherited the callback's arming time and got the
     * lock handed over.
     */
    @Test
    void aLongHoldThatKeptAThreadWaitingBehindAWithdrawnCallbackHandsOff() {
        Mutex<String> m = mutex(clock);
        MutexGuard<String> held = m.lock();
        PendingLock callbackHead = m.lockAsync(neverGranted());
        queueThread(m, 2);
        clock.advance(MS.multipliedBy(3));
        assertTrue(callbackHead.cancel());
        clock.advance(HALF_MS);
        held.close();
        assertEquals(1, m.waitQueueIfPresent().handOffs(),
                "a 3.5 ms hold that kept the thread waiting hands off even though a callback stood ahead of it for 3 ms (wake-ups: "
                        + m.waitQueueIfPresent().wakeUps() + ")");
    }

    /**
     * Finding 2, through a queue jumper: a writer thread heads the queue of an RwLock held by a
     * reader and an upgradable reader; the upgradable reader's {@code upgradeAsync} queues a callback
     * in front of it (UNSTAMPED) and then calls it off. The writer is timed from the call-off, and
     * the hold that kept it waiting 6.5 ms in all ends with a wake-up.
     */
    @Test
    void aWriterBehindAWithdrawnAsyncUpgradeIsStillHandedTheLockAfterALongHold() {
        RwLock<String> rw = RwLock.builder().fairness(Fairness.EVENTUAL).clock(clock)
                .handOffEvery(NEVER).handOffAfterHolding(MS).build("v");
        ReadGuard<String> reader = rw.read();
        UpgradableGuard<String> upgradable = rw.upgradableRead();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (WriteGuard<String> g = rw.write()) {
                waitersMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        waiters.add(writer);
        await().atMost(Duration.ofSeconds(10)).until(() -> rw.queueLength() == 1);
        clock.advance(MS.multipliedBy(3));
        PendingLock upgrade = upgradable.upgradeAsync(neverGranted(), null);
        assertEquals(2, rw.queueLength(), "the upgrade waits (a reader is inside) at the front");
        clock.advance(MS.multipliedBy(3));
        assertTrue(upgrade.cancel());
        clock.advance(HALF_MS);
        reader.close();
        upgradable.close(); // the writer fits now: the release that ends the hold decides
        assertEquals(1, rw.waitQueueIfPresent().handOffs(),
                "a 6.5 ms hold that kept the writer waiting hands off (wake-ups: " + rw.waitQueueIfPresent().wakeUps() + ")");
    }

    // ------------------------------------------------------------------ paths the change handles (pass on both)

    /** A thread head queued onto an empty queue: a long hold hands off, a short one does not. */
    @Test
    void aLoneThreadHeadIsTimedFromItsArrival() {
        Mutex<String> m = mutex(clock);
        MutexGuard<String> held = m.lock();
        queueThread(m, 1);
        assertEquals(clock.nanoTime(), m.waitQueueIfPresent().armedSince);
        clock.advance(HALF_MS);
        held.close();
        assertEquals(0, m.waitQueueIfPresent().handOffs());
        assertEquals(1, m.waitQueueIfPresent().wakeUps());
    }

    /**
     * A callback head granted by a long hold leaves a thread head behind: the thread is timed from
     * the grant. A callback that holds the lock for 2 ms more hands off to it; one that releases at
     * once wakes it.
     */
    @Test
    void aThreadBehindAGrantedCallbackIsTimedFromTheGrant() {
        for (boolean longCallbackHold : new boolean[] {true, false}) {
            ManualClock c = new ManualClock();
            Mutex<String> m = mutex(c);
            MutexGuard<String> held = m.lock();
            AtomicReference<MutexGuard<String>> callbackGuard = new AtomicReference<>();
            m.lockAsync(new LockCallback<MutexGuard<String>>() {
                @Override
                public void onLocked(MutexGuard<String> g) {
                    callbackGuard.set(g);
                }

                @Override
                public void onFailed(Throwable cause) {
                    throw new AssertionError(cause);
                }
            });
            CountDownLatch threadMayRelease = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                try (MutexGuard<String> g = m.lock()) {
                    threadMayRelease.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 2);
            c.advance(MS.multipliedBy(5));
            held.close(); // grants the callback (always handed over)
            assertEquals(1, m.waitQueueIfPresent().handOffs());
            assertEquals(c.nanoTime(), m.waitQueueIfPresent().armedSince, "the thread heads from the grant");
            if (longCallbackHold) {
                c.advance(MS.multipliedBy(2));
            }
            callbackGuard.get().close();
            assertEquals(longCallbackHold ? 2 : 1, m.waitQueueIfPresent().handOffs(), "long hold: " + longCallbackHold);
            assertEquals(longCallbackHold ? 0 : 1, m.waitQueueIfPresent().wakeUps(), "long hold: " + longCallbackHold);
            threadMayRelease.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> !t.isAlive());
        }
    }

    /**
     * A batch of RwLock readers, a callback first and a thread second, granted together leaves a
     * writer thread at the head: it is timed from the grant and the readers' long hold hands off.
     */
    @Test
    void aWriterBehindAMixedReaderBatchIsTimedFromTheBatchGrant() throws Exception {
        RwLock<String> rw = RwLock.builder().fairness(Fairness.EVENTUAL).clock(clock)
                .handOffEvery(NEVER).handOffAfterHolding(MS).build("v");
        WriteGuard<String> held = rw.write();
        CompletableFuture<ReadGuard<String>> asyncReader = rw.readAsync();
        CountDownLatch threadReaderIn = new CountDownLatch(1);
        Thread threadReader = Thread.ofPlatform().start(() -> {
            try (ReadGuard<String> g = rw.read()) {
                threadReaderIn.countDown();
                waitersMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        waiters.add(threadReader);
        await().atMost(Duration.ofSeconds(10)).until(() -> rw.queueLength() == 2);
        Thread writer = Thread.ofPlatform().start(() -> {
            try (WriteGuard<String> g = rw.write()) {
                // released at once
            }
        });
        waiters.add(writer);
        await().atMost(Duration.ofSeconds(10)).until(() -> rw.queueLength() == 3);
        clock.advance(MS.multipliedBy(5));
        held.close(); // both readers granted in one admission; the writer heads
        assertTrue(threadReaderIn.await(10, TimeUnit.SECONDS));
        assertEquals(clock.nanoTime(), rw.waitQueueIfPresent().armedSince);
        clock.advance(MS.multipliedBy(2));
        asyncReader.get(10, TimeUnit.SECONDS).close();
        waitersMayRelease.countDown(); // the thread reader leaves: the last reader's release decides
        await().atMost(Duration.ofSeconds(10)).until(() -> !writer.isAlive());
        assertEquals(2, rw.waitQueueIfPresent().handOffs(), "the batch, then the writer after a 2 ms read hold");
    }

    /**
     * Condvar requeue: notifyAll moves an async waiter and a thread waiter (in that order) onto the
     * held mutex; the callback heads (UNSTAMPED) and is granted by the release, the thread behind it
     * is timed from then, and a long hold by the callback hands off to it.
     */
    @Test
    void aThreadRequeuedBehindACallbackIsTimedFromTheCallbacksGrant() throws Exception {
        Mutex<String> m = mutex(clock);
        Condvar cv = new Condvar();
        MutexGuard<String> g0 = m.lock();
        CompletableFuture<MutexGuard<String>> asyncWaiter = cv.awaitAsync(g0); // releases g0's hold
        CountDownLatch threadAwaiting = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            MutexGuard<String> g = m.lock();
            try {
                threadAwaiting.countDown();
                cv.await(g);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                g.close();
            }
        });
        waiters.add(t);
        assertTrue(threadAwaiting.await(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(10)).until(() -> cv.waiterCount() == 2);
        MutexGuard<String> held = m.lock();
        assertEquals(2, cv.notifyAllWaiters());
        assertEquals(2, m.queueLength());
        clock.advance(MS.multipliedBy(5));
        held.close(); // grants the async waiter
        MutexGuard<String> callbackHold = asyncWaiter.get(10, TimeUnit.SECONDS);
        long handOffsBefore = m.waitQueueIfPresent().handOffs();
        assertEquals(clock.nanoTime(), m.waitQueueIfPresent().armedSince);
        clock.advance(MS.multipliedBy(2));
        callbackHold.close();
        assertEquals(handOffsBefore + 1, m.waitQueueIfPresent().handOffs(), "the callback's 2 ms hold hands off to the thread");
    }

    /** FIFO and BARGING never consult the clock for a callback head followed by a thread head. */
    @Test
    void fifoAndBargingDecideWithoutTheClockBehindACallbackHead() {
        for (Fairness f : new Fairness[] {Fairness.FIFO, Fairness.BARGING}) {
            ManualClock c = new ManualClock();
            Mutex<String> m = Mutex.builder().fairness(f).clock(c).handOffEvery(NEVER).handOffAfterHolding(MS).build("v");
            MutexGuard<String> held = m.lock();
            PendingLock callbackHead = m.lockAsync(neverGranted());
            CountDownLatch threadMayRelease = new CountDownLatch(1);
            Thread t = Thread.ofPlatform().start(() -> {
                try (MutexGuard<String> g = m.lock()) {
                    threadMayRelease.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 2);
            assertTrue(callbackHead.cancel());
            c.advance(MS.multipliedBy(5));
            held.close();
            assertEquals(f == Fairness.FIFO ? 1 : 0, m.waitQueueIfPresent().handOffs(), f.toString());
            assertEquals(f == Fairness.FIFO ? 0 : 1, m.waitQueueIfPresent().wakeUps(), f.toString());
            threadMayRelease.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> !t.isAlive());
        }
    }

    /**
     * Mixed-mode stress under EVENTUAL with a tiny long-hold threshold and a clock that wraps from
     * Long.MAX_VALUE to Long.MIN_VALUE during the run: platform threads, virtual threads and
     * callbacks (re-submitting themselves) each make a fixed number of increments; every one is
     * counted exactly once and every participant finishes within a bounded time.
     */
    @Test
    void mixedModeStressOnAWrappingClockCountsExactlyAndFinishes() throws Exception {
        long offset = Long.MAX_VALUE - System.nanoTime() - Duration.ofMillis(200).toNanos();
        NanoClock wrapping = () -> System.nanoTime() + offset; // overflows about 200 ms in
        Mutex<long[]> m = Mutex.builder().fairness(Fairness.EVENTUAL).clock(wrapping)
                .handOffEvery(Duration.ofMillis(5)).handOffAfterHolding(Duration.ofNanos(20_000)).build(new long[1]);
        int perParticipant = 2_000;
        int platform = 2;
        int virtual = 4;
        int callbacks = 4;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < platform + virtual; i++) {
            Thread.Builder b = i < platform ? Thread.ofPlatform() : Thread.ofVirtual();
            threads.add(b.start(() -> {
                for (int k = 0; k < perParticipant; k++) {
                    try (MutexGuard<long[]> g = m.lock()) {
                        g.get()[0]++;
                        if ((k & 63) == 0) {
                            Thread.onSpinWait();
                        }
                    }
                }
            }));
        }
        CountDownLatch callbacksDone = new CountDownLatch(callbacks);
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < callbacks; i++) {
            new Object() {
                int left = perParticipant;

                void next() {
                    m.lockAsync(new LockCallback<MutexGuard<long[]>>() {
                        @Override
                        public void onLocked(MutexGuard<long[]> g) {
                            g.get()[0]++;
                            g.close();
                            if (--left > 0) {
                                next();
                            } else {
                                callbacksDone.countDown();
                            }
                        }

                        @Override
                        public void onFailed(Throwable cause) {
                            failures.incrementAndGet();
                            callbacksDone.countDown();
                        }
                    });
                }
            }.next();
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(t.isAlive(), "a thread participant finished in bounded time: " + t);
        }
        assertTrue(callbacksDone.await(10, TimeUnit.SECONDS), "every callback chain finished");
        assertEquals(0, failures.get());
        try (MutexGuard<long[]> g = m.lock()) {
            assertEquals((long) perParticipant * (platform + virtual + callbacks), g.get()[0]);
        }
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }
}
