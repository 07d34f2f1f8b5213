package dev.turnstile.lock.park;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.ManualClock;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.NanoClock;
import dev.turnstile.lock.PendingLock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The fairness rules, driven by a clock the test moves. Each test holds the mutex, queues one
 * blocked thread behind it, moves the clock, releases, and reads from the queue's counters whether
 * that release handed the lock off or woke the waiter to compete.
 */
class FairnessTest {
    private static final Duration NEVER = Duration.ofDays(1);
    private static final Duration MS = Duration.ofMillis(1);

    private final ManualClock clock = new ManualClock();
    private final CountDownLatch waiterMayRelease = new CountDownLatch(1);
    private Thread waiter;

    @AfterEach
    void letWaiterFinish() throws InterruptedException {
        waiterMayRelease.countDown();
        if (waiter != null) {
            waiter.join(TimeUnit.SECONDS.toMillis(10));
            assertFalse(waiter.isAlive(), "waiter finished");
        }
    }

    private Mutex<String> mutex(Fairness fairness, Duration timer, Duration longHold) {
        return Mutex.builder().fairness(fairness).clock(clock)
                .handOffEvery(timer).handOffAfterHolding(longHold).build("v");
    }

    /** Starts a thread that blocks on {@code m} (held by the caller) and holds it until the test ends. */
    private void queueWaiter(Mutex<String> m) {
        waiter = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                waiterMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 1);
    }

    private static WaitQueue queue(Mutex<?> m) {
        return m.waitQueueIfPresent();
    }

    @Test
    void eventualReleasesAndWakesWhileNoRuleFires() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, NEVER);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        held.close();
        assertEquals(1, queue(m).wakeUps());
        assertEquals(0, queue(m).handOffs());
    }

    @Test
    void eventualHandsOffOnceTheTimerHasFired() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, MS, NEVER);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(MS.multipliedBy(2)); // the deadline is uniform in [0, 2 x mean)
        held.close();
        assertEquals(1, queue(m).handOffs());
        assertTrue(m.isLocked(), "a hand-off never frees the lock");
    }

    @Test
    void eventualHandsOffAfterACriticalSectionLongerThanTheThreshold() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, MS);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(MS.plusNanos(1));
        held.close();
        assertEquals(1, queue(m).handOffs());
        assertTrue(m.isLocked());
    }

    @Test
    void eventualWakesAfterACriticalSectionShorterThanTheThreshold() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, MS);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(MS.dividedBy(2));
        held.close();
        assertEquals(1, queue(m).wakeUps());
        assertEquals(0, queue(m).handOffs());
    }

    @Test
    void theLongHoldRuleTimesTheWaitFromWhenTheHeadArmed() {
        // A hold of 5.5 ms that kept the waiter waiting only 0.5 ms ends with a wake-up: the rule
        // bounds how long a section keeps someone waiting, which is what a waiter feels.
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, MS);
        MutexGuard<String> held = m.lock();
        clock.advance(MS.multipliedBy(5));
        queueWaiter(m);
        assertEquals(clock.nanoTime(), queue(m).armedSince, "the new head armed as it queued");
        clock.advance(MS.dividedBy(2));
        held.close();
        assertEquals(1, queue(m).wakeUps());
        assertEquals(0, queue(m).handOffs());
    }

    @Test
    void unlockFairHandsOffEvenUnderBarging() {
        Mutex<String> m = mutex(Fairness.BARGING, NEVER, NEVER);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        held.unlockFair();
        assertEquals(1, queue(m).handOffs());
        assertTrue(m.isLocked());
    }

    @Test
    void bargingNeverHandsOffOnItsOwn() {
        Mutex<String> m = mutex(Fairness.BARGING, MS, MS);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(NEVER);
        held.close();
        assertEquals(1, queue(m).wakeUps());
        assertEquals(0, queue(m).handOffs());
    }

    @Test
    void fifoAlwaysHandsOff() {
        Mutex<String> m = mutex(Fairness.FIFO, NEVER, NEVER);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        held.close();
        assertEquals(1, queue(m).handOffs());
        assertTrue(m.isLocked());
    }

    @Test
    void theTimerRearmsAfterFiring() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, MS, NEVER);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(MS.multipliedBy(2));
        held.close();
        waiterMayRelease.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> !m.isLocked());

        // Same instant: the timer was re-armed into the future, so the next release wakes.
        CountDownLatch secondMayRelease = new CountDownLatch(1);
        MutexGuard<String> again = m.lock();
        Thread second = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                secondMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 1);
        again.close();
        assertEquals(1, queue(m).wakeUps());
        secondMayRelease.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> !second.isAlive());
    }

    @Test
    void aRunOfCallbackGrantsReadsTheClockOnlyForThreadHeads() {
        AtomicInteger reads = new AtomicInteger();
        NanoClock counting = () -> {
            reads.incrementAndGet();
            return clock.nanoTime();
        };
        Mutex<String> m = Mutex.builder().fairness(Fairness.EVENTUAL).clock(counting).build("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger granted = new AtomicInteger();
        for (int i = 0; i < 100; i++) {
            m.lockAsync(new LockCallback<MutexGuard<String>>() {
                @Override
                public void onLocked(MutexGuard<String> g) {
                    granted.incrementAndGet();
                    g.close();
                }

                @Override
                public void onFailed(Throwable cause) {
                    throw new AssertionError(cause);
                }
            });
        }
        int before = reads.get();
        held.close(); // grants the 100 callbacks one after another on this thread
        assertEquals(100, granted.get());
        assertFalse(m.isLocked());
        assertTrue(reads.get() - before <= 2, "clock reads over 100 callback grants: " + (reads.get() - before));
    }

    @Test
    void aThreadQueuedBehindAWithdrawnCallbackHeadIsTimedFromItsArrival() {
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, MS);
        MutexGuard<String> held = m.lock();
        PendingLock callbackHead = m.lockAsync(new LockCallback<MutexGuard<String>>() {
            @Override
            public void onLocked(MutexGuard<String> g) {
                throw new AssertionError("withdrawn before any release");
            }

            @Override
            public void onFailed(Throwable cause) {
            }
        });
        waiter = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                waiterMayRelease.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 2);
        long arrived = clock.nanoTime();
        clock.advance(MS.multipliedBy(3));
        assertTrue(callbackHead.cancel());
        assertEquals(arrived, queue(m).armedSince, "the thread's wait is timed from its arrival, not from the withdrawal");
        held.close();
        assertEquals(1, queue(m).handOffs(), "a hold that kept the thread waiting past the threshold hands off");
    }
}
