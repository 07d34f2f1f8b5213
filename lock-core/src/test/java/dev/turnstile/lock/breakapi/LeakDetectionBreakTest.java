package dev.turnstile.lock.breakapi;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LeakDetection;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The leak detector attacked: where a contended asynchronous acquisition is reported as acquired,
 * guards closed or consumed from many threads at once never reported, the side table retaining
 * nothing, and each leak reported exactly once.
 */
@Timeout(90)
class LeakDetectionBreakTest {
    private final List<LeakDetection.Leak> reports = new CopyOnWriteArrayList<>();
    private final LeakDetection.Listener listener = reports::add;

    @BeforeEach
    void listen() {
        LeakDetection.addListener(listener);
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        LeakDetection.setRecordStacks(true);
    }

    @AfterEach
    void restoreDefaults() {
        LeakDetection.removeListener(listener);
        LeakDetection.setLevel(LeakDetection.Level.OFF);
        LeakDetection.setRecordStacks(true);
        LeakDetection.setSamplingInterval(128);
    }

    private LeakDetection.Leak awaitLeakOf(Object lock) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
            System.gc();
            return reports.stream().anyMatch(l -> l.lock() == lock);
        });
        return reports.stream().filter(l -> l.lock() == lock).findFirst().orElseThrow();
    }

    /** Queues a lockAsync behind a held guard, drops the future, and releases on another thread. */
    private static void dropAContendedLockAsyncFuture(Mutex<String> mutex) throws Exception {
        MutexGuard<String> held = mutex.lock();
        mutex.lockAsync(); // dropped: granted later, on the releasing thread
        Thread releaser = Thread.ofPlatform().name("some-releaser").start(held::close);
        releaser.join();
    }

    @Test
    void aDroppedContendedLockAsyncNamesWhereLockAsyncWasCalledNotWhereTheMutexWasReleased() throws Exception {
        Mutex<String> mutex = Mutex.builder().name("contended").build("v");
        dropAContendedLockAsyncFuture(mutex);
        LeakDetection.Leak leak = awaitLeakOf(mutex);
        String stack = Arrays.toString(leak.acquiredAt().getStackTrace());
        assertTrue(stack.contains("dropAContendedLockAsyncFuture"),
                "the report must name the lockAsync() call site, not the release that granted it: " + stack);
    }

    @Test
    void anUnsampledAsyncAcquisitionIsNotTrackedAndAStacklessOneIsReportedWithoutAStack() throws Exception {
        LeakDetection.setLevel(LeakDetection.Level.SAMPLED);
        LeakDetection.setSamplingInterval(Integer.MAX_VALUE); // practically never sampled
        Mutex<String> unsampled = new Mutex<>("u");
        dropAContendedLockAsyncFuture(unsampled);
        assertEquals(0, trackedCount(), "decided when asked for: not sampled, so its guard is not tracked");
        LeakDetection.setLevel(LeakDetection.Level.ALL);
        LeakDetection.setRecordStacks(false);
        Mutex<String> stackless = new Mutex<>("s");
        dropAContendedLockAsyncFuture(stackless);
        assertNull(awaitLeakOf(stackless).acquiredAt());
    }

    private static void dropAContendedAwaitAsync(Mutex<String> mutex, Condvar cv) {
        cv.awaitAsync(mutex.lock()); // dropped: the new guard is made on the notifier's thread
    }

    @Test
    void aDroppedAwaitAsyncNamesTheAwaitAsyncCallSite() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        dropAContendedAwaitAsync(mutex, cv);
        Thread.ofPlatform().name("some-notifier").start(cv::notifyOne).join();
        LeakDetection.Leak leak = awaitLeakOf(mutex);
        String stack = Arrays.toString(leak.acquiredAt().getStackTrace());
        assertTrue(stack.contains("dropAContendedAwaitAsync"), stack);
    }

    private static void dropAPendingUpgrade(RwLock<String> lock, CountDownLatch readerIn, CountDownLatch readerOut) {
        UpgradableGuard<String> u = lock.upgradableRead();
        u.upgradeAsync(); // waits for the plain reader; dropped
    }

    @Test
    void aDroppedAsyncUpgradeNamesTheUpgradeCallSiteAndNotTheUpgradableGuard() throws Exception {
        RwLock<String> lock = new RwLock<>("v");
        var reader = lock.read();
        dropAPendingUpgrade(lock, null, null);
        Thread.ofPlatform().start(reader::close).join();
        LeakDetection.Leak leak = awaitLeakOf(lock);
        assertEquals("WriteGuard", leak.guardType(), "the upgradable guard handed its hold over: not a leak");
        String stack = Arrays.toString(leak.acquiredAt().getStackTrace());
        assertTrue(stack.contains("dropAPendingUpgrade"), stack);
    }

    @Test
    void guardsClosedAndConsumedOnManyThreadsAreNeverReportedAndTheTableEmpties() throws Exception {
        Mutex<int[]> mutex = new Mutex<>(new int[1]);
        RwLock<int[]> rw = new RwLock<>(new int[1]);
        Condvar cv = new Condvar();
        int threads = 8;
        CountDownLatch done = new CountDownLatch(threads);
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int me = i;
            Runnable body = () -> {
                try {
                    for (int r = 0; r < 3_000; r++) {
                        switch ((r + me) % 5) {
                            case 0 -> mutex.lock().close();
                            case 1 -> mutex.lockAsync().get(10, TimeUnit.SECONDS).close();
                            case 2 -> {
                                UpgradableGuard<int[]> u = rw.upgradableRead();
                                try (u) {
                                    try (WriteGuard<int[]> w = u.upgrade()) {
                                        w.get()[0]++;
                                    }
                                }
                            }
                            case 3 -> {
                                try (var w = rw.write()) {
                                    w.downgrade().close();
                                }
                            }
                            default -> {
                                MutexGuard<int[]> g = mutex.lock();
                                CompletableFuture<Condvar.Wakeup<int[]>> f = cv.awaitAsync(g, Duration.ZERO);
                                g.close(); // consumed: does nothing
                                f.get(10, TimeUnit.SECONDS).guard().close();
                            }
                        }
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    done.countDown();
                }
            };
            ts.add(me % 2 == 0 ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        for (Thread t : ts) {
            t.join();
        }
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(List.of(), reports, "a guard closed or consumed was reported");
        assertEquals(0, trackedCount(), "the side table keeps no record of a released guard");
    }

    @Test
    void theSideTableDoesNotKeepAReleasedGuardAlive() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        WeakReference<MutexGuard<String>> ref = closedGuard(mutex);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            System.gc();
            return ref.get() == null;
        });
        assertEquals(0, trackedCount());
        assertTrue(reports.isEmpty());
    }

    private static WeakReference<MutexGuard<String>> closedGuard(Mutex<String> mutex) {
        MutexGuard<String> g = mutex.lock();
        g.close();
        return new WeakReference<>(g);
    }

    @Test
    void aLeakIsReportedOnceAndTheTableForgetsIt() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        leak(mutex);
        awaitLeakOf(mutex);
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(1, reports.stream().filter(l -> l.lock() == mutex).count());
        assertEquals(0, trackedCount());
        assertNull(mutex.tryLock().orElse(null), "a leaked guard's lock stays held");
    }

    private static void leak(Mutex<String> mutex) {
        mutex.lock();
    }

    private static int trackedCount() throws Exception {
        Class<?> tracker = Class.forName("dev.turnstile.lock.LeakTracker");
        var f = tracker.getDeclaredField("TRACKED");
        f.setAccessible(true);
        return ((java.util.Map<?, ?>) f.get(null)).size();
    }
}
