package dev.turnstile.lock.diagnostics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import dev.turnstile.lock.Deadlocks;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the JVM's own tools see of Turnstile locks: thread holders of exclusive holds are the owners of
 * an {@link java.util.concurrent.locks.AbstractOwnableSynchronizer}, which is how
 * {@code ThreadMXBean.findDeadlockedThreads()}, {@code ThreadInfo} and {@code jstack -l} find them.
 * Every deadlocked thread here waits interruptibly and is interrupted at the end, so nothing hangs.
 */
@Timeout(60)
class JvmOwnershipTest {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void theJvmReportsTwoPlatformThreadsDeadlockedOnTwoMutexes() throws Exception {
        Mutex<String> left = Mutex.builder().name("left").build("l");
        Mutex<String> right = Mutex.builder().name("right").build("r");
        CountDownLatch bothHold = new CountDownLatch(2);
        Thread a = Thread.ofPlatform().name("holds-left").start(() -> crossOver(left, right, bothHold));
        Thread b = Thread.ofPlatform().name("holds-right").start(() -> crossOver(right, left, bothHold));
        try {
            awaitParkedOn(a, right);
            awaitParkedOn(b, left);
            long[] deadlocked = await().until(THREADS::findDeadlockedThreads, ids -> ids != null);
            assertEquals(sorted(a.threadId(), b.threadId()), sorted(deadlocked));

            ThreadInfo[] infos = THREADS.getThreadInfo(new long[] {a.threadId(), b.threadId()}, true, true);
            ThreadInfo infoA = infos[0];
            assertEquals(Mutex.class.getName() + "@" + hash(right), infoA.getLockName(), "the blocker, by identity hash");
            assertEquals("holds-right", infoA.getLockOwnerName());
            assertEquals(b.threadId(), infoA.getLockOwnerId());
            assertTrue(holds(infoA, left), "the holder lists its mutex among its locked synchronizers");
            assertTrue(holds(infos[1], right));
            assertTrue(left.toString().startsWith("Mutex[left]@" + hash(left) + "(locked by \"holds-left\""),
                    "a log line carries the identity hash the dump prints: " + left);
        } finally {
            a.interrupt();
            b.interrupt();
            a.join();
            b.join();
        }
        assertFalse(left.isLocked());
        assertFalse(right.isLocked());
        assertNull(left.ownerThread());
    }

    /** JFR's periodic thread dump ({@code jdk.ThreadDump}) carries the JVM's deadlock report too. */
    @Test
    void aJfrThreadDumpReportsTheDeadlock(@TempDir Path dir) throws Exception {
        Mutex<String> left = Mutex.builder().name("jfr-left").build("l");
        Mutex<String> right = Mutex.builder().name("jfr-right").build("r");
        CountDownLatch bothHold = new CountDownLatch(2);
        Thread a = Thread.ofPlatform().name("jfr-holds-left").start(() -> crossOver(left, right, bothHold));
        Thread b = Thread.ofPlatform().name("jfr-holds-right").start(() -> crossOver(right, left, bothHold));
        Path file = dir.resolve("dump.jfr");
        try (Recording recording = new Recording()) {
            awaitParkedOn(a, right);
            awaitParkedOn(b, left);
            recording.enable("jdk.ThreadDump").withPeriod(Duration.ofMillis(100));
            recording.start();
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                recording.dump(file);
                return RecordingFile.readAllEvents(file).stream().anyMatch(e -> e.getEventType().getName().equals("jdk.ThreadDump"));
            });
            recording.stop();
            recording.dump(file);
        } finally {
            a.interrupt();
            b.interrupt();
            a.join();
            b.join();
        }
        List<RecordedEvent> dumps = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("jdk.ThreadDump")).toList();
        String dump = dumps.get(dumps.size() - 1).getString("result");
        assertTrue(dump.contains("Found one Java-level deadlock"), dump);
        assertTrue(dump.contains("\"jfr-holds-left\":\n  waiting for ownable synchronizer")
                && dump.contains("(a " + Mutex.class.getName() + "),\n  which is held by \"jfr-holds-right\""), dump);
    }

    @Test
    void aThreadDumpOfAHolderListsTheMutexAndTheWaitersItsOwner() throws Exception {
        Mutex<String> orders = Mutex.builder().name("orders").build("o");
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().name("order-writer").start(() -> {
            try (MutexGuard<String> g = orders.lock()) {
                held.countDown();
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        held.await();
        Thread waiter = Thread.ofPlatform().name("order-reader").start(() -> orders.lock().close());
        try {
            awaitParkedOn(waiter, orders);
            ThreadInfo holderInfo = dumpOf(holder);
            assertTrue(holds(holderInfo, orders), Arrays.toString(holderInfo.getLockedSynchronizers()));
            ThreadInfo waiterInfo = dumpOf(waiter);
            assertEquals("order-writer", waiterInfo.getLockOwnerName());
            assertEquals(Mutex.class.getName() + "@" + hash(orders), waiterInfo.getLockName());
            assertSame(holder, orders.ownerThread());
        } finally {
            release.countDown();
            holder.join();
            waiter.join();
        }
        assertNull(orders.ownerThread(), "no owner is left behind by a release");
    }

    @Test
    void theJvmReportsAThreadHoldingAWriteLockAndNotItsReaders() throws Exception {
        RwLock<String> prices = RwLock.builder().name("prices").build("p");
        try (WriteGuard<String> w = prices.write()) {
            assertSame(Thread.currentThread(), prices.ownerThread());
            assertTrue(holds(dumpOf(Thread.currentThread()), prices));
            try (ReadGuard<String> r = w.downgrade()) {
                assertNull(prices.ownerThread(), "a downgrade ends the exclusive hold");
                assertFalse(holds(dumpOf(Thread.currentThread()), prices));
            }
        }
        try (UpgradableGuard<String> u = prices.upgradableRead()) {
            assertNull(prices.ownerThread(), "an upgradable read shares the lock with readers");
            try (WriteGuard<String> w = u.upgrade()) {
                assertSame(Thread.currentThread(), prices.ownerThread());
            }
        }
        assertNull(prices.ownerThread());
    }

    @Test
    void anAsynchronousHolderIsNoThread() throws Exception {
        Mutex<String> m = Mutex.builder().name("async").build("v");
        MutexGuard<String> g = m.lockAsync().join();
        assertNull(m.ownerThread(), "no thread owns what a task holds");
        Thread waiter = Thread.ofPlatform().name("waits-for-a-task").start(() -> m.lock().close());
        try {
            awaitParkedOn(waiter, m);
            ThreadInfo info = dumpOf(waiter);
            assertEquals(Mutex.class.getName() + "@" + hash(m), info.getLockName());
            assertNull(info.getLockOwnerName());
        } finally {
            g.close();
            waiter.join();
        }
    }

    @Test
    void aGuardUsedOnAnotherThreadIsThatThreadsForTheJvm() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> g = m.lock();
        assertSame(Thread.currentThread(), m.ownerThread());
        AtomicReference<Thread> seen = new AtomicReference<>();
        Thread other = Thread.ofPlatform().start(() -> {
            g.get();
            seen.set(m.ownerThread());
            g.close();
        });
        other.join();
        assertSame(other, seen.get());
        assertNull(m.ownerThread());
        assertFalse(m.isLocked());
    }

    /**
     * A guard handed over is no false deadlock: T1 locks {@code a} and hands the guard to T2, which
     * uses it and keeps it; T3 holds {@code b} and waits for {@code a}; T1 then waits for {@code b}.
     * Were {@code a} still recorded for T1, the JVM would see T1 → b → T3 → a → T1.
     */
    @Test
    void aHandedOverGuardMakesNoFalseDeadlockForTheJvm() throws Exception {
        Mutex<String> a = Mutex.builder().name("a").build("a");
        Mutex<String> b = Mutex.builder().name("b").build("b");
        SynchronousQueue<MutexGuard<String>> handOver = new SynchronousQueue<>();
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch releaseA = new CountDownLatch(1);
        CountDownLatch bHeld = new CountDownLatch(1);
        Thread t2 = Thread.ofPlatform().name("receiver").start(() -> {
            try {
                MutexGuard<String> g = handOver.take();
                g.get();                       // first use: the receiver holds it now
                taken.countDown();
                releaseA.await();
                g.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        CompletableFuture<Void> t1Done = new CompletableFuture<>();
        Thread t1 = Thread.ofPlatform().name("giver").start(() -> {
            try {
                handOver.put(a.lock());
                taken.await();
                bHeld.await();
                b.lockInterruptibly().close();
                t1Done.complete(null);
            } catch (Throwable e) {
                t1Done.completeExceptionally(e);
            }
        });
        taken.await(); // a is locked, handed over and used by the receiver
        Thread t3 = Thread.ofPlatform().name("holds-b").start(() -> {
            try (MutexGuard<String> gb = b.lock()) {
                bHeld.countDown();
                a.lockInterruptibly().close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            awaitParkedOn(t3, a);
            awaitParkedOn(t1, b);
            assertSame(t2, a.ownerThread());
            assertNull(THREADS.findDeadlockedThreads(), "nobody is deadlocked: the receiver will release a");
        } finally {
            releaseA.countDown();
        }
        t1Done.get(10, TimeUnit.SECONDS);
        t1.join();
        t2.join();
        t3.join();
        assertFalse(a.isLocked());
        assertFalse(b.isLocked());
    }

    /**
     * Virtual threads: the JDK 25 detector ({@code findDeadlockedThreads}) covers platform threads only
     * (a parked virtual thread is not mounted on a JVM thread it could walk), so it reports nothing
     * here; the thread dump of {@code jcmd Thread.dump_to_file} names each virtual thread's blocker by
     * the identity hash Turnstile's {@code toString()} shows. Turnstile's own detector finds the cycle
     * ({@code DeadlocksTest}).
     */
    @Test
    void virtualThreadsDeadlockedOnMutexesShowTheirBlockersInTheJdkThreadDump(@TempDir Path dir) throws Exception {
        Mutex<String> left = Mutex.builder().name("v-left").build("l");
        Mutex<String> right = Mutex.builder().name("v-right").build("r");
        CountDownLatch bothHold = new CountDownLatch(2);
        Thread a = Thread.ofVirtual().name("virtual-left").start(() -> crossOver(left, right, bothHold));
        Thread b = Thread.ofVirtual().name("virtual-right").start(() -> crossOver(right, left, bothHold));
        try {
            awaitParkedOn(a, right);
            awaitParkedOn(b, left);
            assertSame(a, left.ownerThread(), "the owner record names the virtual thread");
            if (Runtime.version().feature() == 25) {
                long[] ids = THREADS.findDeadlockedThreads();
                assertTrue(ids == null || Arrays.stream(ids).noneMatch(id -> id == a.threadId() || id == b.threadId()),
                        "JDK 25's findDeadlockedThreads does not walk virtual threads; if it does now, say so in the docs");
            }
            Path dump = dir.resolve("threads.json");
            ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
                    .dumpThreads(dump.toString(), HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
            String json = Files.readString(dump);
            assertTrue(json.contains("\"" + Mutex.class.getName() + "@" + hash(right) + "\""),
                    "the dump names the virtual thread's blocker as in the mutex's toString()");
        } finally {
            a.interrupt();
            b.interrupt();
            a.join();
            b.join();
        }
    }

    // ---------------------------------------------------------------- self-deadlock

    @AfterEach
    void restoreSelfDeadlockPolicy() {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
    }

    @Test
    void underTheWarnPolicyAThreadWaitingForAMutexItHoldsIsReportedOncePerMutexAndWaits() throws Exception {
        assertEquals(Deadlocks.SelfDeadlockPolicy.THROW, Deadlocks.selfDeadlockPolicy(), "the default");
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.WARN);
        Mutex<String> m = Mutex.builder().name("warned").build("v");
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Handler handler = recordingHandler("Mutex[warned]@", records);
        Logger log = Logger.getLogger("dev.turnstile.lock");
        log.addHandler(handler);
        try {
            for (int i = 0; i < 2; i++) {
                CompletableFuture<Throwable> outcome = new CompletableFuture<>();
                Thread t = Thread.ofPlatform().name("re-locker-" + i).start(() -> {
                    try (MutexGuard<String> g = m.lock()) {
                        m.lockInterruptibly(); // waits for itself: warned, then interrupted below
                        outcome.complete(null);
                    } catch (Throwable e) {
                        outcome.complete(e);
                    }
                });
                // Past the 500 ms grace: warned (once for this mutex, whichever thread), still waiting.
                await().atMost(Duration.ofSeconds(20)).until(() -> records.size() == 1);
                awaitParkedOn(t, m);
                t.interrupt();
                assertTrue(outcome.get(10, TimeUnit.SECONDS) instanceof InterruptedException);
                t.join();
            }
        } finally {
            log.removeHandler(handler);
        }
        assertEquals(1, records.size(), "once per mutex");
        assertTrue(records.get(0).getMessage().contains("thread \"re-locker-0\""), records.get(0).getMessage());
        assertFalse(m.isLocked());
    }

    @Test
    void lockingAMutexTheThreadHoldsFailsInsteadOfHanging() {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
        Mutex<String> m = Mutex.builder().name("reentered").build("v");
        try (MutexGuard<String> g = m.lock()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, m::lock);
            assertTrue(e.getMessage().contains("Mutex[reentered]@" + hash(m)), e.getMessage());
            assertTrue(e.getMessage().contains("not reentrant"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> m.withLock(v -> v));
            assertThrows(IllegalStateException.class, m::lockInterruptibly);
            assertEquals(0, m.queueLength(), "refused with nothing left queued");
            assertTrue(g.isHeld());
            assertEquals(Optional.empty(), m.tryLock(), "a try fails as for any other thread");
            assertEquals(Optional.empty(), m.tryLock(Duration.ofMillis(20)), "a timed wait ends by itself");
        }
        assertFalse(m.isLocked());
    }

    @Test
    void aNestedWithLockFailsInsteadOfHanging() {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
        Mutex<String> m = new Mutex<>("v");
        assertThrows(IllegalStateException.class, () -> m.withLock(v -> m.withLock(w -> w)));
        assertFalse(m.isLocked(), "the outer scope still released");
    }

    @Test
    void aVirtualThreadLockingAMutexItHoldsFails() throws Exception {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
        Mutex<String> m = new Mutex<>("v");
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (MutexGuard<String> g = m.lock()) {
                m.lock();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        }).join();
        assertTrue(outcome.get() instanceof IllegalStateException, String.valueOf(outcome.get()));
        assertFalse(m.isLocked());
    }

    @Test
    void readingOrWritingAnRwLockWhoseWriteLockTheThreadHoldsFails() {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
        RwLock<String> rw = RwLock.builder().name("rw").build("v");
        try (WriteGuard<String> w = rw.write()) {
            assertThrows(IllegalStateException.class, rw::read);
            assertThrows(IllegalStateException.class, rw::write);
            assertThrows(IllegalStateException.class, rw::upgradableRead);
            assertThrows(IllegalStateException.class, rw::readRecursive);
            assertEquals(0, rw.queueLength());
        }
        assertFalse(rw.isWriteLocked());
    }

    @Test
    void lockingAgainOnceTheReceiverUsedAHandedOverGuardWaitsForIt() throws Exception {
        Deadlocks.setSelfDeadlockPolicy(Deadlocks.SelfDeadlockPolicy.THROW);
        Mutex<String> m = new Mutex<>("v");
        SynchronousQueue<MutexGuard<String>> handOver = new SynchronousQueue<>();
        CountDownLatch used = new CountDownLatch(1);
        CountDownLatch close = new CountDownLatch(1);
        Thread receiver = Thread.ofPlatform().start(() -> {
            try {
                MutexGuard<String> g = handOver.take();
                g.get();
                used.countDown();
                close.await();
                g.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        handOver.put(m.lock());
        used.await();
        Thread me = Thread.currentThread();
        Thread closer = Thread.ofPlatform().start(() -> {
            await().until(() -> LockSupport.getBlocker(me) == m);
            close.countDown();
        });
        m.lock().close(); // waits for the receiver instead of failing
        closer.join();
        receiver.join();
        assertFalse(m.isLocked());
    }

    // ---------------------------------------------------------------- helpers

    private static Handler recordingHandler(String containing, List<LogRecord> into) {
        return new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains(containing)) {
                    into.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    /** Holds {@code first}, waits until the other thread holds its own, then waits for {@code second}. */
    private static void crossOver(Mutex<String> first, Mutex<String> second, CountDownLatch bothHold) {
        try (MutexGuard<String> g = first.lock()) {
            bothHold.countDown();
            bothHold.await();
            second.lockInterruptibly().close();
        } catch (InterruptedException expected) {
            // unblocked at the end of the test
        }
    }

    static void awaitParkedOn(Thread t, Object blocker) {
        await().atMost(Duration.ofSeconds(20)).until(() -> LockSupport.getBlocker(t) == blocker
                && (t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING));
    }

    private static ThreadInfo dumpOf(Thread t) {
        for (ThreadInfo info : THREADS.dumpAllThreads(true, true)) {
            if (info.getThreadId() == t.threadId()) {
                return info;
            }
        }
        throw new AssertionError("no thread info for " + t);
    }

    private static boolean holds(ThreadInfo info, Object lock) {
        assertNotNull(info);
        for (LockInfo l : info.getLockedSynchronizers()) {
            if (l.getIdentityHashCode() == System.identityHashCode(lock) && l.getClassName().equals(lock.getClass().getName())) {
                return true;
            }
        }
        return false;
    }

    static String hash(Object o) {
        return Integer.toHexString(System.identityHashCode(o));
    }

    private static List<Long> sorted(long... ids) {
        return Arrays.stream(ids).sorted().boxed().toList();
    }
}
