package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Owner records and held ranks must follow holds, not threads: guards closed or used on other
 * threads, acquisitions that time out, are interrupted or cancelled leave nothing behind.
 */
@Timeout(30)
class OwnerRecordAttackTest {
    enum Rank { LOW, HIGH }

    @AfterEach
    void restorePolicy() {
        LockRanks.setPolicy(LockRanks.Policy.THROW);
    }

    @Test
    void aGuardClosedOnAnotherThreadLeavesNoOwnerAndNoRank() throws Exception {
        Mutex<String> high = Mutex.builder().name("high").rank(Rank.HIGH).build("h");
        Mutex<String> low = Mutex.builder().name("low").rank(Rank.LOW).build("l");
        MutexGuard<String> g = high.lock();
        Thread closer = Thread.ofPlatform().start(g::close);
        closer.join();
        assertNull(high.ownerThread());
        try (MutexGuard<String> l = low.lock(); MutexGuard<String> h = high.lock()) {
            assertTrue(h.isHeld());
        }
    }

    @Test
    void aRwWriteGuardClosedOnAnotherThreadLeavesNoOwnerAndNoRank() throws Exception {
        RwLock<String> high = RwLock.builder().name("high").rank(Rank.HIGH).build("h");
        Mutex<String> low = Mutex.builder().name("low").rank(Rank.LOW).build("l");
        WriteGuard<String> g = high.write();
        Thread closer = Thread.ofPlatform().start(g::close);
        closer.join();
        try (MutexGuard<String> l = low.lock(); WriteGuard<String> h = high.write()) {
            assertTrue(h.isHeld());
        }
    }

    @Test
    void aThreadWhoseHandedGuardIsClosedLaterWaitsInsteadOfThrowing() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> g = m.lock();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread closer = Thread.ofPlatform().start(() -> {
            try {
                waiting.await();
                // the giver is parked (or about to): close the guard it handed over, unused until now
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                while (m.queueLength() == 0 && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            } catch (InterruptedException e) {
                return;
            }
            g.close();
        });
        waiting.countDown();
        try (MutexGuard<String> again = m.lock()) { // a correct program: the other thread releases it
            assertTrue(again.isHeld());
        } finally {
            closer.join();
        }
    }

    @Test
    void aTimedOutRankedAcquisitionLeavesNoRank() throws Exception {
        Mutex<String> high = Mutex.builder().name("high").rank(Rank.HIGH).build("h");
        Mutex<String> low = Mutex.builder().name("low").rank(Rank.LOW).build("l");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> h = high.lock()) {
                held.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        assertTrue(high.tryLock(Duration.ofMillis(20)).isEmpty());
        assertTrue(high.tryLock().isEmpty());
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, high::lockInterruptibly);
        CompletableFuture<MutexGuard<String>> async = high.lockAsync();
        async.cancel(false);
        LockOwner task = LockOwner.named("task");
        CompletableFuture<MutexGuard<String>> timed = high.tryLockAsync(Duration.ofMillis(20), task);
        assertThrows(ExecutionException.class, () -> timed.get(5, TimeUnit.SECONDS));
        try (MutexGuard<String> l = low.lock()) {
            assertTrue(l.isHeld(), "no phantom rank on the thread");
        }
        low.lockAsync(task).get(5, TimeUnit.SECONDS).close(); // no phantom rank on the task
        done.countDown();
        holder.join();
    }

    @Test
    void aCondvarWaitOnAnotherThreadsGuardMovesTheOwner() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar c = new Condvar();
        MutexGuard<String> g = m.lock();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                c.await(g, Duration.ofMillis(10));
            } catch (InterruptedException e) {
                throw new AssertionError("nobody interrupts the waiter", e);
            }
            g.close();
        });
        waiter.join();
        assertNull(m.ownerThread());
        try (MutexGuard<String> again = m.lock()) {
            assertTrue(again.isHeld());
        }
    }

    @Test
    void noFalseJvmDeadlockAfterGuardsCrossThreads() throws Exception {
        Mutex<String> a = new Mutex<>("a");
        Mutex<String> b = new Mutex<>("b");
        for (int i = 0; i < 200; i++) {
            MutexGuard<String> ga = a.lock();
            MutexGuard<String> gb = b.lock();
            Thread t = Thread.ofPlatform().start(() -> { ga.close(); gb.close(); });
            t.join();
            assertNull(a.ownerThread());
            assertNull(b.ownerThread());
        }
    }

    @Test
    void aRealSelfDeadlockIsStillRefusedWithNothingQueuedOnPlatformAndVirtualThreads() throws Exception {
        for (Thread.Builder b : new Thread.Builder[] {Thread.ofPlatform(), Thread.ofVirtual()}) {
            Mutex<String> m = new Mutex<>("v");
            CompletableFuture<Throwable> refused = new CompletableFuture<>();
            Thread t = b.start(() -> {
                MutexGuard<String> g = m.lock();
                try {
                    m.lock();
                    refused.complete(null);
                } catch (Throwable e) {
                    refused.complete(e);
                } finally {
                    assertEquals(0, m.queueLength(), "nothing left queued");
                    assertTrue(g.isHeld());
                    g.close();
                }
            });
            Throwable e = refused.get(10, TimeUnit.SECONDS);
            t.join();
            assertTrue(e instanceof IllegalStateException, String.valueOf(e));
            assertFalse(m.isLocked());
            assertNull(m.ownerThread());
        }
    }
}
