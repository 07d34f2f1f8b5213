package dev.turnstile.lock.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * One rule for every guard type: a guard <em>consumed</em> by an upgrade, a downgrade or
 * {@code Condvar.awaitAsync} has handed its hold to another guard; closing it does nothing (so it may
 * sit in a try-with-resources block), every other use throws, and a guard closed by its user throws
 * when closed again.
 */
class ConsumedGuardTest {

    /** Checks the consumed guard's behaviour; the lock must stay exactly as the new guard holds it. */
    private static void assertConsumed(AutoCloseable consumed, Function<Object, Object> get, Runnable lockUnchanged)
            throws Exception {
        assertThrows(IllegalStateException.class, () -> get.apply(consumed));
        assertTrue(consumed.toString().endsWith(", consumed]"), consumed.toString());
        consumed.close(); // does nothing
        consumed.close(); // still nothing: it holds nothing to release twice
        lockUnchanged.run();
    }

    @Test
    void aMutexGuardConsumedByAwaitAsyncClosesQuietly() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        MutexGuard<String> g = mutex.lock();
        CompletableFuture<MutexGuard<String>> woken;
        try (g) {
            woken = cv.awaitAsync(g); // consumed inside the block; the block's close does nothing
        }
        assertFalse(g.isHeld());
        assertFalse(mutex.isLocked(), "the wait released the mutex");
        assertConsumed(g, x -> ((MutexGuard<?>) x).get(), () -> assertFalse(mutex.isLocked()));
        assertThrows(IllegalStateException.class, () -> cv.awaitAsync(g));

        MutexGuard<String> notifier = mutex.lock();
        cv.notifyOne();
        notifier.close();
        MutexGuard<String> again = woken.join();
        assertConsumed(g, x -> ((MutexGuard<?>) x).get(), () -> assertTrue(mutex.isLocked() && again.isHeld()));
        again.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void aTimedAwaitAsyncConsumesTheGuardToo() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        MutexGuard<String> g = mutex.lock();
        Condvar.Wakeup<String> w = cv.awaitAsync(g, Duration.ZERO).join();
        assertFalse(w.notified());
        assertConsumed(g, x -> ((MutexGuard<?>) x).get(), () -> assertTrue(w.guard().isHeld()));
        w.guard().close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void rwLockGuardsConsumedByUpgradesAndDowngradesCloseQuietly() throws Exception {
        RwLock<String> lock = new RwLock<>("v");
        Function<Object, Object> get = x -> ((dev.turnstile.lock.RwGuard<?>) x).get();

        UpgradableGuard<String> u = lock.upgradableRead();
        WriteGuard<String> w = u.upgrade();
        assertConsumed(u, get, () -> assertTrue(lock.isWriteLocked()));
        ReadGuard<String> r = w.downgrade();
        assertConsumed(w, get, () -> assertEquals(1, lock.readHolds()));
        r.close();

        UpgradableGuard<String> u2 = lock.upgradableRead();
        WriteGuard<String> w2 = u2.tryUpgrade().orElseThrow();
        assertConsumed(u2, get, () -> assertTrue(lock.isWriteLocked()));
        UpgradableGuard<String> u3 = w2.downgradeToUpgradable();
        assertConsumed(w2, get, () -> assertTrue(lock.isUpgradableLocked() && !lock.isWriteLocked()));
        ReadGuard<String> r3 = u3.downgrade();
        assertConsumed(u3, get, () -> assertEquals(1, lock.readHolds()));
        r3.close();

        UpgradableGuard<String> u4 = lock.upgradableRead();
        WriteGuard<String> w4 = u4.upgradeAsync().join();
        assertConsumed(u4, get, () -> assertTrue(lock.isWriteLocked()));
        w4.close();
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void closingAGuardTwiceThrowsOnEveryGuardType() {
        Mutex<String> mutex = new Mutex<>("v");
        RwLock<String> lock = new RwLock<>("v");
        assertClosesOnce(mutex.lock());
        assertClosesOnce(lock.read());
        assertClosesOnce(lock.write());
        assertClosesOnce(lock.upgradableRead());
        assertFalse(mutex.isLocked());
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    private static void assertClosesOnce(AutoCloseable g) {
        try {
            g.close();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThrows(IllegalStateException.class, g::close);
    }
}
