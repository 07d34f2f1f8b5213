package dev.turnstile.lock.stress;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The hang of issue #8.2, on a scheduler with as many carriers as the JVM was given
 * ({@code -Djdk.virtualThreadScheduler.parallelism}, no compensation): run by the
 * {@code *Parallelism1Test} and {@code *Parallelism2Test} subclasses in their surefire executions.
 *
 * <p>A virtual thread holds the write lock. Queued behind it: first an asynchronous reader whose
 * executor takes a contended {@code java.util.concurrent} lock (a {@code ThreadPoolExecutor}'s queue,
 * a logger), then more timed virtual-thread readers ({@code tryRead(200 ms)}) than there are carriers.
 * The write release admits the whole batch of readers at once (CLAIMED), then, delivering the first
 * grant, blocks on the executor's lock and unmounts. The timed readers' deadlines pass while they
 * are admitted but not yet told. Before the fix each of them spun on {@code Thread.onSpinWait()}
 * until told, holding its carrier; with every carrier spinning, the releaser could never mount again
 * to tell them: a permanent hang at 100% CPU. Now they park until told.
 *
 * <p>Virtual threads and the Netflix outage in ANCHORS ("a grant to an unmounted virtual thread is
 * only as live as the carrier pool") are the background; here it is the releaser that is unmounted.
 */
abstract class ClaimedTimedReadersScenario {
    private static final Duration BOUND = Duration.ofSeconds(30);
    private static final Duration PHASE = Duration.ofSeconds(10);
    /**
     * The timed readers' wait. It must outlast the setup (starting the readers until every one is
     * queued, then the write release admitting them), or a reader gives up before it is admitted and
     * the scenario never happens: in a fresh JVM on a loaded two-core machine that setup was measured
     * at up to 260 ms, which broke the 200 ms used before about one run in five. The test holds the
     * releaser blocked for this long plus a margin, so it also sets the test's length.
     */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

    /** The carriers of this execution's scheduler, from the flag its surefire execution sets. */
    static int carriers() {
        return Integer.parseInt(System.getProperty("jdk.virtualThreadScheduler.parallelism", "0"));
    }

    void timedReadersAdmittedBehindAnUnmountedReleaserNeverStarveItOfCarriers() {
        int timedReaders = carriers() + 1; // enough to occupy every carrier, and one waiting for a carrier
        RwLock<long[]> rw = RwLock.builder().name("claimed-batch").build(new long[1]);
        ReentrantLock executorQueue = new ReentrantLock();
        Executor contended = task -> {
            executorQueue.lock();
            try {
                task.run();
            } finally {
                executorQueue.unlock();
            }
        };
        AtomicReferenceArray<Optional<ReadGuard<long[]>>> reads = new AtomicReferenceArray<>(timedReaders);
        assertTimeoutPreemptively(BOUND, () -> {
            CountDownLatch writing = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread releaser = Thread.ofVirtual().name("releaser").start(() -> {
                try (WriteGuard<long[]> w = rw.write()) {
                    writing.countDown();
                    awaitQuietly(release);
                    w.get()[0]++;
                }
            });
            writing.await();
            CompletableFuture<ReadGuard<long[]>> firstOfTheBatch = rw.readAsync(contended);
            List<Thread> readers = new ArrayList<>();
            long starting = System.nanoTime();
            for (int i = 0; i < timedReaders; i++) {
                int slot = i;
                readers.add(Thread.ofVirtual().name("timed-reader-" + i)
                        .start(() -> reads.set(slot, rw.tryRead(READ_TIMEOUT))));
            }
            await().atMost(PHASE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> rw.queueLength() == 1 + timedReaders
                            || readers.stream().anyMatch(t -> !t.isAlive()));
            long queued = System.nanoTime(); // every reader's deadline is at most READ_TIMEOUT from here
            assertEquals(1 + timedReaders, rw.queueLength(), "every reader queued within READ_TIMEOUT (the setup"
                    + " took " + Duration.ofNanos(queued - starting).toMillis() + " ms)");

            executorQueue.lock();
            try {
                release.countDown();
                await("the releaser delivers the first grant and blocks in the executor").atMost(PHASE)
                        .pollInterval(Duration.ofMillis(1))
                        .until(() -> executorQueue.hasQueuedThread(releaser) && rw.queueLength() == 0);
                assertEquals(1 + timedReaders, rw.readHolds(), "the release admitted every reader before its deadline"
                        + " (the setup took " + Duration.ofNanos(System.nanoTime() - starting).toMillis() + " ms)");
                // The timed readers' deadlines pass while they are admitted but not told. Give them
                // time to notice (they are unparked at their deadline, with free carriers): before the
                // fix, those that got a carrier then spun on it for good. Waiting on the clock is the
                // scenario itself here; nothing below depends on how the readers wait.
                long noticed = READ_TIMEOUT.plusMillis(300).toNanos();
                await("the admitted readers' deadlines pass").atMost(PHASE).pollInterval(Duration.ofMillis(10))
                        .until(() -> System.nanoTime() - queued >= noticed);
            } finally {
                executorQueue.unlock();
            }
            releaser.join(PHASE.toMillis());
            if (releaser.isAlive()) {
                fail("the releaser never got a carrier back to tell the admitted readers (hang); reader states: "
                        + readers.stream().map(t -> t.getName() + "=" + t.getState()).toList());
            }
            for (Thread reader : readers) {
                reader.join();
            }
            firstOfTheBatch.join().close();
        });
        for (int i = 0; i < timedReaders; i++) {
            assertTrue(reads.get(i).isPresent(), "reader " + i + " was admitted before its deadline");
            reads.get(i).get().close();
        }
        assertEquals(0, rw.readHolds());
        assertEquals(0, rw.queueLength());
        assertFalse(rw.isWriteLocked());
        assertEquals(1L, (long) rw.withRead(v -> v[0]));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError("nobody interrupts this thread", e);
        }
    }
}
