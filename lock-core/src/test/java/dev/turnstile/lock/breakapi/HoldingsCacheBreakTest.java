package dev.turnstile.lock.breakapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Deadlock;
import dev.turnstile.lock.Deadlocks;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockRanks;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attacks on how a thread finds its holdings (the bookkeeping behind lock ranks and deadlock
 * detection), written against a thread-id-indexed cache in front of the thread-local that was
 * tried and taken out: the first four tests failed with it. Threads whose ids would share a cache
 * slot, threads whose thread-locals are cleared under them (a ForkJoinPool that does not preserve
 * thread-locals, like the common pool), finished threads and what they keep reachable, and what the
 * rank check and the violation message say (a held lock's rank is read from its tracking).
 */
@Timeout(60)
class HoldingsCacheBreakTest {
    enum Rank { ACCOUNTS, LEDGER, AUDIT }

    /** Any cache table of up to 65,536 slots indexed by the low bits of the thread id. */
    private static final long SLOT_BITS = 0xFFFF;

    private final Mutex<String> accounts = Mutex.builder().name("accounts").rank(Rank.ACCOUNTS).build("a");
    private final Mutex<String> ledger = Mutex.builder().name("ledger").rank(Rank.LEDGER).build("l");
    private final Mutex<String> audit = Mutex.builder().name("audit").rank(Rank.AUDIT).build("x");
    private final List<Thread> started = new ArrayList<>();
    private ForkJoinPool pool;

    @AfterEach
    void cleanUp() throws InterruptedException {
        LockRanks.setPolicy(LockRanks.Policy.THROW);
        for (Thread t : started) {
            t.interrupt();
        }
        for (Thread t : started) {
            assertTrue(t.join(Duration.ofSeconds(10)), t + " still running");
        }
        if (pool != null) {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // ---------------------------------------------------------------- thread-locals cleared under the cache

    /**
     * A pool whose single worker does not preserve thread-locals across tasks (public API since JDK 19;
     * the common pool's workers are like this on JDK 25): the pool clears the worker's thread-locals
     * each time it goes idle.
     */
    private ForkJoinPool clearingPool() {
        pool = new ForkJoinPool(1, p -> new ForkJoinWorkerThread(null, p, false) { }, null, false);
        return pool;
    }

    /** Runs a task on the pool's worker that uses ranked locks, then waits until the worker is idle (its thread-locals cleared). */
    private Thread warmWorkerThenLetItIdle(ForkJoinPool p) throws Exception {
        Future<Thread> first = p.submit(() -> {
            accounts.withLock(a -> a); // the worker's holdings exist now, in the thread-local and the cache
            return Thread.currentThread();
        });
        Thread worker = first.get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5)).until(() ->
                worker.getState() == Thread.State.WAITING || worker.getState() == Thread.State.TIMED_WAITING);
        return worker; // idle: ForkJoinPool.awaitWork cleared its thread-locals before parking
    }

    /** A started thread whose id shares {@code of}'s cache slot, that runs {@code body} and ends. */
    private static void runOnACollidingThread(Thread of, Runnable body) throws InterruptedException {
        Thread t = Thread.ofPlatform().daemon().unstarted(body);
        while ((t.threadId() & SLOT_BITS) != (of.threadId() & SLOT_BITS)) {
            t = Thread.ofPlatform().daemon().unstarted(body); // never started: nothing to clean up
        }
        t.start();
        assertTrue(t.join(Duration.ofSeconds(10)), "the colliding thread ends");
    }

    /**
     * One task, one thread: it holds {@code ledger} and must not then take {@code accounts}. A thread
     * whose id shares the worker's cache slot runs in between (it only uses an unrelated ranked lock).
     * With the cache, the worker's first look-up after its thread-locals were cleared found its old
     * holdings in the cache (recording {@code ledger} there), and the look-up after the eviction found an
     * empty thread-local and made new, empty holdings: the violation is missed.
     */
    @Test
    void aRankViolationInOneTaskIsCaughtEvenIfTheWorkersThreadLocalsWereClearedBefore() throws Exception {
        ForkJoinPool p = clearingPool();
        Thread worker = warmWorkerThenLetItIdle(p);
        Mutex<String> unrelated = Mutex.builder().name("unrelated").rank(Rank.AUDIT).build("u");
        Future<String> task = p.submit(() -> {
            assertEquals(worker, Thread.currentThread(), "one worker");
            try (MutexGuard<String> l = ledger.lock()) {
                runOnACollidingThread(worker, () -> unrelated.withLock(u -> u));
                try {
                    accounts.lock().close();
                    return "accounts taken while ledger is held: the rank check saw none of this thread's holds";
                } catch (LockOrderViolationException expected) {
                    return expected.heldLock().startsWith("Mutex[ledger]@") ? "refused" : expected.getMessage();
                }
            }
        });
        assertEquals("refused", task.get(20, TimeUnit.SECONDS));
        assertFalse(accounts.isLocked() || ledger.isLocked() || unrelated.isLocked());
    }

    /**
     * The same split seen by the deadlock detector: the worker's hold of {@code a} is recorded in the
     * holdings the cache gave it, its wait for {@code b} in the new ones made after a colliding thread
     * took the slot; the cycle worker → b → other → a → worker is then never closed.
     */
    @Test
    void aDeadlockOfAPoolWorkerWhoseThreadLocalsWereClearedIsFound() throws Exception {
        ForkJoinPool p = clearingPool();
        Thread worker = warmWorkerThenLetItIdle(p);
        Mutex<String> a = Mutex.builder().name("a").detectDeadlocks().build("a");
        Mutex<String> b = Mutex.builder().name("b").detectDeadlocks().build("b");
        Mutex<String> unrelated = Mutex.builder().name("unrelated").detectDeadlocks().build("u");
        CountDownLatch workerHoldsA = new CountDownLatch(1);
        CountDownLatch otherHoldsB = new CountDownLatch(1);
        Thread other = Thread.ofPlatform().name("other").daemon().start(() -> {
            try (MutexGuard<String> g = b.lock()) {
                otherHoldsB.countDown();
                workerHoldsA.await();
                a.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked at the end
            }
        });
        started.add(other);
        Future<?> task = p.submit(() -> {
            try (MutexGuard<String> g = a.lock()) {
                runOnACollidingThread(worker, () -> unrelated.withLock(u -> u));
                workerHoldsA.countDown();
                otherHoldsB.await();
                b.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked at the end
            }
            return null;
        });
        try {
            List<Deadlock> found;
            try {
                found = await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                        .until(Deadlocks::detect, l -> !l.isEmpty());
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                throw new AssertionError("worker and \"other\" are deadlocked (worker " + worker.getState()
                        + " waiting for b, other " + other.getState() + " waiting for a) but none was found");
            }
            assertEquals(1, found.size(), found.toString());
            assertEquals(Set.of(worker, other), Set.copyOf(found.get(0).acquirers()), found.toString());
        } finally {
            other.interrupt();
            worker.interrupt();
            try {
                task.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException ignored) {
                // whatever the interrupt did
            }
        }
    }

    // ---------------------------------------------------------------- thread death: what stays reachable

    /**
     * A short-lived thread that used a ranked lock and ended must not keep what its task refers to
     * reachable: here a payload its {@code Runnable} captured (a {@link Thread} keeps its task; a
     * context class loader, a thread subclass's fields, the locks it held are kept the same way).
     */
    @Test
    void aFinishedThreadThatUsedARankedLockDoesNotKeepItsTaskReachable() throws Exception {
        WeakReference<Object> payload = finishedThreadCapturing();
        assertCollected(payload, "the payload captured by a finished thread's Runnable");
    }

    /** The same for a context class loader (a web application's, in a container that redeploys). */
    @Test
    void aFinishedThreadThatUsedARankedLockDoesNotKeepItsContextClassLoaderReachable() throws Exception {
        WeakReference<ClassLoader> loader = finishedThreadWithLoader();
        assertCollected(loader, "a finished thread's context class loader");
    }

    private WeakReference<Object> finishedThreadCapturing() throws InterruptedException {
        Object payload = new byte[1 << 20];
        Thread t = Thread.ofPlatform().start(() -> {
            try (MutexGuard<String> g = ledger.lock()) {
                assertNotNull(payload);
            }
        });
        assertTrue(t.join(Duration.ofSeconds(10)));
        return new WeakReference<>(payload);
    }

    private WeakReference<ClassLoader> finishedThreadWithLoader() throws InterruptedException {
        ClassLoader loader = new ClassLoader(getClass().getClassLoader()) { };
        Mutex<String> m = ledger;
        Thread t = Thread.ofPlatform().unstarted(() -> m.withLock(l -> l));
        t.setContextClassLoader(loader);
        t.start();
        assertTrue(t.join(Duration.ofSeconds(10)));
        return new WeakReference<>(loader);
    }

    private static void assertCollected(WeakReference<?> ref, String what) {
        try {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
                System.gc();
                return ref.get() == null;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(what + " is still reachable after the thread ended");
        }
    }

    /**
     * Many short-lived threads (virtual: cheap to start) that each used a ranked lock: at most one
     * finished thread per cache slot may stay reachable, whatever their number.
     */
    @Test
    void manyShortLivedThreadsLeaveAtMostOnePerCacheSlotReachable() throws Exception {
        int n = 100_000;
        Queue<WeakReference<Thread>> refs = new ConcurrentLinkedQueue<>();
        try (var executor = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < n; i++) {
                executor.execute(() -> {
                    refs.add(new WeakReference<>(Thread.currentThread()));
                    ledger.withLock(l -> audit.withLock(x -> x));
                });
            }
        }
        assertEquals(n, refs.size());
        AtomicReference<Long> alive = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50)).until(() -> {
            System.gc();
            long c = refs.stream().filter(r -> r.get() != null).count();
            alive.set(c);
            return c <= 1024;
        });
        assertTrue(alive.get() <= 1024, alive.get() + " finished threads reachable");
        assertFalse(ledger.isLocked() || audit.isLocked());
    }

    // ---------------------------------------------------------------- threads sharing a cache slot

    /**
     * Platform and virtual threads whose ids all share one cache slot use the same ranked locks at once,
     * in order and out of order: every out-of-order attempt is refused naming the lock that thread holds,
     * every in-order one succeeds, and the detector, polled meanwhile, never reports a deadlock.
     */
    @Test
    void manyThreadsSharingACacheSlotEachFindTheirOwnHolds() throws Exception {
        int threads = 6;
        int rounds = 1_500;
        Thread first = Thread.ofPlatform().unstarted(() -> { });
        List<Thread> sameSlot = new ArrayList<>();
        Queue<String> failures = new ConcurrentLinkedQueue<>();
        CountDownLatch go = new CountDownLatch(1);
        Mutex<String> tracked = Mutex.builder().name("tracked").detectDeadlocks().build("t");
        RwLock<String> rw = RwLock.builder().name("rw").rank(Rank.AUDIT).detectDeadlocks().build("rw");
        Runnable body = () -> {
            try {
                go.await();
                for (int i = 0; i < rounds && failures.isEmpty(); i++) {
                    roundOfOrders(i, tracked, rw, failures);
                }
            } catch (Throwable e) {
                failures.add(Thread.currentThread() + ": " + e);
            }
        };
        while (sameSlot.size() < threads) {
            Thread.Builder b = sameSlot.size() % 2 == 0 ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
            Thread t = b.unstarted(body);
            if ((t.threadId() & 1023) == (first.threadId() & 1023)) {
                sameSlot.add(t);
            }
        }
        for (Thread t : sameSlot) {
            t.start();
            started.add(t);
        }
        go.countDown();
        AtomicBoolean allDone = new AtomicBoolean();
        while (!allDone.get()) {
            List<Deadlock> d = Deadlocks.detect();
            if (!d.isEmpty()) {
                failures.add("false deadlock: " + d);
            }
            allDone.set(true);
            for (Thread t : sameSlot) {
                if (!t.join(Duration.ofMillis(5))) {
                    allDone.set(false);
                }
            }
        }
        assertTrue(failures.isEmpty(), () -> failures.size() + " failures, first: " + failures.peek());
        assertFalse(accounts.isLocked() || ledger.isLocked() || audit.isLocked() || tracked.isLocked()
                || rw.isWriteLocked());
    }

    private void roundOfOrders(int i, Mutex<String> tracked, RwLock<String> rw, Queue<String> failures) {
        Thread me = Thread.currentThread();
        try (MutexGuard<String> l = ledger.lock(); MutexGuard<String> t = tracked.lock()) {
            if (i % 3 == 0) {
                Thread.yield(); // let a colliding thread take the slot
            }
            try {
                accounts.tryLock().ifPresent(MutexGuard::close);
                failures.add(me + ": accounts taken while ledger held");
            } catch (LockOrderViolationException e) {
                if (!e.heldLock().startsWith("Mutex[ledger]@") || e.heldRank() != Rank.LEDGER.ordinal()) {
                    failures.add(me + ": wrong held lock: " + e.getMessage());
                }
            }
            try (ReadGuard<String> r = rw.read()) {
                try {
                    ledger.lock().close();
                    failures.add(me + ": ledger taken twice");
                } catch (LockOrderViolationException e) {
                    if (!e.heldLock().startsWith("RwLock[rw]@")) {
                        failures.add(me + ": wrong held lock (rw read held): " + e.getMessage());
                    }
                }
            }
        }
        // nothing held now: every rank may be taken, lowest first
        accounts.withLock(a -> ledger.withLock(l -> audit.withLock(x -> x)));
    }

    /**
     * A thread takes a ranked, deadlock-detected lock and dies, having handed the guard to a thread whose
     * id shares its cache slot (the dead thread's holdings stay in the cache). The receiver uses the
     * guard: the hold is its own from then on (rank check, detector), the dead thread holds nothing, and
     * a real cycle through the handed lock names the receiver as holder.
     */
    @Test
    void aGuardHandedByADeadThreadToOneSharingItsSlotIsTheReceiversHold() throws Exception {
        AtomicReference<MutexGuard<String>> handed = new AtomicReference<>();
        Thread giver = Thread.ofPlatform().name("giver").unstarted(() -> handed.set(ledger.lock()));
        CountDownLatch receiverHolds = new CountDownLatch(1);
        CountDownLatch otherHoldsAudit = new CountDownLatch(1);
        Mutex<String> x = audit;
        Runnable receiverBody = () -> {
            try (MutexGuard<String> g = handed.get()) {
                assertEquals("l", g.get()); // first use here: the hold moves to this thread
                try {
                    accounts.lock().close();
                    throw new AssertionError("accounts taken while the handed ledger hold is this thread's");
                } catch (LockOrderViolationException expected) {
                    assertTrue(expected.heldLock().startsWith("Mutex[ledger]@"), expected.getMessage());
                    assertTrue(expected.getMessage().contains("receiver"), expected.getMessage());
                }
                receiverHolds.countDown();
                otherHoldsAudit.await();
                x.lockInterruptibly().close(); // audit outranks ledger: allowed, and waits for "other"
            } catch (InterruptedException expected) {
                // unblocked at the end
            }
        };
        Thread receiver = Thread.ofVirtual().name("receiver").unstarted(receiverBody);
        while ((receiver.threadId() & SLOT_BITS) != (giver.threadId() & SLOT_BITS)) {
            receiver = Thread.ofVirtual().name("receiver").unstarted(receiverBody);
        }
        giver.start();
        assertTrue(giver.join(Duration.ofSeconds(10)));
        assertNotNull(handed.get());
        Thread other = Thread.ofPlatform().name("other").daemon().unstarted(() -> {
            try (MutexGuard<String> a = x.lock()) { // audit, then ledger: out of rank order, so ranks off here
                otherHoldsAudit.countDown();
                receiverHolds.await();
                ledger.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked at the end
            }
        });
        receiver.start();
        started.add(receiver);
        assertTrue(receiverHolds.await(10, TimeUnit.SECONDS), "the receiver's checks passed (else see its uncaught exception)");
        LockRanks.setPolicy(LockRanks.Policy.OFF); // "other" goes against the order; the receiver has checked already
        other.start();
        started.add(other);
        List<Deadlock> found = await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(Deadlocks::detect, l -> !l.isEmpty());
        assertEquals(1, found.size(), found.toString());
        assertEquals(Set.of(receiver, other), Set.copyOf(found.get(0).acquirers()), found.toString());
        assertFalse(found.toString().contains("giver"), found.toString());
    }

    // ---------------------------------------------------------------- the rank read from the lock

    /**
     * The violation names the held lock and its enum rank (read from the lock since the rank array went
     * away) for a lock held in each way: exclusive, read, upgradable, and resumed by a condition wait.
     */
    @Test
    void theViolationNamesTheHeldLockAndItsEnumRankForEveryKindOfHold() throws Exception {
        RwLock<String> rw = RwLock.builder().name("rw").rank(Rank.LEDGER).build("rw");
        try (ReadGuard<String> r = rw.read()) {
            assertViolation(() -> accounts.lock().close(), "RwLock[rw]@", "rank LEDGER = 1");
        }
        try (UpgradableGuard<String> u = rw.upgradableRead()) {
            assertViolation(() -> accounts.lock().close(), "RwLock[rw]@", "rank LEDGER = 1");
            try (var w = u.upgrade()) {
                assertViolation(() -> ledger.lock().close(), "RwLock[rw]@", "rank LEDGER = 1");
            }
        }
        try (MutexGuard<String> x = audit.lock()) {
            assertViolation(() -> rw.read().close(), "Mutex[audit]@", "rank AUDIT = 2");
        }
        // a condition wait on ledger while audit is held must be refused before it releases ledger
        Condvar c = new Condvar();
        try (MutexGuard<String> l = ledger.lock(); MutexGuard<String> x = audit.lock()) {
            assertViolation(() -> c.await(l, Duration.ofMillis(1)), "Mutex[audit]@", "rank AUDIT = 2");
            assertTrue(ledger.isLocked(), "the refused wait left ledger held");
        }
        assertFalse(accounts.isLocked() || ledger.isLocked() || audit.isLocked() || rw.isWriteLocked());
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void assertViolation(Body body, String heldPrefix, String heldRank) {
        LockOrderViolationException e = assertThrows(LockOrderViolationException.class, body::run);
        assertTrue(e.heldLock().startsWith(heldPrefix), e.getMessage());
        assertTrue(e.getMessage().contains(heldRank), e.getMessage());
    }
}
