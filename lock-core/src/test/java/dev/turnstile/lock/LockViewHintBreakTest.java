package dev.turnstile.lock;

import static dev.turnstile.lock.StateWord.QUEUED;
import static dev.turnstile.lock.StateWord.SIGNAL;
import static dev.turnstile.lock.StateWord.PROFILED;
import static dev.turnstile.lock.StateWord.LOCKED;
import static dev.turnstile.lock.Workers.awaitUntil;
import static dev.turnstile.lock.Workers.guarded;
import static dev.turnstile.lock.Workers.joinAll;
import static dev.turnstile.lock.Workers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Workers.ThrowingRunnable;
import dev.turnstile.lock.childjvm.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.commons.JUnitException;
import org.opentest4j.AssertionFailedError;

/**
 * Attacks on 886fe45: the {@code asLock()} view's unlock passes the word its owner's acquisition left
 * ({@code ownerHeld}: HELD_ALONE after tryLock() or an unqueued lock(), HELD_QUEUED after a timed
 * tryLock, a queued lock() or a condition wait) to {@code Mutex.releaseLock}, which expects it and
 * otherwise retries from the word it found, or takes the core's slow release on SIGNAL / PROFILED.
 * Every hint is set against every word the release can find: nobody queued, a waiter armed (SIGNAL),
 * the queue emptied (a timed waiter left), PROFILED set meanwhile (JFR), and both.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LockViewHintBreakTest {
    private static final String CONTENDED = "dev.turnstile.ContendedAcquisition";
    private static final String LONG_HOLD = "dev.turnstile.LongHold";

    private static int state(Mutex<?> m) {
        return StateWord.of(m);
    }


    private static long count(Mutex<ExclusionBox> m) {
        // bounded: a lock leaked by a broken release fails here instead of hanging the run
        try (MutexGuard<ExclusionBox> g = m.tryLock(Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError(
                "the mutex is still taken at quiescence: word " + Integer.toHexString(state(m))))) {
            return g.get().n;
        }
    }

    /** Free, nobody queued, the counter saw every counted hold, and no core bit but PROFILED left over. */
    private static void assertSettled(Mutex<ExclusionBox> m, long done) {
        assertFalse(m.isLocked(), "locked at quiescence: " + Integer.toHexString(state(m)));
        assertEquals(0, m.queueLength());
        assertEquals(done, count(m));
        assertEquals(0, state(m) & ~PROFILED, () -> "state word " + Integer.toHexString(state(m)));
    }

    // ------------------------------------------------------------------ 1. every hint against every word

    /** How the view's owner takes the mutex, and so the hint its unlock passes. */
    enum Acquire {
        /** tryLock(), free mutex: HELD_ALONE. */
        TRY_LOCK,
        /** lock(), free mutex: takeNow's LOCKED. */
        LOCK_FREE,
        /** lock() after waiting behind a guard: HELD_QUEUED, and nobody queued any more. */
        LOCK_AFTER_WAITING,
        /** lockInterruptibly() after waiting behind a guard: HELD_QUEUED. */
        LOCK_INTERRUPTIBLY_AFTER_WAITING,
        /** tryLock(t, u), free mutex: HELD_QUEUED with nobody ever queued. */
        TIMED_TRY_LOCK_FREE,
        /** lock() then a condition await that times out at once: restoreOwnership's HELD_QUEUED. */
        AWAIT_TIMED_OUT,
        /** lock() then await(); another thread locks through the view, signals and unlocks. */
        AWAIT_SIGNALLED,
        /** lock() then awaitUntil(a past date). */
        AWAIT_UNTIL_PAST
    }

    /** What the owner's unlock finds in the state word. */
    enum AtRelease {
        /** LOCKED alone. */
        NOBODY,
        /** QUEUED|SIGNAL|LOCKED: a waiter arrived and armed after the acquisition. */
        WAITER_ARMED,
        /** Two waiters, the head armed. */
        TWO_WAITERS,
        /** LOCKED: a timed waiter queued and gave up. */
        QUEUE_EMPTIED,
        /** PROFILED|LOCKED: a JFR-profiled contended arrival set PROFILED, then gave up. */
        PROFILED_EMPTIED,
        /** PROFILED|QUEUED|SIGNAL|LOCKED. */
        PROFILED_WAITER_ARMED
    }

    static Stream<Arguments> hintsAndWords() {
        List<Arguments> out = new ArrayList<>();
        for (Acquire a : Acquire.values()) {
            for (AtRelease r : AtRelease.values()) {
                out.add(Arguments.of(a, r, false));
                out.add(Arguments.of(a, r, true));
            }
        }
        return out.stream();
    }

    /**
     * Step by step: the view's owner acquires one way, the word is then driven to one of the shapes a
     * release can find, and the owner unlocks. Waiters must all get in, the mutex must end free with
     * no core bit stuck, and the counter must see every hold.
     */
    @ParameterizedTest(name = "{0} then {1}, virtual owner/waiters: {2}")
    @MethodSource("hintsAndWords")
    void everyHintAgainstEveryWordTheReleaseCanFind(Acquire how, AtRelease at, boolean virtual) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().name("hint-" + how + "-" + at).build(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch owning = new CountDownLatch(1);
        CountDownLatch lockedBeforeAwait = new CountDownLatch(1);
        CountDownLatch unlock = new CountDownLatch(1);
        AtomicLong done = new AtomicLong();
        Recording recording = null;
        List<Thread> threads = new ArrayList<>();
        try {
            MutexGuard<ExclusionBox> blocker = null;
            if (how == Acquire.LOCK_AFTER_WAITING || how == Acquire.LOCK_INTERRUPTIBLY_AFTER_WAITING) {
                blocker = m.lock();
            }
            Thread owner = start(virtual, "view-owner", guarded(errors, () -> {
                switch (how) {
                    case TRY_LOCK -> assertTrue(view.tryLock());
                    case LOCK_FREE, LOCK_AFTER_WAITING -> view.lock();
                    case LOCK_INTERRUPTIBLY_AFTER_WAITING -> view.lockInterruptibly();
                    case TIMED_TRY_LOCK_FREE -> assertTrue(view.tryLock(5, TimeUnit.SECONDS));
                    case AWAIT_TIMED_OUT -> {
                        view.lock();
                        assertTrue(cond.awaitNanos(1) <= 0);
                    }
                    case AWAIT_SIGNALLED -> {
                        view.lock();
                        lockedBeforeAwait.countDown();
                        cond.await();
                    }
                    case AWAIT_UNTIL_PAST -> {
                        view.lock();
                        assertFalse(cond.awaitUntil(new Date(System.currentTimeMillis() - 1000)));
                    }
                }
                m.value().bump();
                done.incrementAndGet();
                owning.countDown();
                assertTrue(unlock.await(10, TimeUnit.SECONDS));
                view.unlock();
            }));
            threads.add(owner);
            if (blocker != null) {
                awaitUntil(() -> m.queueLength() == 1);
                blocker.close();
            }
            if (how == Acquire.AWAIT_SIGNALLED) {
                assertTrue(lockedBeforeAwait.await(10, TimeUnit.SECONDS));
                assertTrue(view.tryLock(10, TimeUnit.SECONDS)); // once the owner's await released the mutex
                try {
                    cond.signal();
                } finally {
                    view.unlock();
                }
            }
            assertTrue(owning.await(10, TimeUnit.SECONDS), "the view's owner never got the mutex");
            assertEquals(0, m.queueLength());
            assertEquals(LOCKED, state(m), () -> "after the acquisition: " + Integer.toHexString(state(m)));

            if (at == AtRelease.PROFILED_EMPTIED || at == AtRelease.PROFILED_WAITER_ARMED) {
                recording = new Recording();
                recording.enable(CONTENDED).withThreshold(Duration.ZERO);
                recording.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                recording.start();
            }
            if (at == AtRelease.QUEUE_EMPTIED || at == AtRelease.PROFILED_EMPTIED) {
                Thread timed = start(virtual, "timed", guarded(errors,
                        () -> assertTrue(m.tryLock(Duration.ofMillis(30)).isEmpty())));
                timed.join(10_000);
                assertFalse(timed.isAlive());
            }
            int waiters = at == AtRelease.TWO_WAITERS ? 2 : at == AtRelease.WAITER_ARMED || at == AtRelease.PROFILED_WAITER_ARMED ? 1 : 0;
            for (int i = 0; i < waiters; i++) {
                int id = i;
                Thread w = start(virtual ^ (i == 1), "waiter" + i, guarded(errors, () -> {
                    if (id == 0) {
                        try (MutexGuard<ExclusionBox> g = m.lock()) {
                            g.get().bump();
                        }
                    } else {
                        view.lock(); // a second view user queued behind
                        try {
                            m.value().bump();
                        } finally {
                            view.unlock();
                        }
                    }
                    done.incrementAndGet();
                }));
                threads.add(w);
                int expected = i + 1;
                awaitUntil(() -> m.queueLength() == expected && w.getState() == Thread.State.WAITING);
            }
            int word = state(m);
            int expectedWord = LOCKED
                    | (waiters > 0 ? QUEUED | SIGNAL : 0)
                    | (recording != null ? PROFILED : 0);
            assertEquals(Integer.toHexString(expectedWord), Integer.toHexString(word), "the word the unlock finds");

            unlock.countDown();
            joinAll(threads, 5_000, errors);
        } finally {
            if (recording != null) {
                recording.close();
            }
        }
        assertSettled(m, done.get());
        assertEquals(0, state(m), () -> "no recording, one uncontended hold later: " + Integer.toHexString(state(m)));
        assertThrows(IllegalMonitorStateException.class, view::unlock);
    }

    // ------------------------------------------------------------------ 2. non-owners' unlocks change nothing

    /**
     * While the view's owner holds with a queued hint and a waiter armed, every kind of non-owner calls
     * unlock() (and signal/await): each throws IllegalMonitorStateException and leaves the word exactly
     * as it was; then the owner's unlock lets the waiter in.
     */
    @ParameterizedTest(name = "virtual non-owners: {0}")
    @EnumSource(Vt.class)
    void nonOwnersUnlockingChangeNothing(Vt vt) throws Exception {
        boolean virtual = vt == Vt.VIRTUAL;
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch owning = new CountDownLatch(1);
        CountDownLatch unlock = new CountDownLatch(1);
        MutexGuard<ExclusionBox> blocker = m.lock();
        Thread owner = start(virtual, "view-owner", guarded(errors, () -> {
            assertTrue(view.tryLock(10, TimeUnit.SECONDS)); // waits: the hint is queued
            owning.countDown();
            assertTrue(unlock.await(10, TimeUnit.SECONDS));
            m.value().bump();
            view.unlock();
        }));
        awaitUntil(() -> m.queueLength() == 1);
        blocker.close();
        assertTrue(owning.await(10, TimeUnit.SECONDS));
        Thread waiter = start(!virtual, "waiter", guarded(errors, () -> {
            try (MutexGuard<ExclusionBox> g = m.lock()) {
                g.get().bump();
            }
        }));
        awaitUntil(() -> m.queueLength() == 1 && waiter.getState() == Thread.State.WAITING);
        int word = state(m);
        assertEquals(QUEUED | SIGNAL | LOCKED, word);

        List<String> failures = new CopyOnWriteList();
        // the test thread itself: never held it
        expectRefused(m, view, cond, word, failures, "test thread");
        // a thread whose tryLock() failed, one whose timed tryLock timed out, one interrupted in a timed
        // tryLock, one interrupted in lockInterruptibly, one interrupted before tryLock(t, u)
        List<Thread> nonOwners = new ArrayList<>();
        nonOwners.add(start(virtual, "failed-tryLock", guarded(errors, () -> {
            assertFalse(view.tryLock());
            expectRefused(m, view, cond, word, failures, "failed tryLock");
        })));
        nonOwners.add(start(virtual, "timed-out", guarded(errors, () -> {
            assertFalse(view.tryLock(20, TimeUnit.MILLISECONDS));
            awaitUntil(() -> m.queueLength() == 1);
            expectRefused(m, view, cond, word, failures, "timed out");
        })));
        joinAll(nonOwners, 10_000, errors);
        for (int kind = 0; kind < 3; kind++) {
            int k = kind;
            CountDownLatch waiting = new CountDownLatch(1);
            Thread t = start(virtual, "interrupted" + k, guarded(errors, () -> {
                if (k == 2) {
                    Thread.currentThread().interrupt();
                }
                waiting.countDown();
                assertThrows(InterruptedException.class, () -> {
                    if (k == 1) {
                        view.lockInterruptibly();
                    } else {
                        view.tryLock(10, TimeUnit.SECONDS);
                    }
                });
                assertFalse(Thread.currentThread().isInterrupted());
                awaitUntil(() -> m.queueLength() == 1);
                expectRefused(m, view, cond, word, failures, "interrupted " + k);
            }));
            nonOwners.add(t);
            if (k != 2) {
                assertTrue(waiting.await(10, TimeUnit.SECONDS));
                awaitUntil(() -> m.queueLength() == 2);
                t.interrupt();
            }
            t.join(10_000);
            assertFalse(t.isAlive(), "interrupted" + k + " stuck");
        }
        joinAll(nonOwners, 10_000, errors);
        assertTrue(failures.isEmpty(), failures::toString);
        assertEquals(Integer.toHexString(word), Integer.toHexString(state(m)), "the non-owners changed the word");
        assertTrue(m.isLocked());

        unlock.countDown();
        joinAll(List.of(owner, waiter), 10_000, errors);
        assertSettled(m, 2);
        // the former owner, and a thread holding through a guard, are not owners of the view either
        try (MutexGuard<ExclusionBox> g = m.lock()) {
            int held = state(m);
            assertThrows(IllegalMonitorStateException.class, view::unlock);
            assertEquals(held, state(m));
            assertTrue(m.isLocked());
        }
        assertSettled(m, 2);
    }

    enum Vt { PLATFORM, VIRTUAL }

    /** A tiny thread-safe list for failure messages. */
    @SuppressWarnings("serial")
    static final class CopyOnWriteList extends java.util.concurrent.CopyOnWriteArrayList<String> {
    }

    private static void expectRefused(Mutex<ExclusionBox> m, Lock view, Condition cond, int word, List<String> failures, String who) {
        for (ThrowingRunnable op : List.<ThrowingRunnable>of(view::unlock, cond::signal, cond::signalAll,
                cond::await, () -> cond.awaitNanos(1), cond::awaitUninterruptibly)) {
            try {
                op.run();
                failures.add(who + ": an operation of a non-owner did not throw");
            } catch (IllegalMonitorStateException expected) {
                // right
            } catch (Throwable t) {
                failures.add(who + ": " + t);
            }
            if (state(m) != word) {
                failures.add(who + ": word changed to " + Integer.toHexString(state(m)));
            }
        }
    }

    // ------------------------------------------------------------------ 3. mixed stress per fairness

    /**
     * Every way into the mutex at once, per fairness policy, platform and virtual threads, with
     * interrupts: the view's lock/tryLock/timed tryLock/lockInterruptibly and its condition's
     * await/awaitNanos/awaitUntil/signal/signalAll, guards, withLock and lockAsync. Exclusion, progress,
     * and a settled mutex at the end.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Fairness.class)
    void everyPathMixedPerFairnessWithInterrupts(Fairness fairness) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).build(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> threads = new ArrayList<>();
        int workers = 5;
        for (int i = 0; i < workers; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "w" + i, guarded(errors, () -> mixedWorker(m, view, cond, id, 4000, done))));
        }
        Thread interrupter = start(false, "interrupter", () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                threads.get(r.nextInt(workers)).interrupt();
                LockSupport.parkNanos(r.nextLong(50_000, 500_000));
            }
        });
        joinAll(threads, 45_000, errors, stop, interrupter);
        assertSettled(m, done.get());
    }

    /**
     * One worker's round of every path into the mutex. Interrupts may land anywhere: an
     * InterruptedException means the acquisition failed (no hold) or, from a condition wait, that the
     * mutex is held again; the uninterruptible paths keep the status, which the next interruptible one
     * turns into an exception.
     */
    static void mixedWorker(Mutex<ExclusionBox> m, Lock view, Condition cond, int id, int rounds, AtomicLong done) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int k = 0; k < rounds; k++) {
            switch (r.nextInt(11)) {
                case 0 -> {
                    view.lock();
                    try {
                        m.value().bump();
                        done.incrementAndGet();
                        cond.signalAll();
                    } finally {
                        view.unlock();
                    }
                }
                case 1 -> {
                    if (view.tryLock()) {
                        try {
                            m.value().bump();
                            done.incrementAndGet();
                            cond.signal();
                        } finally {
                            view.unlock();
                        }
                    }
                }
                case 2 -> {
                    boolean got;
                    try {
                        got = view.tryLock(r.nextLong(0, 2_000_000), TimeUnit.NANOSECONDS);
                    } catch (InterruptedException e) {
                        got = false;
                    }
                    if (got) {
                        try {
                            m.value().bump();
                            done.incrementAndGet();
                        } finally {
                            view.unlock();
                        }
                    } else {
                        assertThrows(IllegalMonitorStateException.class, view::unlock);
                    }
                }
                case 3 -> {
                    boolean got = false;
                    try {
                        view.lockInterruptibly();
                        got = true;
                    } catch (InterruptedException e) {
                        assertThrows(IllegalMonitorStateException.class, view::unlock);
                    }
                    if (got) {
                        try {
                            m.value().bump();
                            done.incrementAndGet();
                        } finally {
                            view.unlock();
                        }
                    }
                }
                case 4 -> {
                    view.lock();
                    try {
                        m.value().bump();
                        done.incrementAndGet();
                        try {
                            cond.awaitNanos(r.nextLong(1, 300_000));
                        } catch (InterruptedException e) {
                            // held again
                        }
                        m.value().bump();
                        done.incrementAndGet();
                    } finally {
                        view.unlock();
                    }
                }
                case 5 -> {
                    view.lock();
                    try {
                        try {
                            cond.awaitUntil(new Date(System.currentTimeMillis() + r.nextInt(0, 2)));
                        } catch (InterruptedException e) {
                            // held again
                        }
                        m.value().bump();
                        done.incrementAndGet();
                    } finally {
                        view.unlock();
                    }
                }
                case 6 -> {
                    view.lock();
                    try {
                        try {
                            cond.await(r.nextLong(1, 500), TimeUnit.MICROSECONDS);
                        } catch (InterruptedException e) {
                            // held again
                        }
                        m.value().bump();
                        done.incrementAndGet();
                        cond.signal();
                    } finally {
                        view.unlock();
                    }
                }
                case 7 -> {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        g.get().bump();
                        done.incrementAndGet();
                    }
                }
                case 8 -> {
                    m.withLockDo(ExclusionBox::bump);
                    done.incrementAndGet();
                }
                case 9 -> {
                    try (MutexGuard<ExclusionBox> g = m.lockAsync().join()) {
                        g.get().bump();
                        done.incrementAndGet();
                    }
                }
                default -> {
                    Optional<MutexGuard<ExclusionBox>> g = m.tryLock();
                    if (g.isPresent()) {
                        try (MutexGuard<ExclusionBox> h = g.get()) {
                            h.get().bump();
                            done.incrementAndGet();
                        }
                    }
                }
            }
        }
        Thread.interrupted(); // leave no status behind for the join
    }

    // ------------------------------------------------------------------ 4. condition: no lost wake-up

    /**
     * Untimed await() waiters (platform and virtual) woken one signal() each while the mutex is
     * hammered through the view and guards: every waiter returns; after each re-acquisition the
     * owner's unlock carries the HELD_QUEUED hint of restoreOwnership.
     */
    @Test
    void everySignalledAwaiterReturnsUnderViewTraffic() throws Exception {
        for (Fairness fairness : Fairness.values()) {
            Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).build(new ExclusionBox());
            Lock view = m.asLock();
            Condition cond = view.newCondition();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicLong done = new AtomicLong();
            AtomicInteger permits = new AtomicInteger(); // guarded by the mutex
            int awaiters = 6;
            int each = 40;
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < awaiters; i++) {
                threads.add(start(i % 2 == 0, "awaiter" + i, guarded(errors, () -> {
                    for (int k = 0; k < each; k++) {
                        view.lock();
                        try {
                            while (permits.get() == 0) {
                                cond.await();
                            }
                            permits.decrementAndGet();
                            m.value().bump();
                            done.incrementAndGet();
                        } finally {
                            view.unlock();
                        }
                    }
                })));
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> noise = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                int id = i;
                noise.add(start(i == 1, "noise" + i, guarded(errors, () -> {
                    while (!stop.get()) {
                        if (id == 0) {
                            if (view.tryLock(1, TimeUnit.MILLISECONDS)) {
                                try {
                                    m.value().bump();
                                    done.incrementAndGet();
                                } finally {
                                    view.unlock();
                                }
                            }
                        } else {
                            m.withLockDo(ExclusionBox::bump);
                            done.incrementAndGet();
                        }
                    }
                })));
            }
            Thread signaller = start(true, "signaller", guarded(errors, () -> {
                for (int k = 0; k < awaiters * each; k++) {
                    view.lock();
                    try {
                        permits.incrementAndGet();
                        cond.signal();
                    } finally {
                        view.unlock();
                    }
                    if ((k & 7) == 0) {
                        Thread.yield();
                    }
                }
            }));
            threads.add(signaller);
            try {
                joinAll(threads, 20_000, errors);
            } finally {
                stop.set(true);
            }
            joinAll(noise, 10_000, errors);
            assertEquals(0, permits.get());
            assertSettled(m, done.get());
        }
    }

    // ------------------------------------------------------------------ 5. statistics and JFR

    /**
     * statistics(true) (PROFILED from construction: every hinted release must take the slow path and
     * end its hold once): acquisitions == holds timed, whatever the view's hints said, condition waits
     * and failed timed tryLocks included.
     */
    @Test
    void statisticsCountAcquisitionsAndHoldsAlikeThroughTheView() throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().statistics(true).build(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 0, "s" + i, guarded(errors, () -> mixedWorker(m, view, cond, id, 3000, done))));
        }
        joinAll(threads, 40_000, errors);
        assertSettled(m, done.get());
        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(s.acquisitions(), s.holdTimes().count(), s.toString());
        assertTrue(s.acquisitions() >= done.get() / 2, s.toString());
        assertEquals(PROFILED, state(m), () -> Integer.toHexString(state(m)));
    }

    /**
     * JFR recordings toggled while the view's paths run: PROFILED appears (a contended arrival) between
     * an acquisition and its hinted release, and disappears. Exclusion, progress, settled at the end,
     * and the bit cleared once no recording wants it.
     */
    @Test
    void jfrTogglingUnderTheViewsHintedReleases() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        Lock view = m.asLock();
        Condition cond = view.newCondition();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread toggler = start(false, "jfr-toggler", () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            while (!stop.get()) {
                try (Recording rec = new Recording()) {
                    rec.enable(CONTENDED).withThreshold(Duration.ZERO);
                    rec.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                    rec.start();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(r.nextInt(1, 8)));
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(r.nextInt(1, 6)));
            }
        });
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "j" + i, guarded(errors, () -> mixedWorker(m, view, cond, id, 5000, done))));
        }
        joinAll(threads, 40_000, errors, stop, toggler);
        assertSettled(m, done.get());
        m.withLockDo(b -> { }); // no recording: the uncontended release clears PROFILED
        assertEquals(0, state(m), () -> Integer.toHexString(state(m)));
    }

    // ------------------------------------------------------------------ 6. one carrier

    /** Virtual threads on one carrier, every path mixed (a JVM of its own, scheduler parallelism 1). */
    @Test
    void oneCarrierViewMixInAChildJvm() throws Exception {
        String text = ChildJvm.onOneCarrier(OneCarrier.class, Duration.ofSeconds(45), Mutex.class,
                LockViewHintBreakTest.class, Assertions.class, AssertionFailedError.class, JUnitException.class);
        assertTrue(text.contains("one-carrier view ok"), text);
    }

    /** The child JVM's scenario: the same workers as the in-process mix, on one carrier. */
    public static final class OneCarrier {
        public static void main(String[] args) throws Exception {
            for (int round = 0; round < 12; round++) {
                Fairness fairness = Fairness.values()[round % 3];
                Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).build(new ExclusionBox());
                Lock view = m.asLock();
                Condition cond = view.newCondition();
                AtomicLong done = new AtomicLong();
                ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    int id = i;
                    threads.add(Thread.ofVirtual().name("vt" + i).start(() -> {
                        try {
                            mixedWorker(m, view, cond, id, 2000, done);
                        } catch (Throwable t) {
                            errors.add(t);
                        }
                    }));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                for (Thread t : threads) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0 || !t.join(Duration.ofMillis(left))) {
                        System.out.println("stuck: " + t + " round " + round + " " + fairness + " locked=" + m.isLocked()
                                + " queue=" + m.queueLength() + " word=" + Integer.toHexString(state(m)));
                        for (Thread u : threads) {
                            System.out.println(u + " " + u.getState() + " " + java.util.Arrays.toString(u.getStackTrace()));
                        }
                        System.exit(2);
                    }
                }
                if (!errors.isEmpty()) {
                    errors.peek().printStackTrace(System.out);
                    System.exit(3);
                }
                long n = count(m);
                if (n != done.get() || m.isLocked() || m.queueLength() != 0 || state(m) != 0) {
                    System.out.println("round " + round + " " + fairness + ": counter " + n + " vs " + done.get()
                            + " locked=" + m.isLocked() + " queue=" + m.queueLength() + " word=" + Integer.toHexString(state(m)));
                    System.exit(4);
                }
            }
            System.out.println("one-carrier view ok");
        }
    }
}
