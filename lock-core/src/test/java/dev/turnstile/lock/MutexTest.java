package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The blocking {@link Mutex}: ownership by guard, misuse, timeouts and interrupts. */
@Timeout(30)
class MutexTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @Test
    void theGuardGivesAccessToTheValue() {
        Mutex<List<String>> m = new Mutex<>(new ArrayList<>());
        try (MutexGuard<List<String>> g = m.lock()) {
            assertTrue(m.isLocked());
            g.get().add("a");
            g.set(new ArrayList<>(List.of("b")));
        }
        assertFalse(m.isLocked());
        assertEquals(List.of("b"), m.withLock(v -> v));
    }

    @Test
    void updateReplacesTheValue() {
        Mutex<Integer> m = new Mutex<>(1);
        assertEquals(3, m.update(v -> v + 2));
        assertEquals(Integer.valueOf(3), m.withLock(v -> v));
        assertFalse(m.isLocked());
    }

    @Test
    void withLockReleasesWhenTheActionThrows() {
        Mutex<String> m = new Mutex<>("v");
        assertThrows(IllegalArgumentException.class, () -> m.withLock(v -> {
            throw new IllegalArgumentException();
        }));
        assertFalse(m.isLocked());
    }

    @Test
    void aGuardMayBeClosedOnAnotherThread() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> g = m.lock();
        CompletableFuture.runAsync(g::close).get(10, TimeUnit.SECONDS);
        assertFalse(m.isLocked());
        assertFalse(g.isHeld());
    }

    @Test
    void closingTwiceThrowsAndLeavesTheLockAlone() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> first = m.lock();
        first.close();
        MutexGuard<String> second = m.lock();
        assertThrows(IllegalStateException.class, first::close);
        assertThrows(IllegalStateException.class, first::unlockFair);
        assertTrue(m.isLocked(), "the stale guard did not release the new holder's lock");
        second.close();
        assertFalse(m.isLocked());
    }

    @Test
    void releasingAnUnlockedMutexThrowsInsteadOfCorruptingIt() {
        // What the second of two threads racing to close one guard runs into.
        Mutex<String> m = new Mutex<>("v");
        assertThrows(IllegalStateException.class, () -> m.releaseLock(false));
        assertThrows(IllegalStateException.class, () -> m.releaseLock(true));
        assertFalse(m.isLocked());
        m.lock().close();
    }

    @Test
    void aClosedGuardRefusesEveryUse() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> g = m.lock();
        g.close();
        assertThrows(IllegalStateException.class, g::get);
        assertThrows(IllegalStateException.class, () -> g.set("w"));
        assertThrows(IllegalStateException.class, g::bump);
        assertEquals("v", m.withLock(v -> v));
    }

    @Test
    void tryLockFailsWhileHeldAndSucceedsWhenFree() {
        Mutex<String> m = new Mutex<>("v");
        try (MutexGuard<String> g = m.lock()) {
            assertTrue(m.tryLock().isEmpty());
            assertTrue(m.tryLock(Duration.ZERO).isEmpty());
        }
        Optional<MutexGuard<String>> g = m.tryLock();
        assertTrue(g.isPresent());
        g.get().close();
    }

    @Test
    void aTimedOutWaiterLeavesNoTraceInTheQueue() {
        Mutex<String> m = new Mutex<>("v");
        try (MutexGuard<String> g = m.lock()) {
            assertTrue(m.tryLock(Duration.ofMillis(20)).isEmpty());
            assertEquals(0, m.queueLength());
            assertFalse(m.hasQueuedWaiters());
        }
        assertFalse(m.isLocked());
    }

    @Test
    void aTimedWaiterGetsTheLockWhenReleasedInTime() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<Boolean> acquired = CompletableFuture.supplyAsync(() -> {
            Optional<MutexGuard<String>> g = m.tryLock(PATIENCE);
            g.ifPresent(MutexGuard::close);
            return g.isPresent();
        });
        await().atMost(PATIENCE).until(() -> m.queueLength() == 1);
        held.close();
        assertTrue(acquired.get(10, TimeUnit.SECONDS));
    }

    @Test
    void anInterruptedWaiterThrowsAndLeavesNoTrace() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                m.lockInterruptibly().close();
            } catch (InterruptedException e) {
                outcome.set(e);
            }
        });
        await().atMost(PATIENCE).until(() -> m.queueLength() == 1);
        t.interrupt();
        t.join(PATIENCE.toMillis());
        assertTrue(outcome.get() instanceof InterruptedException);
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
        held.close();
        assertFalse(m.isLocked());
    }

    @Test
    void lockInterruptiblyThrowsAtOnceWhenAlreadyInterrupted() {
        Mutex<String> m = new Mutex<>("v");
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, m::lockInterruptibly);
        assertFalse(Thread.interrupted(), "the interrupt status is cleared, as in j.u.c");
        assertFalse(m.isLocked());
    }

    @Test
    void plainLockIgnoresInterruptsButKeepsTheStatus() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread t = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                interruptedAfter.set(Thread.currentThread().isInterrupted());
            }
        });
        await().atMost(PATIENCE).until(() -> m.queueLength() == 1);
        t.interrupt();
        await().atMost(PATIENCE).until(() -> t.getState() == Thread.State.WAITING);
        assertTrue(t.isAlive(), "still waiting for the lock");
        held.close();
        t.join(PATIENCE.toMillis());
        assertTrue(interruptedAfter.get());
    }

    @Test
    void aParkedThreadNamesTheMutexAsItsBlocker() {
        Mutex<String> m = Mutex.builder().name("accounts").build("v");
        MutexGuard<String> held = m.lock();
        Thread t = Thread.ofPlatform().start(() -> m.lock().close());
        await().atMost(PATIENCE).until(() -> java.util.concurrent.locks.LockSupport.getBlocker(t) == m);
        assertTrue(m.toString().contains("accounts"));
        held.close();
    }

    @Test
    void bumpLetsTheWaiterInAndKeepsTheGuard() throws Exception {
        Mutex<List<String>> m = new Mutex<>(new ArrayList<>());
        MutexGuard<List<String>> g = m.lock();
        g.get().add("holder");
        Thread t = Thread.ofPlatform().start(() -> m.withLock(v -> v.add("waiter")));
        await().atMost(PATIENCE).until(() -> m.queueLength() == 1);
        g.bump();
        assertTrue(g.isHeld());
        assertEquals(List.of("holder", "waiter"), g.get());
        g.close();
        t.join(PATIENCE.toMillis());
    }

    @Test
    void bumpWithoutWaitersKeepsTheLock() {
        Mutex<String> m = new Mutex<>("v");
        try (MutexGuard<String> g = m.lock()) {
            g.bump();
            assertTrue(m.isLocked());
        }
    }

    @Test
    void badArgumentsFailFastWithAMessage() {
        Mutex<String> m = new Mutex<>("v");
        assertThrows(NullPointerException.class, () -> m.tryLock((Duration) null));
        assertThrows(NullPointerException.class, () -> m.tryLock((Instant) null));
        assertThrows(NullPointerException.class, () -> m.withLock(null));
        assertThrows(NullPointerException.class, () -> m.update(null));
        assertThrows(NullPointerException.class, () -> Mutex.builder().fairness(null));
        assertThrows(NullPointerException.class, () -> Mutex.builder().clock(null));
        assertThrows(IllegalArgumentException.class, () -> Mutex.builder().handOffEvery(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> Mutex.builder().handOffAfterHolding(Duration.ofSeconds(-1)));
        assertFalse(m.isLocked());
    }

    @Test
    void hugeTimeoutsSaturateInsteadOfOverflowing() {
        Mutex<String> m = new Mutex<>("v");
        Optional<MutexGuard<String>> g = m.tryLock(Duration.ofSeconds(Long.MAX_VALUE));
        assertTrue(g.isPresent());
        g.get().close();
    }

    @Test
    void theLockViewIsOwnedByTheLockingThread() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Lock lock = m.asLock();
        assertSame(lock, m.asLock(), "one view per mutex");
        lock.lock();
        assertTrue(m.isLocked());
        CompletableFuture<Throwable> foreignUnlock = CompletableFuture.supplyAsync(() -> {
            try {
                lock.unlock();
                return null;
            } catch (IllegalMonitorStateException e) {
                return e;
            }
        });
        assertTrue(foreignUnlock.get(10, TimeUnit.SECONDS) instanceof IllegalMonitorStateException);
        assertTrue(m.isLocked(), "a foreign unlock leaves the lock held");
        lock.unlock();
        assertFalse(m.isLocked());
        assertThrows(IllegalMonitorStateException.class, lock::unlock);
    }

    @Test
    void theLockViewTryLockAndTimedTryLock() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Lock lock = m.asLock();
        assertTrue(lock.tryLock());
        CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> {
            try {
                return lock.tryLock(10, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertFalse(other.get(10, TimeUnit.SECONDS));
        assertEquals(0, m.queueLength());
        lock.unlock();
        assertTrue(lock.tryLock(1, TimeUnit.SECONDS));
        lock.unlock();
    }

    @Test
    void theLockViewIsInterruptible() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Lock lock = m.asLock();
        lock.lock();
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            started.countDown();
            try {
                lock.lockInterruptibly();
            } catch (InterruptedException e) {
                outcome.set(e);
            }
        });
        started.await();
        await().atMost(PATIENCE).until(() -> m.queueLength() == 1);
        t.interrupt();
        t.join(PATIENCE.toMillis());
        assertTrue(outcome.get() instanceof InterruptedException);
        assertEquals(0, m.queueLength());
        lock.unlock();
    }

    @Test
    void contendedIncrementsFromPlatformAndVirtualThreadsAddUp() throws Exception {
        for (Fairness fairness : Fairness.values()) {
            Mutex<long[]> m = Mutex.builder().fairness(fairness).build(new long[1]);
            int perThread = 20_000;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                threads.add(b.start(() -> {
                    for (int j = 0; j < perThread; j++) {
                        try (MutexGuard<long[]> g = m.lock()) {
                            g.get()[0]++;
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            assertEquals(Long.valueOf(4L * perThread), m.withLock(v -> v[0]), fairness.name());
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        }
    }
}
