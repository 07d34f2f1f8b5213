package dev.turnstile.lock.park;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.ManualClock;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
    void longHoldIsMeasuredFromAContendedAcquisition() {
        // The waiter queued at t=0 and is granted at t=5ms; it then holds for 0.5 ms only. Its hold
        // must be measured from its own grant, not from when it started waiting.
        Mutex<String> m = mutex(Fairness.FIFO, NEVER, MS);
        MutexGuard<String> held = m.lock();
        queueWaiter(m);
        clock.advance(MS.multipliedBy(5));
        held.close(); // FIFO: hand-off to the waiter at t=5ms
        assertEquals(clock.nanoTime(), queue(m).heldSince);
    }

    @Test
    void aHoldTakenByBargingPastWaitersIsTimedFromItsOwnStart() throws InterruptedException {
        // While a woken waiter is on its way the lock is free with others queued; a tryLock() that
        // takes it then must restart the hold clock, or the long-hold rule would see a stale start.
        // Behind the woken thread stands a callback waiter: callbacks are handed the lock, never
        // woken, so it stays queued until a release grants it, and any tryLock() that succeeds here
        // has barged past it. Only the race with the woken thread is left to chance, hence the retries.
        Mutex<String> m = mutex(Fairness.EVENTUAL, NEVER, MS);
        for (int attempt = 0; attempt < 200; attempt++) {
            MutexGuard<String> held = m.lock();
            Thread woken = blockOn(m);
            await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 1);
            AtomicBoolean callbackGranted = new AtomicBoolean();
            m.acquireAsync(new RecordingWaiter(0, null, () -> callbackGranted.set(true)));
            held.close(); // wakes the thread; the callback stays queued
            clock.advance(MS.multipliedBy(5));
            Optional<MutexGuard<String>> barged = m.tryLock();
            if (barged.isPresent()) {
                assertTrue(m.hasQueuedWaiters(), "barged past a queued waiter");
                assertEquals(clock.nanoTime(), queue(m).heldSince);
                barged.get().close();
            }
            woken.join(10_000);
            await().atMost(Duration.ofSeconds(10)).untilTrue(callbackGranted);
            m.release(0, false); // the callback's hold
            if (barged.isPresent()) {
                return;
            }
        }
        throw new AssertionError("the barging tryLock() never won its race in 200 attempts");
    }

    private static Thread blockOn(Mutex<String> m) {
        return Thread.ofPlatform().start(() -> m.lock().close());
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
}
