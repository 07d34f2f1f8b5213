package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Timeouts (Vert.x timers) and explicit withdrawal leave no waiter behind and never strand a grant. */
@ExtendWith(VertxExtension.class)
class TimeoutAndCancellationTest {
    private final Mutex<Integer> mutex = Mutex.builder().name("account").build(0);

    private static Throwable failure(Future<?> f) throws Exception {
        Throwable cause = Contexts.get(f.transform(ar -> Future.succeededFuture(ar.cause())));
        assertTrue(cause != null, "expected a failure");
        return cause;
    }

    @Test
    void tryLockTimesOutAndTheWaiterLeavesTheQueue(Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<Integer> held = mutex.lock();
        Future<MutexGuard<Integer>> f = Contexts.on(context, () -> VertxLocks.tryLock(mutex, Duration.ofMillis(50)));
        assertEquals(1, mutex.queueLength());

        LockTimeoutException e = assertInstanceOf(LockTimeoutException.class, failure(f));
        assertEquals("account", e.lockName());
        assertEquals(Duration.ofMillis(50), e.waitDuration());
        assertEquals(0, mutex.queueLength(), "the timed-out waiter left the queue");
        held.close();
        assertFalse(mutex.isLocked(), "nothing was granted to the timed-out waiter");
    }

    @Test
    void tryLockOutsideAContextTimesOutToo() throws Exception {
        MutexGuard<Integer> held = mutex.lock();
        Future<MutexGuard<Integer>> f = VertxLocks.tryLock(mutex, Duration.ofMillis(20));
        assertInstanceOf(LockTimeoutException.class, failure(f));
        assertEquals(0, mutex.queueLength());
        held.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void aZeroTimeoutMakesOneAttempt() throws Exception {
        try (MutexGuard<Integer> g = Contexts.get(VertxLocks.tryLock(mutex, Duration.ZERO))) {
            assertTrue(g.isHeld(), "free: granted");
            assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryLock(mutex, Duration.ZERO)));
            assertEquals(0, mutex.queueLength());
        }
    }

    /** A negative wait is a zero wait, as in lock-core and java.util.concurrent: never an error. */
    @Test
    void aNegativeTimeoutMakesOneAttemptToo(Vertx vertx) throws Exception {
        Duration negative = Duration.ofSeconds(-1);
        try (MutexGuard<Integer> g = Contexts.get(VertxLocks.tryLock(mutex, negative))) {
            assertTrue(g.isHeld(), "free: granted");
            LockTimeoutException e = assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryLock(mutex, negative)));
            assertEquals(Duration.ZERO, e.waitDuration());
            assertEquals(0, mutex.queueLength());
        }
        LocalLocks locks = LocalLocks.of(vertx);
        Lock first = Contexts.get(locks.getLocalLockWithTimeout("negative", -5));
        assertInstanceOf(LockTimeoutException.class, failure(locks.getLocalLockWithTimeout("negative", -5)));
        first.release();
        Contexts.get(locks.getLocalLockWithTimeout("negative", -5)).release();
    }

    @Test
    void deadlineFormsTryOnceWhenPassedAndWaitOtherwise() throws Exception {
        MutexGuard<Integer> held = mutex.lock();
        assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryLock(mutex, Instant.EPOCH)));
        Future<MutexGuard<Integer>> later = VertxLocks.tryLock(mutex, Instant.now().plusSeconds(60));
        held.close();
        Contexts.get(later).close();
        RwLock<String> lock = new RwLock<>("v");
        try (var w = Contexts.get(VertxLocks.tryWrite(lock, Instant.EPOCH))) {
            assertTrue(w.isHeld());
            assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryRead(lock, Instant.EPOCH)));
            assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryUpgradableRead(lock, Instant.EPOCH)));
        }
        try (var u = Contexts.get(VertxLocks.tryUpgradableRead(lock, Instant.now().plusSeconds(1)))) {
            Contexts.get(VertxLocks.tryUpgrade(u, Instant.EPOCH)).close(); // no reader inside: one attempt suffices
        }
        assertFalse(mutex.isLocked());
        assertEquals(0, lock.readHolds());
    }

    @Test
    void aGrantBeforeTheTimeoutWins(Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<Integer> held = mutex.lock();
        Future<MutexGuard<Integer>> f = Contexts.on(context, () -> VertxLocks.tryLock(mutex, Duration.ofSeconds(30)));
        held.close();
        try (MutexGuard<Integer> g = Contexts.get(f)) {
            assertTrue(g.isHeld());
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(NullPointerException.class, () -> VertxLocks.tryLock(mutex, (Duration) null));
        assertThrows(NullPointerException.class, () -> VertxLocks.lock(null));
        assertEquals(0, mutex.queueLength());
    }

    @Test
    void pendingLockCanBeWithdrawn(Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<Integer> held = mutex.lock();
        PendingAcquisition<MutexGuard<Integer>> p = Contexts.on(context, () -> VertxLocks.pendingLock(mutex));
        assertEquals(1, mutex.queueLength());

        assertTrue(p.cancel());
        assertFalse(p.cancel(), "only once");
        assertInstanceOf(CancellationException.class, failure(p.future()));
        assertEquals(0, mutex.queueLength());
        held.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void cancellingAfterTheGrantReturnsFalseAndTheGuardIsDelivered() throws Exception {
        PendingAcquisition<MutexGuard<Integer>> p = VertxLocks.pendingLock(mutex);
        assertFalse(p.cancel());
        try (MutexGuard<Integer> g = Contexts.get(p.future())) {
            assertTrue(g.isHeld());
        }
    }

    @Test
    void timedReadAndWriteAndLocalLocksTimeOut(Vertx vertx) throws Exception {
        RwLock<Integer> lock = RwLock.builder().name("rw").build(0);
        var writer = lock.write();
        assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryRead(lock, Duration.ofMillis(10))));
        assertInstanceOf(LockTimeoutException.class, failure(VertxLocks.tryWrite(lock, Duration.ofMillis(10))));
        assertInstanceOf(LockTimeoutException.class,
                failure(VertxLocks.tryUpgradableRead(lock, Duration.ofMillis(10))));
        assertEquals(0, lock.queueLength());
        writer.close();

        LocalLocks locks = LocalLocks.of(vertx);
        Lock held = Contexts.get(locks.getLocalLock("t"));
        assertInstanceOf(LockTimeoutException.class, failure(locks.getLocalLockWithTimeout("t", 10)));
        assertEquals(1, locks.size());
        held.release();
        assertEquals(0, locks.size(), "the timed-out waiter's use of the name was given back");
        Contexts.get(locks.getLocalLockWithTimeout("t", -1)).release(); // a negative wait: one attempt
        assertEquals(0, locks.size());
    }

    /**
     * Timers racing grants: many short timed waiters on a busy mutex; each either times out or is
     * granted, and every grant is released, so the mutex ends free with an empty queue.
     */
    @Test
    void timeoutsRacingGrantsNeverStrandTheMutex(Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        int[] granted = new int[1];
        List<Future<?>> all = Contexts.on(context, () -> {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                fs.add(VertxLocks.tryLock(mutex, Duration.ofMillis(ThreadLocalRandom.current().nextInt(1, 4)))
                        .onSuccess(g -> {
                            granted[0]++;
                            vertx.setTimer(1, id -> g.close()); // hold across a timer, so others wait
                        }));
            }
            return fs;
        });
        Contexts.get(Future.join(all).otherwiseEmpty());
        await().atMost(Contexts.WAIT).until(() -> !mutex.isLocked());
        assertEquals(0, mutex.queueLength());
        assertTrue(granted[0] > 0);
        long timedOut = all.stream().filter(f -> f.cause() instanceof LockTimeoutException).count();
        assertEquals(2_000, granted[0] + timedOut);
    }

    @Test
    void timedUpgradeGivesTheUpgradableHoldBack(Vertx vertx) throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        var reader = lock.read();
        var upgradable = Contexts.get(VertxLocks.upgradableRead(lock));
        Throwable e = failure(VertxLocks.tryUpgrade(upgradable, Duration.ofMillis(20)));
        assertInstanceOf(LockTimeoutException.class, e);
        assertTrue(lock.isUpgradableLocked(), "the upgradable hold is back with the guard");
        assertSame(2, lock.readHolds());
        reader.close();
        try (var w = Contexts.get(VertxLocks.upgrade(upgradable))) {
            assertTrue(lock.isWriteLocked());
        }
        assertEquals(0, lock.readHolds());
    }
}
