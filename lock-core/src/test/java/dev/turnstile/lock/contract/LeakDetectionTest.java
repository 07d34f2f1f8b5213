package dev.turnstile.lock.contract;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LeakDetection;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LeakDetection}: a guard collected while it still holds its lock is reported, naming the lock
 * and where it was acquired; a guard that was closed or consumed never is. Deterministic: each test
 * drops the guard in a frame of its own, then collects until the report arrives.
 */
@Timeout(60)
class LeakDetectionTest {
    private final List<LeakDetection.Leak> reports = new CopyOnWriteArrayList<>();
    private final LeakDetection.Listener listener = reports::add;

    @BeforeEach
    void listen() {
        LeakDetection.addListener(listener);
    }

    @AfterEach
    void restoreDefaults() {
        LeakDetection.removeListener(listener);
        LeakDetection.setLevel(LeakDetection.Level.OFF);
        LeakDetection.setRecordStacks(true);
        LeakDetection.setSamplingInterval(128);
    }

    /** Collects until a leak of {@code lock} has been reported, and returns it. */
    private LeakDetection.Leak awaitLeakOf(Object lock) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            System.gc();
            return reports.stream().anyMatch(l -> l.lock() == lock);
        });
        return reports.stream().filter(l -> l.lock() == lock).findFirst().orElseThrow();
    }

    private static String stackOf(LeakDetection.Leak leak) {
        return Arrays.toString(leak.acquiredAt().getStackTrace());
    }

    // Each drop happens in a frame of its own, so nothing on the test's stack keeps the guard alive.

    private static void dropALockAsyncFuture(Mutex<String> mutex) {
        mutex.lockAsync();
    }

    private static void dropAnAwaitAsyncFuture(Mutex<String> mutex, Condvar cv) {
        cv.awaitAsync(mutex.lock());
    }

    private static void dropAReadGuard(RwLock<String> lock) {
        lock.readAsync();
    }

    @Test
    void aDroppedLockAsyncFutureIsReportedWithTheLockAndTheAcquisitionStack() {
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        Mutex<String> orders = Mutex.builder().name("orders").build("v");
        dropALockAsyncFuture(orders);
        LeakDetection.Leak leak = awaitLeakOf(orders);
        assertSame(orders, leak.lock());
        assertEquals("MutexGuard", leak.guardType());
        assertTrue(stackOf(leak).contains("dropALockAsyncFuture"), stackOf(leak));
        assertTrue(leak.message().contains("Mutex[orders]"), leak.message());
        assertTrue(orders.isLocked(), "a leak is reported, not repaired: the mutex stays held");
    }

    @Test
    void aDroppedAwaitAsyncFutureReportsTheGuardItWasGrantedNotTheOneItConsumed() {
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        Mutex<String> mutex = Mutex.builder().name("queue").build("v");
        Condvar cv = new Condvar();
        dropAnAwaitAsyncFuture(mutex, cv);
        cv.notifyOne(); // the mutex is free: the waiter is granted at once, into a future nobody reads
        LeakDetection.Leak leak = awaitLeakOf(mutex);
        // The new guard (made by the grant inside notifyOne) is reported, as acquired where awaitAsync
        // was called: not the consumed guard, whose stack would name Mutex.lock.
        assertTrue(stackOf(leak).contains("Condvar.awaitAsync"), "the awaitAsync call site: " + stackOf(leak));
        assertFalse(stackOf(leak).contains("Mutex.lock("), "not the consumed guard: " + stackOf(leak));
        assertEquals(1, reports.stream().filter(l -> l.lock() == mutex).count());
    }

    @Test
    void rwLockGuardsAreTrackedToo() {
        LeakDetection.setLevel(LeakDetection.Level.SAMPLED);
        LeakDetection.setSamplingInterval(1); // every acquisition
        RwLock<String> lock = RwLock.builder().name("catalog").build("v");
        dropAReadGuard(lock);
        LeakDetection.Leak leak = awaitLeakOf(lock);
        assertEquals("ReadGuard", leak.guardType());
        assertEquals(1, lock.readHolds());
    }

    @Test
    void closedAndConsumedGuardsAreNeverReported() {
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        Mutex<String> mutex = new Mutex<>("v");
        RwLock<String> lock = new RwLock<>("v");
        useEveryGuardProperly(mutex, lock);
        // A canary leak after them: once it is reported, the guards dropped before it were collected too.
        Mutex<String> canary = new Mutex<>("canary");
        dropALockAsyncFuture(canary);
        awaitLeakOf(canary);
        Mutex<String> secondCanary = new Mutex<>("canary");
        dropALockAsyncFuture(secondCanary);
        awaitLeakOf(secondCanary);
        assertTrue(reports.stream().allMatch(l -> l.lock() == canary || l.lock() == secondCanary), reports.toString());
    }

    private static void useEveryGuardProperly(Mutex<String> mutex, RwLock<String> lock) {
        for (int i = 0; i < 100; i++) {
            mutex.lock().close();
            mutex.lockAsync().join().close();
            lock.read().close();
            lock.readAsync().join().close();
            UpgradableGuard<String> u = lock.upgradableRead();
            WriteGuard<String> w = u.upgrade();
            ReadGuard<String> r = w.downgrade();
            r.close();
            u.close(); // consumed: does nothing
            UpgradableGuard<String> u2 = lock.upgradableRead();
            u2.upgradeAsync().join().downgradeToUpgradable().downgrade().close();
            Condvar cv = new Condvar();
            CompletableFuture<MutexGuard<String>> woken = cv.awaitAsync(mutex.lock());
            cv.notifyOne();
            woken.join().close();
            cv.awaitAsync(mutex.lock(), Duration.ZERO).join().guard().close();
        }
    }

    @Test
    void guardsCreatedWhileDetectionIsOffAreNotTracked() {
        Mutex<String> untracked = new Mutex<>("v");
        dropALockAsyncFuture(untracked); // level OFF (the default)
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        Mutex<String> canary = new Mutex<>("canary");
        dropALockAsyncFuture(canary);
        awaitLeakOf(canary);
        Mutex<String> secondCanary = new Mutex<>("canary");
        dropALockAsyncFuture(secondCanary);
        awaitLeakOf(secondCanary);
        assertTrue(reports.stream().noneMatch(l -> l.lock() == untracked));
    }

    @Test
    void withoutStacksTheReportSaysHowToGetThem() {
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        LeakDetection.setRecordStacks(false);
        Mutex<String> mutex = new Mutex<>("v");
        dropALockAsyncFuture(mutex);
        LeakDetection.Leak leak = awaitLeakOf(mutex);
        assertNull(leak.acquiredAt());
        assertTrue(leak.message().contains(LeakDetection.STACKS_PROPERTY), leak.message());
    }

    @Test
    void settingsAreValidated() {
        assertEquals(LeakDetection.Level.OFF, LeakDetection.level());
        assertThrows(IllegalArgumentException.class, () -> LeakDetection.setSamplingInterval(0));
        assertThrows(NullPointerException.class, () -> LeakDetection.setLevel(null));
        assertThrows(NullPointerException.class, () -> LeakDetection.addListener(null));
    }
}
