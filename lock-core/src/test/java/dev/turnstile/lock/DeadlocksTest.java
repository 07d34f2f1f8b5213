package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Turnstile's deadlock detector ({@link Deadlocks}) over tracked locks: cycles of 2 and 3 among
 * platform threads, virtual threads and asynchronous tasks, and mixed; readers, a reader queued
 * behind a writer, an upgrade, a condvar waiter re-acquiring its mutex; a guard handed between
 * threads; acquisition sites; the watchdog. Deadlocked threads wait interruptibly (or with a timeout)
 * and deadlocked tasks are cancelled at the end of each test, so nothing hangs.
 */
@Timeout(60)
class DeadlocksTest {
    private final List<Runnable> unblock = new ArrayList<>();
    private final List<Thread> started = new ArrayList<>();

    @AfterEach
    void unblockEverything() throws InterruptedException {
        for (Runnable r : unblock) {
            r.run();
        }
        for (Thread t : started) {
            t.interrupt();
        }
        for (Thread t : started) {
            t.join(10_000);
            assertFalse(t.isAlive(), t + " still blocked");
        }
        Deadlocks.setRecordAcquisitionSites(false);
        Deadlocks.setEnabledByDefault(false);
    }

    // ---------------------------------------------------------------- threads

    @Test
    void twoPlatformThreadsDeadlockedOnTwoMutexes() {
        Mutex<String> a = tracked("a");
        Mutex<String> b = tracked("b");
        CountDownLatch both = new CountDownLatch(2);
        Thread t1 = platform("t1", () -> crossOver(a, b, both));
        Thread t2 = platform("t2", () -> crossOver(b, a, both));

        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(t1, t2), new HashSet<>(d.acquirers()));
        assertEquals(Set.of(a, b), new HashSet<>(d.locks()));
        for (Deadlock.Link l : d.links()) {
            assertEquals("exclusive", l.waitingFor());
            assertEquals("exclusive", l.held());
            assertFalse(l.queuedAhead());
            assertTrue(l.acquiredAt().isEmpty(), "sites are opt-in");
        }
        String report = d.toString();
        assertTrue(report.contains("thread \"t1\"") && report.contains("Mutex[a]@"), report);
    }

    /** Cycles of 2 and 3 locks, each among platform threads and among virtual threads. */
    @ParameterizedTest(name = "{0} threads, {1} locks")
    @CsvSource({"platform, 2", "platform, 3", "virtual, 2", "virtual, 3"})
    void threadsInACycleOfTwoOrThreeLocks(String kind, int n) {
        List<Mutex<String>> locks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            locks.add(tracked(kind + "-" + n + "-" + i));
        }
        CountDownLatch all = new CountDownLatch(n);
        Set<Thread> threads = new HashSet<>();
        for (int i = 0; i < n; i++) {
            Mutex<String> first = locks.get(i);
            Mutex<String> second = locks.get((i + 1) % n);
            Runnable body = () -> crossOver(first, second, all);
            threads.add(kind.equals("virtual") ? virtual(kind + i, body) : platform(kind + i, body));
        }
        Deadlock d = awaitOneDeadlock();
        assertEquals(n, d.links().size());
        assertEquals(threads, new HashSet<>(d.acquirers()));
        assertEquals(new HashSet<>(locks), new HashSet<>(d.locks()));
        assertCycleIsChained(d);
    }

    @Test
    void threeVirtualThreadsInACycle() {
        Mutex<String> a = tracked("va");
        Mutex<String> b = tracked("vb");
        Mutex<String> c = tracked("vc");
        CountDownLatch all = new CountDownLatch(3);
        Thread t1 = virtual("v1", () -> crossOver(a, b, all));
        Thread t2 = virtual("v2", () -> crossOver(b, c, all));
        Thread t3 = virtual("v3", () -> crossOver(c, a, all));

        Deadlock d = awaitOneDeadlock();
        assertEquals(3, d.links().size());
        assertEquals(Set.of(t1, t2, t3), new HashSet<>(d.acquirers()));
        assertTrue(d.toString().contains("virtual thread \"v1\""), d.toString());
        assertCycleIsChained(d);
    }

    @Test
    void twoAsynchronousTasks() {
        Mutex<String> a = tracked("ta");
        Mutex<String> b = tracked("tb");
        LockOwner first = LockOwner.named("first");
        LockOwner second = LockOwner.named("second");
        MutexGuard<String> ga = a.lockAsync(first).join();
        MutexGuard<String> gb = b.lockAsync(second).join();
        CompletableFuture<MutexGuard<String>> firstWaits = b.lockAsync(first);
        CompletableFuture<MutexGuard<String>> secondWaits = a.lockAsync(second);
        unblock.add(() -> {
            firstWaits.cancel(false);
            secondWaits.cancel(false);
            ga.close();
            gb.close();
        });

        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(first, second), new HashSet<>(d.acquirers()));
        assertTrue(d.toString().contains("task \"first\""), d.toString());
    }

    @Test
    void threeAsynchronousTasks() {
        Mutex<String> a = tracked("3a");
        Mutex<String> b = tracked("3b");
        Mutex<String> c = tracked("3c");
        LockOwner[] tasks = {LockOwner.named("x"), LockOwner.named("y"), LockOwner.named("z")};
        List<Mutex<String>> locks = List.of(a, b, c);
        List<CompletableFuture<MutexGuard<String>>> waits = new ArrayList<>();
        List<MutexGuard<String>> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(locks.get(i).lockAsync(tasks[i]).join());
        }
        for (int i = 0; i < 3; i++) {
            waits.add(locks.get((i + 1) % 3).lockAsync(tasks[i]));
        }
        unblock.add(() -> {
            waits.forEach(w -> w.cancel(false));
            held.forEach(MutexGuard::close);
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(3, d.links().size());
        assertCycleIsChained(d);
    }

    @Test
    void aMixedCycleOfAPlatformThreadAVirtualThreadAndATask() throws Exception {
        Mutex<String> a = tracked("ma");
        Mutex<String> b = tracked("mb");
        Mutex<String> c = tracked("mc");
        LockOwner task = LockOwner.named("mixed-task");
        MutexGuard<String> gc = c.lockAsync(task).join();
        CountDownLatch threadsHold = new CountDownLatch(2);
        CountDownLatch go = new CountDownLatch(1);
        Thread p = platform("platform", () -> holdThenWait(a, b, threadsHold, go));
        Thread v = virtual("virtual", () -> holdThenWait(b, c, threadsHold, go));
        threadsHold.await();
        CompletableFuture<MutexGuard<String>> taskWaits = a.lockAsync(task);
        go.countDown();
        unblock.add(() -> {
            taskWaits.cancel(false);
            gc.close();
        });

        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(p, v, task), new HashSet<>(d.acquirers()));
        assertCycleIsChained(d);
    }

    @Test
    void aSelfDeadlockedTaskIsACycleOfOne() {
        Mutex<String> a = tracked("self");
        LockOwner task = LockOwner.named("reentrant-task");
        MutexGuard<String> g = a.lockAsync(task).join();
        CompletableFuture<MutexGuard<String>> again = a.lockAsync(task);
        unblock.add(() -> {
            again.cancel(false);
            g.close();
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(1, d.links().size());
        assertEquals(task, d.links().get(0).waiter());
        assertEquals(task, d.links().get(0).holder());
    }

    // ---------------------------------------------------------------- read locks, upgrades, condvars

    @Test
    void aWriterWaitingForAReaderThatWaitsForTheWriter() {
        RwLock<String> r = RwLock.builder().name("rw").detectDeadlocks().build("v");
        Mutex<String> m = tracked("m");
        CountDownLatch both = new CountDownLatch(2);
        Thread reader = platform("reader", () -> {
            try (ReadGuard<String> g = r.read()) {
                both.countDown();
                both.await();
                m.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Thread writer = platform("writer", () -> {
            try (MutexGuard<String> g = m.lock()) {
                both.countDown();
                both.await();
                r.writeInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(reader, writer), new HashSet<>(d.acquirers()));
        Deadlock.Link writerWaits = linkOf(d, writer);
        assertEquals("write", writerWaits.waitingFor());
        assertEquals("read", writerWaits.held());
    }

    @Test
    void aReaderQueuedBehindAWriterThatWaitsForItsOwnReadIsFound() throws Exception {
        // parking_lot's and Tokio's most reported RwLock deadlock: a recursive read behind a queued writer.
        RwLock<String> r = RwLock.builder().name("recursive").detectDeadlocks().build("v");
        CountDownLatch readHeld = new CountDownLatch(1);
        CountDownLatch writerQueued = new CountDownLatch(1);
        Thread reader = platform("re-reader", () -> {
            try (ReadGuard<String> first = r.read()) {
                readHeld.countDown();
                writerQueued.await();
                r.readInterruptibly().close(); // behind the queued writer, which waits for `first`
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        readHeld.await();
        Thread writer = platform("queued-writer", () -> {
            try {
                r.writeInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        await().until(() -> r.queueLength() == 1);
        writerQueued.countDown();

        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(reader, writer), new HashSet<>(d.acquirers()));
        Deadlock.Link readerWaits = linkOf(d, reader);
        assertTrue(readerWaits.queuedAhead(), "the reader waits behind the writer, not for a hold");
        assertEquals("write", readerWaits.held());
        assertTrue(d.toString().contains("queued ahead of it"), d.toString());
    }

    @Test
    void anUpgradeWaitingForAReaderThatWaitsForTheUpgrader() {
        RwLock<String> r = RwLock.builder().name("upgradable").detectDeadlocks().build("v");
        Mutex<String> m = tracked("um");
        CountDownLatch upgradableHeld = new CountDownLatch(1);
        CountDownLatch readHeld = new CountDownLatch(1);
        Thread upgrader = platform("upgrader", () -> {
            try (MutexGuard<String> g = m.lock(); UpgradableGuard<String> u = r.upgradableRead()) {
                upgradableHeld.countDown();
                readHeld.await();
                u.tryUpgrade(Duration.ofSeconds(30)).ifPresent(WriteGuard::close); // waits for the reader
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Thread reader = platform("plain-reader", () -> {
            try {
                upgradableHeld.await();
                try (ReadGuard<String> g = r.read()) {
                    readHeld.countDown();
                    await().until(() -> r.queueLength() == 1); // the upgrade waits for this read
                    m.lockInterruptibly().close();             // held by the upgrader
                }
            } catch (InterruptedException expected) {
                // unblocked: the read is released, so the upgrade goes through
            }
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(upgrader, reader), new HashSet<>(d.acquirers()));
        assertEquals("upgrade", linkOf(d, upgrader).waitingFor());
        assertEquals("read", linkOf(d, upgrader).held());
    }

    @Test
    void aCondvarWaiterWaitingToReacquireItsMutex() throws Exception {
        Mutex<String> m = tracked("cm");
        Mutex<String> other = tracked("co");
        Condvar cv = new Condvar();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread waiter = platform("cv-waiter", () -> {
            try (MutexGuard<String> o = other.lock(); MutexGuard<String> g = m.lock()) {
                waiting.countDown();
                cv.awaitUninterruptibly(g); // notified, it waits to re-acquire m, held by the notifier
            }
        });
        waiting.await();
        await().until(() -> cv.waiterCount() == 1);
        Thread notifier = platform("notifier", () -> {
            try (MutexGuard<String> g = m.lock()) {
                cv.notifyOne();
                other.lockInterruptibly().close(); // held by the waiter
            } catch (InterruptedException expected) {
                // unblocked: m is released, the waiter re-acquires it and finishes
            }
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(waiter, notifier), new HashSet<>(d.acquirers()));
        assertEquals(m, linkOf(d, waiter).lock());
    }

    // ---------------------------------------------------------------- guards handed between threads

    @Test
    void aGuardHandedToAnotherThreadIsThatThreadsHold() throws Exception {
        Mutex<String> a = tracked("ha");
        Mutex<String> b = tracked("hb");
        SynchronousQueue<MutexGuard<String>> handOver = new SynchronousQueue<>();
        CountDownLatch received = new CountDownLatch(1);
        CountDownLatch bHeld = new CountDownLatch(1);
        Thread receiver = platform("receiver", () -> {
            try {
                MutexGuard<String> g = handOver.take();
                g.get(); // it is the receiver's from here
                received.countDown();
                bHeld.await();
                try {
                    b.lockInterruptibly().close();
                } finally {
                    g.close();
                }
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Thread giver = platform("giver", () -> {
            try {
                handOver.put(a.lock());
                received.await();
                b.lockInterruptibly().close(); // waits for b like the receiver, but holds nothing
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        received.await();
        Thread bHolder = platform("b-holder", () -> {
            try (MutexGuard<String> g = b.lock()) {
                bHeld.countDown();
                a.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        Deadlock d = awaitOneDeadlock();
        assertEquals(Set.of(receiver, bHolder), new HashSet<>(d.acquirers()), "the giver gave a away: " + d);
        assertFalse(d.acquirers().contains(giver));
    }

    // ---------------------------------------------------------------- reports

    @Test
    void acquisitionSitesAreReportedWhenRecorded() {
        Deadlocks.setRecordAcquisitionSites(true);
        Mutex<String> a = tracked("sa");
        Mutex<String> b = tracked("sb");
        CountDownLatch both = new CountDownLatch(2);
        platform("s1", () -> crossOver(a, b, both));
        platform("s2", () -> crossOver(b, a, both));
        Deadlock d = awaitOneDeadlock();
        for (Deadlock.Link l : d.links()) {
            assertFalse(l.acquiredAt().isEmpty());
            assertEquals(DeadlocksTest.class.getName(), l.acquiredAt().get(0).getClassName(),
                    "the first frame is the caller's, not Turnstile's: " + l.acquiredAt());
            assertEquals("crossOver", l.acquiredAt().get(0).getMethodName());
        }
        assertTrue(d.toString().contains("acquired at"), d.toString());
    }

    @Test
    void contentionWithoutACycleIsNoDeadlock() throws Exception {
        Mutex<String> a = tracked("na");
        MutexGuard<String> held = a.lock();
        platform("waits-a-while", () -> {
            try {
                a.lockInterruptibly().close();
            } catch (InterruptedException expected) {
                // unblocked
            }
        });
        LockOwner task = LockOwner.named("waits-too");
        CompletableFuture<MutexGuard<String>> f = a.lockAsync(task);
        unblock.add(() -> {
            f.cancel(false);
            held.close();
        });
        await().until(() -> a.queueLength() == 2);
        assertEquals(List.of(), Deadlocks.detect());
    }

    @Test
    void theWatchdogReportsEachDeadlockOnce() throws Exception {
        List<Deadlock> reports = new CopyOnWriteArrayList<>();
        try (Deadlocks.Watchdog w = Deadlocks.watch(Duration.ofMillis(10), reports::add)) {
            Mutex<String> a = tracked("wa");
            Mutex<String> b = tracked("wb");
            CountDownLatch both = new CountDownLatch(2);
            platform("w1", () -> crossOver(a, b, both));
            platform("w2", () -> crossOver(b, a, both));
            await().atMost(Duration.ofSeconds(20)).until(() -> reports.size() == 1);

            // A second deadlock is reported once as well, and the first one never again meanwhile.
            Mutex<String> c = tracked("wc");
            LockOwner task = LockOwner.named("watched");
            MutexGuard<String> g = c.lockAsync(task).join();
            CompletableFuture<MutexGuard<String>> again = c.lockAsync(task);
            unblock.add(() -> {
                again.cancel(false);
                g.close();
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> reports.size() == 2);
            assertEquals(Set.of(task), new HashSet<>(reports.get(1).acquirers()));
            assertTrue(w.isRunning());
        }
    }

    @Test
    void detectionCanBeOnForEveryLockCreated() {
        Deadlocks.setEnabledByDefault(true);
        Mutex<String> a = new Mutex<>("a");
        RwLock<String> r = new RwLock<>("r");
        Deadlocks.setEnabledByDefault(false);
        Mutex<String> untracked = new Mutex<>("u");
        assertNotNull(a.tracking());
        assertNotNull(r.tracking());
        assertEquals(null, untracked.tracking());
        assertTrue(Mutex.builder().detectDeadlocks().build("x").tracking() != null);
    }

    // ---------------------------------------------------------------- helpers

    private static Mutex<String> tracked(String name) {
        return Mutex.builder().name(name).detectDeadlocks().build(name);
    }

    private Thread platform(String name, Runnable body) {
        Thread t = Thread.ofPlatform().name(name).daemon().start(body);
        started.add(t);
        return t;
    }

    private Thread virtual(String name, Runnable body) {
        Thread t = Thread.ofVirtual().name(name).start(body);
        started.add(t);
        return t;
    }

    /** Holds {@code first}, waits until the others hold theirs, then waits (interruptibly) for {@code second}. */
    private static void crossOver(Mutex<String> first, Mutex<String> second, CountDownLatch all) {
        try (MutexGuard<String> g = first.lock()) {
            all.countDown();
            all.await();
            second.lockInterruptibly().close();
        } catch (InterruptedException expected) {
            // unblocked at the end of the test
        }
    }

    private static void holdThenWait(Mutex<String> first, Mutex<String> second, CountDownLatch holding,
                                     CountDownLatch go) {
        try (MutexGuard<String> g = first.lock()) {
            holding.countDown();
            go.await();
            second.lockInterruptibly().close();
        } catch (InterruptedException expected) {
            // unblocked at the end of the test
        }
    }

    private static Deadlock awaitOneDeadlock() {
        List<Deadlock> found = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(20))
                .until(Deadlocks::detect, Predicate.not(List::isEmpty));
        assertEquals(1, found.size(), "one deadlock: " + found);
        return found.get(0);
    }

    private static Deadlock.Link linkOf(Deadlock d, Object waiter) {
        return d.links().stream().filter(l -> l.waiter() == waiter).findFirst()
                .orElseThrow(() -> new AssertionError(waiter + " does not wait in " + d));
    }

    /** Each link's holder is the next link's waiter, the last one's the first's. */
    private static void assertCycleIsChained(Deadlock d) {
        List<Deadlock.Link> links = d.links();
        for (int i = 0; i < links.size(); i++) {
            assertEquals(links.get(i).holder(), links.get((i + 1) % links.size()).waiter(), d.toString());
        }
    }
}
