package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Lock ranks: an acquirer (a thread, or an asynchronous task's {@link LockOwner}) may only take a
 * ranked lock that outranks every ranked lock it holds; anything else fails before it queues, with no
 * lock left held on its behalf (ordered_mutex's rule; Guava's CycleDetectingLockFactory checks the
 * same per thread only).
 */
@Timeout(30)
class LockRanksTest {
    enum Rank { ACCOUNTS, LEDGER, AUDIT }

    private final Mutex<String> accounts = Mutex.builder().name("accounts").rank(Rank.ACCOUNTS).build("a");
    private final Mutex<String> ledger = Mutex.builder().name("ledger").rank(Rank.LEDGER).build("l");
    private final Mutex<String> audit = Mutex.builder().name("audit").rank(Rank.AUDIT).build("x");

    @AfterEach
    void restorePolicy() {
        LockRanks.setPolicy(LockRanks.Policy.THROW);
    }

    // ---------------------------------------------------------------- threads

    @Test
    void locksAreTakenInRankOrder() {
        try (MutexGuard<String> a = accounts.lock(); MutexGuard<String> l = ledger.lock();
             MutexGuard<String> x = audit.lock()) {
            assertTrue(accounts.isLocked() && ledger.isLocked() && audit.isLocked());
        }
        assertEquals("alx", accounts.withLock(a -> ledger.withLock(l -> audit.withLock(x -> a + l + x))));
        try (MutexGuard<String> a = accounts.lock(); MutexGuard<String> x = audit.lock()) {
            assertTrue(audit.isLocked(), "ranks may be skipped");
        }
    }

    @Test
    void aLowerRankFailsBeforeQueuingAndNamesBothLocks() throws Exception {
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> a = accounts.lock()) { // so that a wait would have queued
                held.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        try (MutexGuard<String> l = ledger.lock()) {
            LockOrderViolationException e = assertThrows(LockOrderViolationException.class, accounts::lock);
            assertTrue(e.getMessage().contains("Mutex[accounts]@") && e.getMessage().contains("rank ACCOUNTS = 0"), e.getMessage());
            assertTrue(e.getMessage().contains("Mutex[ledger]@") && e.getMessage().contains("rank LEDGER = 1"), e.getMessage());
            assertTrue(e.getMessage().contains(Thread.currentThread().getName()), e.getMessage());
            assertEquals(1, e.heldRank());
            assertEquals(0, e.acquiredRank());
            assertTrue(e.heldLock().startsWith("Mutex[ledger]@"));
            assertTrue(e.acquiredLock().startsWith("Mutex[accounts]@"));
            assertEquals(0, accounts.queueLength(), "refused before it queued");
            assertTrue(l.isHeld());
        } finally {
            done.countDown();
            other.join();
        }
        assertFalse(accounts.isLocked());
        assertFalse(ledger.isLocked());
    }

    @Test
    void everyBlockingAndTryFormObeysTheRule() {
        try (MutexGuard<String> l = ledger.lock()) {
            assertThrows(LockOrderViolationException.class, accounts::lock);
            assertThrows(LockOrderViolationException.class, accounts::lockInterruptibly);
            assertThrows(LockOrderViolationException.class, accounts::tryLock);
            assertThrows(LockOrderViolationException.class, () -> accounts.tryLock(Duration.ZERO));
            assertThrows(LockOrderViolationException.class, () -> accounts.tryLock(Duration.ofSeconds(5)));
            assertThrows(LockOrderViolationException.class, () -> accounts.withLock(a -> a));
            assertThrows(LockOrderViolationException.class, () -> accounts.update(a -> a));
            Lock view = accounts.asLock();
            assertThrows(LockOrderViolationException.class, view::lock);
            assertThrows(LockOrderViolationException.class, view::tryLock);
            assertThrows(LockOrderViolationException.class, () -> view.tryLock(1, TimeUnit.SECONDS));
            assertFalse(accounts.isLocked());
        }
    }

    @Test
    void equalRanksAreNeverHeldTogether() {
        Mutex<String> first = Mutex.builder().rank(7).build("1");
        Mutex<String> second = Mutex.builder().rank(7).build("2");
        try (MutexGuard<String> g = first.lock()) {
            assertThrows(LockOrderViolationException.class, second::lock);
        }
        second.lock().close();
    }

    @Test
    void reacquiringARankedLockFailsInsteadOfWaitingForItself() {
        try (MutexGuard<String> l = ledger.lock()) {
            LockOrderViolationException e = assertThrows(LockOrderViolationException.class, ledger::tryLock);
            assertTrue(e.getMessage().contains("already holds"), e.getMessage());
            assertThrows(LockOrderViolationException.class, () -> ledger.tryLock(Duration.ofSeconds(5)));
        }
    }

    @Test
    void aReleaseOutOfOrderLeavesTheOthersHeld() {
        MutexGuard<String> a = accounts.lock();
        MutexGuard<String> l = ledger.lock();
        a.close();
        assertThrows(LockOrderViolationException.class, accounts::lock, "ledger is still held");
        l.close();
        accounts.lock().close();
    }

    @Test
    void unrankedLocksAreNotTrackedAndDoNotCount() {
        Mutex<String> plain = new Mutex<>("p");
        assertNull(plain.tracking(), "an unranked lock records nothing");
        try (MutexGuard<String> p = plain.lock()) {
            accounts.lock().close(); // an unranked lock held is no obstacle
        }
        try (MutexGuard<String> l = ledger.lock(); MutexGuard<String> p = plain.lock()) {
            assertThrows(LockOrderViolationException.class, accounts::lock, "the ranked one held still counts");
        }
    }

    @Test
    void rwLockReadsWritesAndUpgradesObeyTheRule() {
        RwLock<String> low = RwLock.builder().name("low").rank(1).build("l");
        RwLock<String> high = RwLock.builder().name("high").rank(2).build("h");
        try (ReadGuard<String> r = high.read()) {
            assertThrows(LockOrderViolationException.class, low::read);
            assertThrows(LockOrderViolationException.class, low::write);
            assertThrows(LockOrderViolationException.class, low::upgradableRead);
            assertThrows(LockOrderViolationException.class, () -> low.withRead(v -> v));
            assertThrows(LockOrderViolationException.class, high::write, "a writer would wait for its own read");
            try (ReadGuard<String> again = high.readRecursive()) {
                assertEquals(2, high.readHolds(), "a recursive read of a read lock held is what it is for");
            }
            assertThrows(LockOrderViolationException.class, high::read, "a plain read again may deadlock behind a writer");
        }
        try (UpgradableGuard<String> u = high.upgradableRead(); WriteGuard<String> w = u.upgrade()) {
            assertThrows(LockOrderViolationException.class, low::read, "the upgrade keeps the rank held");
            try (ReadGuard<String> r = w.downgrade()) {
                assertThrows(LockOrderViolationException.class, low::read, "and so does the downgrade");
            }
        }
        try (ReadGuard<String> r = low.read(); WriteGuard<String> w = high.write()) {
            assertTrue(high.isWriteLocked());
        }
        assertEquals(0, low.readHolds());
    }

    @Test
    void virtualThreadsObeyTheRule() throws Exception {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (MutexGuard<String> l = ledger.lock()) {
                accounts.lock();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }).join();
        assertInstanceOf(LockOrderViolationException.class, outcome.get());
        assertTrue(outcome.get().getMessage().startsWith("virtual thread"), outcome.get().getMessage());
        assertFalse(accounts.isLocked());
        assertFalse(ledger.isLocked());
    }

    @Test
    void eachThreadHasItsOwnRanks() throws Exception {
        try (MutexGuard<String> l = ledger.lock()) {
            CompletableFuture<Void> other = CompletableFuture.runAsync(() -> accounts.lock().close());
            other.get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGuardHandedToAnotherThreadCountsForThatThreadOnceUsed() throws Exception {
        SynchronousQueue<MutexGuard<String>> handOver = new SynchronousQueue<>();
        CountDownLatch used = new CountDownLatch(1);
        CountDownLatch close = new CountDownLatch(1);
        AtomicReference<Throwable> receiverLockingLower = new AtomicReference<>();
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                MutexGuard<String> l = handOver.take();
                l.get();
                used.countDown();
                try {
                    accounts.lock().close();
                } catch (Throwable t) {
                    receiverLockingLower.set(t);
                }
                close.await();
                l.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        handOver.put(ledger.lock());
        used.await();
        accounts.lock().close(); // the ledger is the receiver's now, not this thread's
        close.countDown();
        receiver.join();
        assertInstanceOf(LockOrderViolationException.class, receiverLockingLower.get());
        assertFalse(ledger.isLocked());
    }

    @Test
    void aCondvarWaitResumesItsHoldWithoutARankCheck() throws Exception {
        Condvar changed = new Condvar();
        try (MutexGuard<String> a = accounts.lock(); MutexGuard<String> l = ledger.lock()) {
            assertFalse(changed.await(l, Duration.ofMillis(5)), "timed out, and the ledger is held again");
            assertThrows(LockOrderViolationException.class, accounts::tryLock);
            assertThrows(LockOrderViolationException.class, () -> ledger.tryLock(Duration.ZERO));
        }
        accounts.lock().close();
    }

    @Test
    void waitingOnAConditionOfALowerRankedMutexFailsBeforeReleasingIt() throws Exception {
        Condvar accountsChanged = new Condvar();
        try (MutexGuard<String> a = accounts.lock(); MutexGuard<String> l = ledger.lock()) {
            // Notified, the waiter would re-acquire accounts while holding the ledger: out of order.
            assertThrows(LockOrderViolationException.class, () -> accountsChanged.await(a, Duration.ofMillis(5)));
            assertThrows(LockOrderViolationException.class, () -> accountsChanged.awaitAsync(a));
            assertTrue(a.isHeld() && accounts.isLocked(), "nothing was released");
            assertEquals(0, accountsChanged.waiterCount());
            assertTrue(ledger.isLocked());
        }
        Lock view = accounts.asLock();
        java.util.concurrent.locks.Condition condition = view.newCondition();
        view.lock();
        try (MutexGuard<String> l = ledger.lock()) {
            assertThrows(LockOrderViolationException.class, () -> condition.await(5, TimeUnit.MILLISECONDS));
            assertTrue(accounts.isLocked());
        } finally {
            view.unlock();
        }
        assertFalse(accounts.isLocked());
    }

    // ---------------------------------------------------------------- asynchronous tasks

    @Test
    void anAsynchronousChainCarriesItsRanksInItsOwner() throws Exception {
        LockOwner order = LockOwner.named("order-42");
        MutexGuard<String> l = ledger.lockAsync(order).get(5, TimeUnit.SECONDS);
        CompletableFuture<MutexGuard<String>> lower = accounts.lockAsync(order);
        ExecutionException e = assertThrows(ExecutionException.class, () -> lower.get(5, TimeUnit.SECONDS));
        assertInstanceOf(LockOrderViolationException.class, e.getCause());
        assertTrue(e.getCause().getMessage().startsWith("task \"order-42\""), e.getCause().getMessage());
        assertFalse(accounts.isLocked(), "nothing was taken");
        assertEquals(0, accounts.queueLength(), "nothing was queued");
        MutexGuard<String> x = audit.lockAsync(order).get(5, TimeUnit.SECONDS); // higher: allowed
        x.close();
        l.close();
        accounts.lockAsync(order).get(5, TimeUnit.SECONDS).close(); // nothing held any more
    }

    @Test
    void anAsynchronousViolationFailsBeforeQueuingEvenWhenTheLockIsTaken() throws Exception {
        LockOwner task = LockOwner.named("t");
        MutexGuard<String> heldElsewhere = accounts.lock(); // the task's acquisition would queue
        MutexGuard<String> l = ledger.lockAsync(task).get(5, TimeUnit.SECONDS);
        try {
            assertFailsWithViolation(() -> accounts.lockAsync(task));
            assertFailsWithViolation(() -> accounts.tryLockAsync(Duration.ofSeconds(5), task));
            assertFailsWithViolation(() -> accounts.withLockAsync(task, g -> CompletableFuture.completedFuture(g.get())));
            assertThrows(LockOrderViolationException.class, () -> accounts.lockAsync(new Recorder<>(), null, task));
            assertEquals(0, accounts.queueLength());
        } finally {
            l.close();
            heldElsewhere.close();
        }
    }

    @Test
    void aChainOfContinuationsIsOneAcquirerWhateverThreadRunsThem() throws Exception {
        LockOwner task = LockOwner.named("chain");
        CompletableFuture<Object> chain = ledger.lockAsync(task)
                .thenComposeAsync(l -> audit.lockAsync(task).thenApply(x -> {
                    try (l; x) {
                        return "ok";
                    }
                }))
                .thenCompose(ok -> ledger.lockAsync(task))
                .thenComposeAsync(l -> accounts.lockAsync(task).handle((a, failure) -> {
                    l.close();
                    return failure;
                }));
        Object failure = chain.get(5, TimeUnit.SECONDS);
        assertInstanceOf(LockOrderViolationException.class, failure);
        assertFalse(ledger.isLocked() || audit.isLocked() || accounts.isLocked());
    }

    @Test
    void rwLockAsynchronousAcquisitionsObeyTheRule() throws Exception {
        RwLock<String> low = RwLock.builder().name("low").rank(1).build("l");
        RwLock<String> high = RwLock.builder().name("high").rank(2).build("h");
        LockOwner task = LockOwner.named("rw-task");
        try (WriteGuard<String> w = high.writeAsync(task).get(5, TimeUnit.SECONDS)) {
            assertFailsWithViolation(() -> low.readAsync(task));
            assertFailsWithViolation(() -> low.writeAsync(task));
            assertFailsWithViolation(() -> low.upgradableReadAsync(task));
            assertThrows(LockOrderViolationException.class, () -> low.readAsync(new Recorder<>(), null, task));
            assertThrows(LockOrderViolationException.class, () -> low.writeAsync(new Recorder<>(), null, task));
            assertThrows(LockOrderViolationException.class, () -> low.upgradableReadAsync(new Recorder<>(), null, task));
        }
        try (UpgradableGuard<String> u = high.upgradableReadAsync(task).get(5, TimeUnit.SECONDS);
             WriteGuard<String> w = u.upgradeAsync().get(5, TimeUnit.SECONDS)) {
            assertFailsWithViolation(() -> low.readAsync(task)); // the upgraded hold is still the task's
        }
        low.readAsync(task).get(5, TimeUnit.SECONDS).close();
        assertEquals(0, low.readHolds());
    }

    @Test
    void acquisitionsWithoutAnOwnerAreTheirOwnAcquirers() throws Exception {
        LockOwner task = LockOwner.named("t");
        try (MutexGuard<String> l = ledger.lockAsync(task).get(5, TimeUnit.SECONDS)) {
            accounts.lockAsync().get(5, TimeUnit.SECONDS).close(); // anonymous: it holds nothing else
        }
        try (MutexGuard<String> l = ledger.lock()) {
            accounts.lockAsync(task).get(5, TimeUnit.SECONDS).close(); // the thread's ranks are not the task's
        }
    }

    @Test
    void aCondvarAwaitAsyncGivesTheNewGuardToTheSameOwner() throws Exception {
        LockOwner task = LockOwner.named("waiter");
        Condvar ready = new Condvar();
        MutexGuard<String> l = ledger.lockAsync(task).get(5, TimeUnit.SECONDS);
        CompletableFuture<Condvar.Wakeup<String>> woken = ready.awaitAsync(l, Duration.ofMillis(5));
        MutexGuard<String> again = woken.get(5, TimeUnit.SECONDS).guard();
        assertFailsWithViolation(() -> accounts.lockAsync(task));
        again.close();
        accounts.lockAsync(task).get(5, TimeUnit.SECONDS).close();
    }

    // ---------------------------------------------------------------- policies

    @Test
    void theOffPolicyChecksNothing() {
        LockRanks.setPolicy(LockRanks.Policy.OFF);
        try (MutexGuard<String> l = ledger.lock(); MutexGuard<String> a = accounts.lock()) {
            assertEquals(LockRanks.Policy.OFF, LockRanks.policy());
        }
    }

    @Test
    void rankArgumentsAreChecked() {
        assertThrows(IllegalArgumentException.class, () -> Mutex.builder().rank(Integer.MIN_VALUE));
        assertThrows(NullPointerException.class, () -> Mutex.builder().rank((Enum<?>) null));
        assertThrows(NullPointerException.class, () -> LockRanks.setPolicy(null));
        assertThrows(NullPointerException.class, () -> accounts.lockAsync((LockOwner) null));
        assertThrows(NullPointerException.class, () -> LockOwner.named(null));
    }

    // ---------------------------------------------------------------- helpers

    private static void assertFailsWithViolation(Supplier<? extends CompletableFuture<?>> acquisition) {
        CompletableFuture<?> f = acquisition.get();
        assertTrue(f.isDone(), "failed at once");
        CompletionException e = assertThrows(CompletionException.class, f::join);
        assertInstanceOf(LockOrderViolationException.class, e.getCause());
    }

    /** A callback that records nothing and releases what it gets. */
    private static final class Recorder<G extends AutoCloseable> implements LockCallback<G> {
        @Override
        public void onLocked(G guard) {
            try {
                guard.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void onFailed(Throwable cause) {
        }
    }

}
