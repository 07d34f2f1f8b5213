package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.Test;

/**
 * One regression test per defect that the adversarial review of issue #8 found (numbered as in the
 * issue, "issue #8.N"). Each failed on the code before the fixes (c3beb31) and passes since. Only the
 * public API is used, so the tests keep their meaning whatever the parking core looks like inside.
 * Defect 2's hang on a one- or two-carrier scheduler, defect 10 (a fresh JVM) and the
 * {@code Deadlines} bookkeeping of defect 6 have tests of their own (tests module,
 * {@link DeadlinesCancelledOnCompletionTest}).
 */
class Issue8RegressionTest {
    private static final Duration BOUND = Duration.ofSeconds(10);

    /** Stands for an executor that is shutting down: it throws something other than RejectedExecutionException. */
    private static final Executor BROKEN = task -> {
        throw new IllegalStateException("executor is shutting down");
    };
    private static final Executor REJECTING = task -> {
        throw new RejectedExecutionException("queue full");
    };

    /** Polls often: some conditions below must be seen before a short deadline passes. */
    private static ConditionFactory eventually() {
        return await().atMost(BOUND).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
    }

    private static ConditionFactory eventually(String what) {
        return await(what).atMost(BOUND).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1));
    }

    // ------------------------------------------------------------------ 1

    /**
     * issue #8.1: cancelling (or timing out) a {@code with…Async} future while its body runs released
     * the lock under the body and cancelled the body's stage, so the next holder overlapped a body that
     * still used the value. Peer bug: kotlinx.coroutines' {@code Mutex.withLock} cancellation
     * regression (ANCHORS). The hold must last until the body's stage completes, whatever happens to
     * the caller's future, and the body's stage is not the caller's to cancel.
     */
    @Test
    void withAsyncBodiesKeepTheirHoldUntilTheirStageCompletesWhenTheCallerCancelsOrTimesOut() {
        Mutex<StringBuilder> mutex = new Mutex<>(new StringBuilder());
        CompletableFuture<Integer> mutexBody = new CompletableFuture<>();
        AtomicReference<MutexGuard<StringBuilder>> inMutexBody = new AtomicReference<>();
        CompletableFuture<Integer> mutexResult = mutex.withLockAsync(g -> {
            inMutexBody.set(g);
            return mutexBody;
        });
        assertTrue(mutexResult.cancel(false));
        assertTrue(mutexResult.isCancelled(), "the caller's future completes at once");
        assertTrue(mutex.tryLock().isEmpty(), "nobody may take the mutex while the body runs");
        CompletableFuture<MutexGuard<StringBuilder>> nextHolder = mutex.lockAsync();
        assertFalse(nextHolder.isDone());
        assertFalse(mutexBody.isDone(), "the body's stage is not cancelled");
        inMutexBody.get().get().append("the body still owns the value");
        mutexBody.complete(1);
        try (MutexGuard<StringBuilder> next = nextHolder.join()) {
            assertEquals("the body still owns the value", next.get().toString());
        }
        assertFalse(mutex.isLocked());

        RwLock<StringBuilder> rw = new RwLock<>(new StringBuilder());
        CompletableFuture<Integer> writeBody = new CompletableFuture<>();
        CompletableFuture<Integer> writeResult = rw.<Integer>withWriteAsync(w -> writeBody).orTimeout(1, TimeUnit.MILLISECONDS);
        eventually().until(writeResult::isDone);
        assertTrue(rw.isWriteLocked(), "a timed-out caller does not end a running write body");
        assertTrue(rw.tryRead().isEmpty());
        writeBody.complete(1);
        assertFalse(rw.isWriteLocked());

        CompletableFuture<Integer> readBody = new CompletableFuture<>();
        CompletableFuture<Integer> readResult = rw.withReadAsync(r -> readBody);
        assertTrue(readResult.cancel(false));
        assertEquals(1, rw.readHolds(), "a cancelled caller does not end a running read body");
        assertTrue(rw.tryWrite().isEmpty());
        readBody.complete(1);
        assertEquals(0, rw.readHolds());
        rw.tryWrite().orElseThrow().close();
    }

    // ------------------------------------------------------------------ 2

    /**
     * The timed reader's wait in the test below: long enough that it is still queued when the release
     * admits it on a loaded two-core machine (200 ms was not: the reader sometimes gave up first).
     */
    private static final Duration CLAIMED_READ_TIMEOUT = Duration.ofSeconds(2);

    /**
     * issue #8.2: a timed waiter whose deadline passed after a release had admitted it (CLAIMED) but
     * before that release told it so spun on {@code Thread.onSpinWait()} until told. When the releaser
     * is a virtual thread that unmounted in between (here: it delivers the batch's first grant to an
     * executor whose queue lock is contended, like a {@code ThreadPoolExecutor} or a logger), the
     * spinner can hold the very carrier the releaser needs: a permanent hang at 100% CPU on a one-carrier
     * scheduler (tests module, {@code ClaimedTimedReaders*Test}). Here, on platform threads, the spin
     * itself is visible: past its deadline the admitted reader must park, not stay RUNNABLE.
     */
    @Test
    void aTimedReaderAdmittedButNotYetToldParksPastItsDeadlineInsteadOfSpinning() throws Exception {
        RwLock<String> rw = RwLock.builder().name("claimed").build("v");
        WriteGuard<String> writer = rw.write();
        ReentrantLock executorQueue = new ReentrantLock();
        Executor contended = task -> {
            executorQueue.lock();
            try {
                task.run();
            } finally {
                executorQueue.unlock();
            }
        };
        CompletableFuture<ReadGuard<String>> firstOfTheBatch = rw.readAsync(contended);
        AtomicReference<Optional<ReadGuard<String>>> timedRead = new AtomicReference<>();
        AtomicLong readStarted = new AtomicLong();
        Thread timedReader = Thread.ofPlatform().name("timed-reader").start(() -> {
            readStarted.set(System.nanoTime()); // its deadline is a little after this plus the timeout
            timedRead.set(rw.tryRead(CLAIMED_READ_TIMEOUT));
        });
        eventually().until(() -> rw.queueLength() == 2 || !timedReader.isAlive());
        assertEquals(2, rw.queueLength(), "the timed reader queued before its deadline");

        Thread releaser;
        executorQueue.lock();
        try {
            releaser = Thread.ofPlatform().name("releaser").start(writer::close);
            // The release admitted both readers and is stuck delivering the first one's grant.
            eventually().until(() -> executorQueue.hasQueuedThread(releaser) && rw.queueLength() == 0);
            assertEquals(2, rw.readHolds(), "the release admitted the timed reader before its deadline");
            // Past its deadline, the admitted reader must wait without burning its CPU: parked (in any
            // way), never RUNNABLE for 200 ms on end as the spin before the fix kept it.
            long pastDeadline = CLAIMED_READ_TIMEOUT.plusMillis(100).toNanos();
            eventually("the timed reader's deadline passes")
                    .until(() -> System.nanoTime() - readStarted.get() >= pastDeadline);
            await("the claimed reader waits past its deadline without spinning").atMost(BOUND)
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).during(Duration.ofMillis(200))
                    .until(() -> timedReader.getState() != Thread.State.RUNNABLE);
        } finally {
            executorQueue.unlock();
        }
        releaser.join(BOUND.toMillis());
        timedReader.join(BOUND.toMillis());
        assertFalse(releaser.isAlive());
        assertFalse(timedReader.isAlive());
        assertTrue(timedRead.get().isPresent(), "admitted before its deadline, it holds the read lock");
        timedRead.get().get().close();
        firstOfTheBatch.join().close();
        assertEquals(0, rw.readHolds());
        rw.tryWrite().orElseThrow().close();
    }

    // ------------------------------------------------------------------ 3

    /**
     * issue #8.3: an executor that threw anything but {@code RejectedExecutionException} escaped the
     * releaser's {@code close()}, leaving the lock held by nobody and the rest of the admitted batch
     * (the readers behind it) claimed but never told: stranded forever.
     */
    @Test
    void anExecutorThatThrowsAnythingNeverStrandsTheRestOfAnAdmittedBatch() throws Exception {
        RwLock<String> rw = new RwLock<>("v");
        WriteGuard<String> writer = rw.write();
        CompletableFuture<ReadGuard<String>> refused = rw.readAsync(BROKEN);
        CompletableFuture<ReadGuard<String>> asyncReader = rw.readAsync();
        Thread blockingReader = Thread.ofPlatform().start(() -> rw.read().close());
        eventually().until(() -> rw.queueLength() == 3);

        assertDoesNotThrow(writer::close, "the executor's failure is not the releaser's");

        assertInstanceOf(IllegalStateException.class,
                assertThrows(CompletionException.class, refused::join).getCause());
        assertTrue(asyncReader.isDone(), "the rest of the batch is granted");
        asyncReader.join().close();
        blockingReader.join(BOUND.toMillis());
        assertFalse(blockingReader.isAlive(), "the blocking reader of the batch was told");
        assertEquals(0, rw.readHolds());
        rw.tryWrite().orElseThrow().close();
    }

    /**
     * issue #8.3: an {@code onFailed} that throws (here after a rejected delivery) escaped the
     * releaser's {@code close()} too. It goes to the releasing thread's uncaught-exception handler,
     * and the next waiter gets the lock.
     */
    @Test
    void aThrowingOnFailedGoesToTheUncaughtExceptionHandlerAndTheLockMovesOn() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        MutexGuard<String> held = mutex.lock();
        RuntimeException fromCallback = new IllegalStateException("callback bug");
        mutex.lockAsync(new LockCallback<MutexGuard<String>>() {
            @Override
            public void onLocked(MutexGuard<String> guard) {
                guard.close();
            }

            @Override
            public void onFailed(Throwable cause) {
                throw fromCallback;
            }
        }, REJECTING);
        CompletableFuture<MutexGuard<String>> next = mutex.lockAsync();

        ConcurrentLinkedQueue<Throwable> uncaught = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> thrownByClose = new AtomicReference<>();
        Thread releaser = Thread.ofPlatform().uncaughtExceptionHandler((t, e) -> uncaught.add(e)).unstarted(() -> {
            try {
                held.close();
            } catch (Throwable t) {
                thrownByClose.set(t);
            }
        });
        releaser.start();
        releaser.join(BOUND.toMillis());

        assertEquals(null, thrownByClose.get(), "close() must not throw what a callback threw");
        assertEquals(List.of(fromCallback), List.copyOf(uncaught));
        assertTrue(next.isDone(), "the next waiter got the mutex");
        next.join().close();
        assertFalse(mutex.isLocked());
    }

    /** issue #8.3: {@code tryLockAsync(timeout, executor)} whose executor throws never completed on timeout. */
    @Test
    void aTimedAsyncAcquisitionWhoseExecutorThrowsStillFailsOnTimeout() {
        Mutex<String> mutex = new Mutex<>("v");
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> timed = mutex.tryLockAsync(Duration.ofMillis(5), BROKEN);

        eventually().until(timed::isDone);
        assertInstanceOf(LockTimeoutException.class, assertThrows(CompletionException.class, timed::join).getCause());
        assertEquals(0, mutex.queueLength());
        held.close();
        assertFalse(mutex.isLocked());
    }

    // ------------------------------------------------------------------ 4

    /**
     * issue #8.4: an {@code awaitAsync} future cancelled, or timed out with {@code orTimeout}, after a
     * notification had taken it lost that notification: {@code notifyOne()} returned true and the
     * other waiter slept forever. The notification passes on, as JLS 17.2.4 requires of
     * {@code Object.wait} when an interrupt races a notify.
     */
    @Test
    void aNotificationTakenByAnAwaitAsyncThatGivesUpPassesToTheNextWaiter() {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar condvar = new Condvar();

        // cancelled after its notification
        CompletableFuture<MutexGuard<String>> cancelled = condvar.awaitAsync(mutex.lock());
        CompletableFuture<MutexGuard<String>> other = condvar.awaitAsync(mutex.lock());
        MutexGuard<String> notifier = mutex.lock();
        assertTrue(condvar.notifyOne());
        assertTrue(cancelled.cancel(false));
        notifier.close();
        eventually().until(other::isDone);
        other.join().close();

        // timed out by the caller (orTimeout) after its notification; the next waiter is a timed await
        CompletableFuture<MutexGuard<String>> timedOut = condvar.awaitAsync(mutex.lock());
        CompletableFuture<Condvar.Wakeup<String>> timedOther = condvar.awaitAsync(mutex.lock(), Duration.ofHours(1));
        notifier = mutex.lock();
        assertTrue(condvar.notifyOne());
        timedOut.orTimeout(1, TimeUnit.MILLISECONDS);
        eventually().until(timedOut::isDone);
        notifier.close();
        eventually().until(timedOther::isDone);
        assertTrue(timedOther.join().notified(), "woken by the notification it was passed");
        timedOther.join().guard().close();

        assertEquals(0, condvar.waiterCount());
        assertFalse(mutex.isLocked());
        assertEquals(0, mutex.queueLength());
    }

    // ------------------------------------------------------------------ 5

    /**
     * issue #8.5: {@code try (UpgradableGuard u = rw.upgradableRead()) { u.upgradeAsync()… }} with the
     * future then cancelled or timed out gave the upgradable hold back to the guard that had already
     * been closed: nobody would close it again, and no writer could ever enter. A hold that comes back
     * to a closed guard is released.
     */
    @Test
    @SuppressWarnings("try") // the guard's scope is the point: it closes while the upgrade waits
    void anUpgradableGuardClosedWhileItsUpgradeAsyncWaitsReleasesTheHoldThatComesBack() {
        RwLock<String> rw = new RwLock<>("v");

        ReadGuard<String> reader = rw.read(); // keeps the upgrade waiting
        CompletableFuture<WriteGuard<String>> cancelled;
        try (UpgradableGuard<String> u = rw.upgradableRead()) {
            cancelled = u.upgradeAsync();
        }
        assertTrue(cancelled.cancel(false));
        reader.close();
        assertFalse(rw.isUpgradableLocked(), "the hold that came back was released");
        rw.tryWrite().orElseThrow().close();

        reader = rw.read();
        CompletableFuture<WriteGuard<String>> timedOut;
        try (UpgradableGuard<String> u = rw.upgradableRead()) {
            timedOut = u.upgradeAsync().orTimeout(1, TimeUnit.MILLISECONDS);
        }
        eventually().until(timedOut::isDone);
        reader.close();
        assertFalse(rw.isUpgradableLocked());
        rw.tryWrite().orElseThrow().close();
        assertEquals(0, rw.readHolds());
    }

    // ------------------------------------------------------------------ 6

    /**
     * issue #8.6: the timeout of {@code awaitAsync(guard, timeout)} was scheduled on
     * {@code CompletableFuture.delayedExecutor} and never cancelled, and its task kept the node, hence
     * the mutex, reachable until the deadline: an hour here. Once the await completed, nothing of the
     * mutex may stay reachable.
     */
    @Test
    void aCompletedTimedAwaitAsyncKeepsNothingOfItsMutexReachable() {
        WeakReference<Mutex<?>> mutex = notifiedTimedAwaitOnAFreshMutex();
        eventually().pollInterval(Duration.ofMillis(50)).until(() -> {
            System.gc();
            return mutex.get() == null;
        });
    }

    private static WeakReference<Mutex<?>> notifiedTimedAwaitOnAFreshMutex() {
        Mutex<byte[]> mutex = new Mutex<>(new byte[1 << 20]);
        Condvar condvar = new Condvar();
        CompletableFuture<Condvar.Wakeup<byte[]>> woken = condvar.awaitAsync(mutex.lock(), Duration.ofHours(1));
        assertTrue(condvar.notifyOne());
        Condvar.Wakeup<byte[]> wakeup = woken.join();
        assertTrue(wakeup.notified());
        wakeup.guard().close();
        return new WeakReference<>(mutex);
    }

    /**
     * issue #8.6: each {@code tryLockAsync(1 h)} that waited and was then granted left its timeout task
     * (about 165 B) on the JDK's delay scheduler until the deadline. 200,000 of them must not grow the
     * heap (they would by some 30 MB).
     */
    @Test
    void timedAsyncAcquisitionsGrantedLongBeforeTheirDeadlineKeepNoMemory() {
        Mutex<String> mutex = new Mutex<>("v");
        waitThenGrant(mutex, 20_000); // warm-up: the timer's thread and queue exist from now on
        long before = usedHeapAfterGc();
        waitThenGrant(mutex, 200_000);
        long grown = usedHeapAfterGc() - before;
        assertTrue(grown < 8L << 20, "the heap grew by " + grown + " B over 200,000 granted tryLockAsync(1 h)");
        assertFalse(mutex.isLocked());
    }

    private static void waitThenGrant(Mutex<String> mutex, int times) {
        MutexGuard<String> held = mutex.lock();
        for (int i = 0; i < times; i++) {
            CompletableFuture<MutexGuard<String>> next = mutex.tryLockAsync(Duration.ofHours(1));
            held.close();
            held = next.join();
        }
        held.close();
    }

    private static long usedHeapAfterGc() {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Runtime runtime = Runtime.getRuntime();
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }

    // ------------------------------------------------------------------ 7

    /**
     * issue #8.7: {@code handOffEvery(Duration.ofSeconds(Long.MAX_VALUE))} was accepted, and then every
     * contended acquisition and {@code asLock()} threw {@code IllegalArgumentException("bound must be
     * positive")} (the fairness timer's random interval overflowed). Such intervals mean "never".
     */
    @Test
    void aHandOffIntervalBeyondTheClocksRangeMeansNeverAndTheLocksKeepWorking() throws Exception {
        Duration forever = Duration.ofSeconds(Long.MAX_VALUE);
        Mutex<String> mutex = Mutex.builder().handOffEvery(forever).handOffAfterHolding(forever).build("v");
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> queued = mutex.lockAsync(); // creates the wait queue
        Thread blocked = Thread.ofPlatform().start(() -> mutex.lock().close());
        eventually().until(() -> mutex.queueLength() == 2);
        held.close();
        queued.join().close();
        blocked.join(BOUND.toMillis());
        assertFalse(blocked.isAlive());
        Lock view = mutex.asLock();
        view.lock();
        view.unlock();
        assertFalse(mutex.isLocked());

        RwLock<String> rw = RwLock.builder().handOffEvery(forever).build("v");
        ReadGuard<String> reading = rw.read();
        CompletableFuture<WriteGuard<String>> writer = rw.writeAsync();
        reading.close();
        writer.join().close();
        ReadWriteLock rwView = rw.asReadWriteLock();
        rwView.writeLock().lock();
        rwView.writeLock().unlock();
        assertFalse(rw.isWriteLocked());
    }

    // ------------------------------------------------------------------ 8

    /**
     * issue #8.8: {@code asLock().newCondition().awaitUntil(new Date(Long.MIN_VALUE))} waited forever
     * (the time left wrapped around); {@code ReentrantLock}'s condition returns {@code false} at once.
     */
    @Test
    void awaitUntilADateFarInThePastReturnsFalseAtOnceLikeReentrantLock() {
        Mutex<String> mutex = new Mutex<>("v");
        Lock lock = mutex.asLock();
        Condition condition = lock.newCondition();
        boolean notified = assertTimeoutPreemptively(BOUND, () -> {
            lock.lock();
            try {
                return condition.awaitUntil(new Date(Long.MIN_VALUE));
            } finally {
                lock.unlock();
            }
        });
        assertFalse(notified);
        assertFalse(mutex.isLocked());

        ReentrantLock juc = new ReentrantLock();
        juc.lock();
        try {
            assertFalse(assertDoesNotThrow(() -> juc.newCondition().awaitUntil(new Date(Long.MIN_VALUE))));
        } finally {
            juc.unlock();
        }
    }

    // ------------------------------------------------------------------ 9

    /**
     * issue #8.9: {@code asLock().lock()} by the thread that already held the view waited for itself
     * forever. The mutex is not reentrant, and the view now says so.
     */
    @Test
    void relockingTheLockViewOnTheOwningThreadThrowsInsteadOfHanging() {
        Mutex<String> mutex = new Mutex<>("v");
        Lock view = mutex.asLock();
        assertTimeoutPreemptively(BOUND, () -> {
            view.lock();
            try {
                assertThrows(IllegalStateException.class, view::lock);
                assertThrows(IllegalStateException.class, view::lockInterruptibly);
                assertThrows(IllegalStateException.class, () -> view.tryLock(1, TimeUnit.SECONDS));
                assertFalse(view.tryLock(), "a plain tryLock simply fails");
            } finally {
                view.unlock();
            }
        });
        assertFalse(mutex.isLocked());
    }

    /**
     * issue #8.9: the {@code ReadWriteLock} view's write lock, locked again by its owner or while the
     * thread holds the view's read lock, waited for itself forever; it throws instead.
     */
    @Test
    void theWriteLockViewRefusesReentryAndAnUpgradeFromTheReadLockInsteadOfHanging() {
        RwLock<String> rw = new RwLock<>("v");
        ReadWriteLock view = rw.asReadWriteLock();
        assertTimeoutPreemptively(BOUND, () -> {
            view.writeLock().lock();
            try {
                assertThrows(IllegalStateException.class, view.writeLock()::lock);
            } finally {
                view.writeLock().unlock();
            }
            view.readLock().lock();
            try {
                assertThrows(IllegalStateException.class, view.writeLock()::lock);
                assertThrows(IllegalStateException.class, () -> view.writeLock().tryLock(1, TimeUnit.SECONDS));
            } finally {
                view.readLock().unlock();
            }
        });
        assertFalse(rw.isWriteLocked());
        assertEquals(0, rw.readHolds());
    }

    /**
     * issue #8.9: {@code readLock().tryLock()} on a read lock that only readers hold returned
     * {@code false} when a writer was queued; {@code ReentrantReadWriteLock}'s returns {@code true}
     * (a one-shot try cannot starve the writer).
     */
    @Test
    void theReadLockViewsTryLockTakesAnAvailableReadLockPastAQueuedWriterLikeJuc() {
        RwLock<String> rw = new RwLock<>("v");
        ReadWriteLock view = rw.asReadWriteLock();
        ReadGuard<String> reading = rw.read();
        CompletableFuture<WriteGuard<String>> writer = rw.writeAsync();
        assertEquals(1, rw.queueLength());

        assertTrue(view.readLock().tryLock());
        assertEquals(2, rw.readHolds());
        view.readLock().unlock();
        reading.close();
        assertTrue(writer.isDone());
        writer.join().close();
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isWriteLocked());
    }
}
