package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Turnstile's JFR events, recorded with {@link Recording} around real contended runs and read back with
 * {@link RecordingFile}: the fields of {@code dev.turnstile.ContendedAcquisition} for each kind of
 * waiter and each way a wait ends, and {@code dev.turnstile.LongHold} past its threshold only.
 */
class JfrEventsTest {
    private static final String CONTENDED = "dev.turnstile.ContendedAcquisition";
    private static final String LONG_HOLD = "dev.turnstile.LongHold";
    private static final Duration LIMIT = Duration.ofSeconds(10);
    /** Run by the blocking-call check of the one thread it names, just before that thread would spin. */
    private static final AtomicReference<Thread> BEFORE_WAIT_THREAD = new AtomicReference<>();
    private static final AtomicReference<Runnable> BEFORE_WAIT_ACTION = new AtomicReference<>();

    @BeforeAll
    static void installBeforeWaitHook() {
        // A detector that never reports a non-blocking thread, but lets a test act at the exact moment a
        // thread has found the lock taken and is about to wait: the one place to free the lock so that
        // the waiter wins it before it queues, deterministically.
        BlockingCalls.register(() -> {
            if (BEFORE_WAIT_THREAD.get() == Thread.currentThread()) {
                Runnable action = BEFORE_WAIT_ACTION.getAndSet(null);
                if (action != null) {
                    action.run();
                }
            }
            return null;
        });
    }

    @Test
    void contendedAcquisitionsCarryTheLockTheWaiterAndTheOutcome() throws Exception {
        List<RecordedEvent> events = record(r -> r.enable(CONTENDED).withThreshold(Duration.ZERO), () -> {
            waitBehindHolder(Mutex.builder().name("jfr-platform").fairness(Fairness.FIFO).build("v"),
                    Thread.ofPlatform().name("jfr-platform-waiter"));
            waitBehindHolder(Mutex.builder().name("jfr-virtual").fairness(Fairness.FIFO).build("v"),
                    Thread.ofVirtual().name("jfr-virtual-waiter"));
            waitBehindHolder(Mutex.builder().name("jfr-woken").fairness(Fairness.BARGING).build("v"),
                    Thread.ofPlatform().name("jfr-woken-waiter"));

            Mutex<String> async = Mutex.builder().name("jfr-async").build("v");
            MutexGuard<String> held = async.lock();
            CompletableFuture<MutexGuard<String>> waiting = async.lockAsync();
            await().atMost(LIMIT).until(() -> async.queueLength() == 1);
            held.close();
            waiting.join().close();

            Mutex<String> cancelled = Mutex.builder().name("jfr-cancelled").build("v");
            held = cancelled.lock();
            assertTrue(cancelled.lockAsync().cancel(false));
            held.close();

            Mutex<String> barged = Mutex.builder().name("jfr-barged").build("v");
            MutexGuard<String> toFree = barged.lock();
            Thread barger = Thread.ofPlatform().name("jfr-barger").unstarted(() -> barged.lock().close());
            BEFORE_WAIT_THREAD.set(barger);
            BEFORE_WAIT_ACTION.set(toFree::close); // freed after the first attempt failed, before any queuing
            barger.start();
            join(barger);

            Mutex<String> timed = Mutex.builder().name("jfr-timed-out").build("v");
            held = timed.lock();
            Thread timesOut = Thread.ofPlatform().start(() -> assertTrue(timed.tryLock(Duration.ofMillis(5)).isEmpty()));
            join(timesOut);
            held.close();

            Mutex<String> interruptible = Mutex.builder().name("jfr-interrupted").build("v");
            held = interruptible.lock();
            Thread interrupted = Thread.ofPlatform().start(() -> {
                try {
                    interruptible.lockInterruptibly().close();
                    throw new AssertionError("acquired");
                } catch (InterruptedException expected) {
                    // the outcome under test
                }
            });
            await().atMost(LIMIT).until(() -> interruptible.queueLength() == 1);
            interrupted.interrupt();
            join(interrupted);
            held.close();

            RwLock<String> rw = RwLock.builder().name("jfr-rwlock").build("v");
            ReadGuard<String> reading = rw.read();
            Thread writer = Thread.ofPlatform().start(() -> rw.write().close());
            await().atMost(LIMIT).until(() -> rw.queueLength() == 1);
            reading.close();
            join(writer);
        });

        RecordedEvent platform = only(events, CONTENDED, "jfr-platform");
        assertEquals("dev.turnstile.lock.Mutex", platform.getClass("lockClass").getName());
        assertEquals("exclusive", platform.getString("mode"));
        assertEquals("platform thread", platform.getString("waiterKind"));
        assertEquals("handed off", platform.getString("outcome"));
        assertEquals("jfr-platform-waiter", platform.getThread().getJavaName());
        assertTrue(platform.getDuration().compareTo(Duration.ZERO) > 0, "the wait has a duration");
        assertNotNull(platform.getStackTrace(), "the waiter's stack");
        assertFalse(platform.getString("lockIdentity").isEmpty());

        RecordedEvent virtual = only(events, CONTENDED, "jfr-virtual");
        assertEquals("virtual thread", virtual.getString("waiterKind"));
        assertEquals("handed off", virtual.getString("outcome"));
        assertTrue(virtual.getThread().isVirtual());
        assertTrue(virtual.getDuration().compareTo(Duration.ZERO) > 0);

        RecordedEvent woken = only(events, CONTENDED, "jfr-woken");
        assertEquals("won after wake-up", woken.getString("outcome"));

        RecordedEvent async = only(events, CONTENDED, "jfr-async");
        assertEquals("async", async.getString("waiterKind"));
        assertEquals("handed off", async.getString("outcome"));
        assertTrue(async.getDuration().compareTo(Duration.ZERO) > 0);

        RecordedEvent cancelled = only(events, CONTENDED, "jfr-cancelled");
        assertEquals("async", cancelled.getString("waiterKind"));
        assertEquals("cancelled", cancelled.getString("outcome"));

        RecordedEvent barged = only(events, CONTENDED, "jfr-barged");
        assertEquals("won before queuing", barged.getString("outcome"));
        assertEquals("jfr-barger", barged.getThread().getJavaName());

        assertEquals("timed out", only(events, CONTENDED, "jfr-timed-out").getString("outcome"));
        assertEquals("interrupted", only(events, CONTENDED, "jfr-interrupted").getString("outcome"));

        RecordedEvent write = only(events, CONTENDED, "jfr-rwlock");
        assertEquals("dev.turnstile.lock.RwLock", write.getClass("lockClass").getName());
        assertEquals("write", write.getString("mode"));
    }

    @Test
    void longHoldsPastTheThresholdOnlyAreReported() throws Exception {
        Duration threshold = Duration.ofMillis(15);
        List<RecordedEvent> events = record(r -> r.enable(LONG_HOLD).withThreshold(threshold), () -> {
            // Statistics on: every hold is timed.
            // Statistics on: every hold is timed, each with the lock's one reused event object.
            Mutex<String> stats = Mutex.builder().name("hold-stats").statistics(true).build("v");
            holdFor(stats, 30);
            holdFor(stats, 0);
            holdFor(stats, 45);

            // Never contended: not profiled, so its long hold is not timed (nobody waited for it).
            Mutex<String> quiet = Mutex.builder().name("hold-quiet").build("v");
            holdFor(quiet, 30);

            // Contended once while the event is enabled: its holds are timed from then on.
            Mutex<String> contended = Mutex.builder().name("hold-contended").build("v");
            MutexGuard<String> held = contended.lock();
            CompletableFuture<MutexGuard<String>> waiting = contended.lockAsync();
            held.close();
            waiting.join().close();
            holdFor(contended, 30);
            holdFor(contended, 0);

            RwLock<String> rw = RwLock.builder().name("hold-rwlock").statistics(true).build("v");
            try (WriteGuard<String> w = rw.write()) {
                sleep(30);
            }
            try (ReadGuard<String> r = rw.read()) {
                sleep(30); // a read hold: not timed
            }
        });

        List<RecordedEvent> stats = named(events, LONG_HOLD, "hold-stats");
        assertEquals(2, stats.size(), "the two long holds: " + stats);
        RecordedEvent first = stats.get(0).getStartTime().isBefore(stats.get(1).getStartTime()) ? stats.get(0) : stats.get(1);
        RecordedEvent second = first == stats.get(0) ? stats.get(1) : stats.get(0);
        assertTrue(first.getDuration().compareTo(Duration.ofMillis(30)) >= 0, "first " + first.getDuration());
        assertTrue(first.getDuration().compareTo(Duration.ofMillis(45)) < 0, "first " + first.getDuration());
        assertTrue(second.getDuration().compareTo(Duration.ofMillis(45)) >= 0, "second " + second.getDuration());
        assertTrue(!second.getStartTime().isBefore(first.getEndTime()), "the second hold began after the first ended");
        assertEquals("dev.turnstile.lock.Mutex", first.getClass("lockClass").getName());
        assertEquals(0, named(events, LONG_HOLD, "hold-quiet").size());
        assertTrue(only(events, LONG_HOLD, "hold-contended").getDuration().compareTo(Duration.ofMillis(30)) >= 0);
        RecordedEvent write = only(events, LONG_HOLD, "hold-rwlock");
        assertEquals("dev.turnstile.lock.RwLock", write.getClass("lockClass").getName());
    }

    /**
     * Recordings that enable the long-hold event start and stop while threads contend: locks become
     * profiled (a waiter sets the bit outside the queue guard) and unprofiled (an uncontended release
     * clears it) under load. No update may be lost and nobody may hang.
     */
    @Test
    void profilingSwitchedOnAndOffUnderContentionLosesNoUpdate() throws Exception {
        Mutex<long[]> m = Mutex.builder().name("jfr-toggled").build(new long[1]);
        int workers = 4;
        int each = 50_000;
        CountDownLatch done = new CountDownLatch(workers);
        for (int i = 0; i < workers; i++) {
            Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
            b.start(() -> {
                try {
                    for (int k = 0; k < each; k++) {
                        try (MutexGuard<long[]> g = m.lock()) {
                            g.get()[0]++;
                        }
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        int recordings = 0;
        while (done.getCount() > 0 || recordings < 3) {
            try (Recording r = new Recording()) {
                r.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                r.enable(CONTENDED).withThreshold(Duration.ZERO);
                r.start();
                sleep(20);
            }
            recordings++;
            sleep(5);
        }
        assertTrue(done.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "workers finished");
        assertEquals((long) workers * each, (long) m.withLock(c -> c[0]));
        assertFalse(m.isLocked());
    }

    @Test
    void theEventsDescribeThemselvesForMissionControl() {
        Mutex<String> m = Mutex.builder().name("jfr-metadata").build("v");
        try (Recording r = new Recording()) {
            r.enable(CONTENDED);
            r.start();
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> waiting = m.lockAsync();
            held.close();
            waiting.join().close();
        }
        EventType type = FlightRecorder.getFlightRecorder().getEventTypes().stream()
                .filter(t -> t.getName().equals(CONTENDED)).findFirst().orElseThrow();
        assertEquals("Contended Lock Acquisition", type.getLabel());
        assertEquals(List.of("Turnstile", "Locks"), type.getCategoryNames());
        assertNotNull(type.getDescription());
        assertNotNull(type.getField("outcome").getDescription());
        assertEquals("Waiter Kind", type.getField("waiterKind").getLabel());
    }

    // ---------------------------------------------------------------- helpers

    /** Holds {@code m} while a thread of {@code waiter} queues behind it, then lets it in. */
    private static void waitBehindHolder(Mutex<String> m, Thread.Builder waiter) throws InterruptedException {
        MutexGuard<String> held = m.lock();
        Thread t = waiter.start(() -> m.lock().close());
        await().atMost(LIMIT).until(() -> m.queueLength() == 1);
        held.close();
        join(t);
    }

    private static void holdFor(Mutex<String> m, long millis) {
        try (MutexGuard<String> g = m.lock()) {
            sleep(millis); // the hold being measured
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static void join(Thread t) throws InterruptedException {
        t.join(LIMIT.toMillis());
        assertFalse(t.isAlive(), t + " finished");
    }

    interface Scenario {
        void run() throws Exception;
    }

    private static List<RecordedEvent> record(Consumer<Recording> settings, Scenario scenario) throws Exception {
        Path file = Files.createTempFile("turnstile-jfr", ".jfr");
        try (Recording r = new Recording()) {
            settings.accept(r);
            r.start();
            scenario.run();
            r.stop();
            r.dump(file);
            return RecordingFile.readAllEvents(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static List<RecordedEvent> named(List<RecordedEvent> events, String type, String lockName) {
        return events.stream()
                .filter(e -> e.getEventType().getName().equals(type))
                .filter(e -> lockName.equals(e.getString("lockName")))
                .toList();
    }

    private static RecordedEvent only(List<RecordedEvent> events, String type, String lockName) {
        List<RecordedEvent> found = named(events, type, lockName);
        assertEquals(1, found.size(), type + " events of " + lockName + ": " + found);
        return found.get(0);
    }
}
