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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.childjvm.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attacks on 7cf5656: {@code Mutex.takeNow()}, through {@code takeFree()} (the fast path of {@code lock()},
 * {@code lockInterruptibly()}, {@code withLock}, {@code update} and the {@code asLock()} view) reads
 * the state word first and, if {@code mayTakeFree} (0, or free, not PROFILED and barging), CASes from
 * that word, then once more from the word found; it returns {@code found | LOCKED}, the hint the
 * release expects.
 *
 * <p>The words the read can find between a release and the next acquisition are made to stand still
 * in a child JVM whose virtual threads share one carrier: a driver thread that never yields is the
 * only thread that runs, so a head woken in place (by a condition's requeue onto a free mutex, or by
 * a BARGING release) stays woken and unrun while the driver acquires through the fast path, and the
 * word is checked exactly at each step (QUEUED with the lock free, then QUEUED|LOCKED, then
 * QUEUED|SIGNAL|LOCKED once the head re-armed). In this JVM: storms of every acquisition kind
 * (exclusion, owner record, progress, quiescent word), FIFO arrival order against a queue formed
 * before the arrivals (and against a requeue onto a free mutex), and profiled locks (statistics,
 * JFR) whose every acquisition must still be recorded by the core.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReadFirstFastPathBreakTest {
    private static final String LONG_HOLD = "dev.turnstile.LongHold";


    /** Which threads a test runs on. */
    enum Kind {
        PLATFORM, VIRTUAL, MIXED;

        boolean virtual(int i) {
            return this == VIRTUAL || this == MIXED && i % 2 == 1;
        }
    }

    static String hex(int word) {
        return "0x" + Integer.toHexString(word);
    }

    /** At quiescence: free, nobody queued, no owner recorded, and no core bit left but PROFILED. */
    private static void assertQuiescent(Mutex<?> m) {
        int word = StateWord.of(m);
        assertEquals(0, word & ~PROFILED, () -> "state word at quiescence: " + hex(word));
        assertFalse(m.isLocked(), "isLocked at quiescence");
        assertEquals(0, m.queueLength(), "queue length at quiescence");
        assertFalse(m.hasQueuedWaiters(), "hasQueuedWaiters at quiescence");
        assertNull(m.ownerThread(), "owner record at quiescence");
        assertTrue(m.toString().endsWith("(unlocked)"), m::toString);
    }

    // ------------------------------------------------------------------ step by step, one carrier

    /**
     * The words a fast-path read can find between a release and the woken head's attempt, held
     * still on one carrier, for every fairness policy, acquisition kind and release, with and without
     * statistics; see {@link OneCarrier}.
     */
    @Test
    void stepByStepOnOneCarrier() throws Exception {
        String text = ChildJvm.onOneCarrier(OneCarrier.class, Duration.ofSeconds(45), Mutex.class,
                ReadFirstFastPathBreakTest.class);
        assertTrue(text.contains("read-first one-carrier ok"), text);
    }

    /** The child JVM's scenarios (no JUnit there: plain checks that throw, and exit statuses). */
    public static final class OneCarrier {
        /** How the driver acquires. */
        enum Acq { LOCK, LOCK_INTERRUPTIBLY, WITH_LOCK, VIEW }

        /** How, and when, the driver's hold ends. */
        enum Release {
            /** Closed before the woken head ran: the hint (QUEUED) is right. */
            BEFORE_HEAD_RUNS,
            /** Closed after the head lost, re-armed SIGNAL and parked: the hint is stale. */
            AFTER_HEAD_REARMED,
            /** unlockFair before the head ran: the head in flight is handed the lock. */
            FAIR_BEFORE_HEAD_RUNS
        }

        interface Body {
            void run() throws Exception;
        }

        public static void main(String[] args) throws Exception {
            int scenarios = 0;
            for (boolean statistics : new boolean[] {false, true}) {
                for (Fairness fairness : Fairness.values()) {
                    for (Acq acq : Acq.values()) {
                        for (Release release : Release.values()) {
                            if (release == Release.FAIR_BEFORE_HEAD_RUNS && (acq == Acq.WITH_LOCK || acq == Acq.VIEW)) {
                                continue; // no unlockFair there
                            }
                            if (fairness == Fairness.FIFO && release != Release.BEFORE_HEAD_RUNS) {
                                continue; // the driver waits behind the heads: nothing to time
                            }
                            for (int waiters : new int[] {1, 3}) {
                                String what = "requeued heads: " + fairness + " " + acq + " " + release + " waiters="
                                        + waiters + " statistics=" + statistics;
                                onDriver(what, () -> requeuedHeads(fairness, acq, release, waiters, statistics));
                                scenarios++;
                            }
                        }
                    }
                    if (fairness == Fairness.BARGING) {
                        for (Acq acq : Acq.values()) {
                            String what = "timed head overtaken: " + acq + " statistics=" + statistics;
                            onDriver(what, () -> timedHeadOvertakenThenNewWaiter(acq, statistics));
                            scenarios++;
                        }
                    }
                }
            }
            System.out.println("read-first one-carrier ok (" + scenarios + " scenarios)");
        }

        /** Runs {@code body} on a virtual thread named "D" (the driver) and exits the JVM if it fails. */
        private static void onDriver(String what, Body body) throws InterruptedException {
            AtomicReferenceHolder failure = new AtomicReferenceHolder();
            Thread d = Thread.ofVirtual().name("D").start(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    failure.value = t;
                }
            });
            if (!d.join(Duration.ofSeconds(15))) {
                System.out.println("FAILED (stuck): " + what);
                dumpAll();
                System.exit(2);
            }
            if (failure.value != null) {
                System.out.println("FAILED: " + what);
                failure.value.printStackTrace(System.out);
                System.exit(3);
            }
        }

        static final class AtomicReferenceHolder {
            volatile Throwable value;
        }

        private static void dumpAll() {
            Thread.getAllStackTraces().forEach((t, st) -> {
                System.out.println(t + " " + t.getState());
                for (StackTraceElement e : st) {
                    System.out.println("    at " + e);
                }
            });
        }

        static void check(boolean condition, String message) {
            if (!condition) {
                throw new AssertionError(message);
            }
        }

        static void checkWord(Mutex<?> m, int expected, String when) {
            int word = StateWord.of(m);
            check(word == expected, when + ": state word " + hex(word) + ", expected " + hex(expected));
        }

        /**
         * Lets the other virtual threads run on the one carrier until {@code condition}, for at most 10 s:
         * yields, and after a few rounds sleeps, because a thread woken by its timer (a timed wait) is
         * submitted from outside the carrier, and a carrier busy with a thread that only yields may
         * never take it.
         */
        static void yieldUntil(BooleanSupplier condition, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int round = 0; !condition.getAsBoolean(); round++) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("timed out waiting for " + what);
                }
                if (round < 100) {
                    Thread.yield();
                } else {
                    Thread.sleep(1);
                }
            }
        }

        static void joinOrFail(Thread t, String what) throws InterruptedException {
            if (!t.join(Duration.ofSeconds(10))) {
                throw new AssertionError(what + ": " + t + " never finished (lost wake-up?), state "
                        + t.getState() + " " + java.util.Arrays.toString(t.getStackTrace()));
            }
        }

        /**
         * The driver acquires {@code m} with {@code acq}, runs {@code body} while holding it, and releases
         * it ({@code fair}: by unlockFair, for the guard kinds).
         */
        static <T> void holding(Mutex<T> m, Acq acq, boolean fair, Body body) throws Exception {
            switch (acq) {
                case LOCK, LOCK_INTERRUPTIBLY -> {
                    MutexGuard<T> g = acq == Acq.LOCK ? m.lock() : m.lockInterruptibly();
                    body.run();
                    if (fair) {
                        g.unlockFair();
                    } else {
                        g.close();
                    }
                }
                case WITH_LOCK -> {
                    Exception[] thrown = new Exception[1];
                    m.withLockDo(v -> {
                        try {
                            body.run();
                        } catch (Exception e) {
                            thrown[0] = e;
                        }
                    });
                    if (thrown[0] != null) {
                        throw thrown[0];
                    }
                }
                case VIEW -> {
                    Lock view = m.asLock();
                    view.lock();
                    try {
                        body.run();
                    } finally {
                        view.unlock();
                    }
                }
            }
        }

        /**
         * {@code waiters} threads wait on a condition; the driver notifies them all while the mutex is
         * free, so the first becomes the head woken in place (word QUEUED, lock free) and the others
         * wait behind it; none of them can run. The driver then acquires through the fast path: a FIFO
         * mutex must refuse (the driver queues behind all of them), the others take it at once from
         * the word QUEUED, with the owner record naming the driver. Its release, with the head still
         * unrun, re-armed and parked, or by unlockFair, must let every waiter through in order.
         */
        static void requeuedHeads(Fairness fairness, Acq acq, Release release, int waiters, boolean statistics)
                throws Exception {
            Mutex<List<String>> m = Mutex.builder().fairness(fairness).statistics(statistics).name("requeue")
                    .build(new ArrayList<>());
            int base = statistics ? PROFILED : 0;
            Condvar cv = new Condvar();
            List<Thread> ws = new ArrayList<>();
            for (int i = 0; i < waiters; i++) {
                String name = "W" + i;
                ws.add(Thread.ofVirtual().name(name).start(() -> {
                    try (MutexGuard<List<String>> g = m.lock()) {
                        cv.awaitUninterruptibly(g);
                        // a failed check leaves the name out, which the order check below reports
                        check(m.ownerThread() == Thread.currentThread(), name + "'s owner record: " + m.ownerThread());
                        g.get().add(name);
                    }
                }));
                int waiting = i + 1;
                yieldUntil(() -> cv.waiterCount() == waiting, name + " waiting on the condition");
            }
            checkWord(m, base, "every waiter waits on the condition, the mutex free");
            check(cv.notifyAllWaiters() == waiters, "notified all");
            // Nobody else can run: the first waiter is the head woken in place, the rest wait behind it.
            checkWord(m, QUEUED | base, "after the requeue onto the free mutex");
            check(m.queueLength() == waiters, "queue length " + m.queueLength());
            Thread me = Thread.currentThread();
            List<String> expected = new ArrayList<>();
            if (fairness == Fairness.FIFO) {
                holding(m, acq, false, () -> {
                    check(m.ownerThread() == me, "the driver holds, owner record " + m.ownerThread());
                    m.value().add("D");
                });
                for (int i = 0; i < waiters; i++) {
                    expected.add("W" + i);
                }
                expected.add("D");
            } else {
                boolean fair = release == Release.FAIR_BEFORE_HEAD_RUNS;
                holding(m, acq, fair, () -> {
                    checkWord(m, QUEUED | LOCKED | base, "the driver took it past the woken head");
                    check(m.ownerThread() == me, "owner record after the fast path: " + m.ownerThread());
                    String shown = m.toString();
                    check(shown.contains("locked by \"D\"") && shown.contains(waiters + " waiting"), "toString: " + shown);
                    m.value().add("D");
                    if (release == Release.AFTER_HEAD_REARMED) {
                        yieldUntil(() -> (StateWord.of(m) & SIGNAL) != 0, "the woken head to re-arm");
                        yieldUntil(() -> ws.get(0).getState() == Thread.State.WAITING, "the re-armed head to park");
                        checkWord(m, QUEUED | SIGNAL | LOCKED | base, "the head lost, re-armed and parked");
                        check(m.ownerThread() == me, "owner record while the head re-armed: " + m.ownerThread());
                    }
                });
                check(m.ownerThread() != me, "the driver released, but the owner record still names it");
                expected.add("D");
                for (int i = 0; i < waiters; i++) {
                    expected.add("W" + i);
                }
            }
            for (Thread w : ws) {
                joinOrFail(w, fairness + " " + acq + " " + release);
            }
            List<String> order = m.withLock(List::copyOf);
            check(order.equals(expected), "acquisition order " + order + ", expected " + expected);
            checkWord(m, base, "at quiescence");
            check(!m.isLocked() && m.queueLength() == 0 && m.ownerThread() == null,
                    "quiescent: " + m + " owner " + m.ownerThread());
            if (statistics) {
                // each waiter's lock() and re-acquisition, the driver's hold, and the withLock above
                long holds = 2L * waiters + 2;
                LockStatistics s = m.statistics().orElseThrow();
                check(s.acquisitions() == holds, "acquisitions counted " + s.acquisitions() + ", expected " + holds);
                check(s.holdTimes().count() == holds, "holds timed " + s.holdTimes().count() + ", expected " + holds);
            }
        }

        /**
         * BARGING: a timed waiter armed behind the driver's first hold; the release wakes it in place
         * (word QUEUED, lock free) and the driver takes the mutex again at once through the fast path
         * (hint QUEUED). The woken waiter loses, re-arms and times out while the driver holds (word
         * LOCKED: the queue emptied under the hint); then a new waiter arms SIGNAL. The driver's
         * release, with a hint that matches neither word, must wake that waiter.
         */
        static void timedHeadOvertakenThenNewWaiter(Acq acq, boolean statistics) throws Exception {
            Mutex<List<String>> m = Mutex.builder().fairness(Fairness.BARGING).statistics(statistics).name("timed")
                    .build(new ArrayList<>());
            int base = statistics ? PROFILED : 0;
            MutexGuard<List<String>> first = m.lock();
            AtomicBoolean timedOut = new AtomicBoolean();
            Thread w = Thread.ofVirtual().name("W").start(() -> {
                Optional<MutexGuard<List<String>>> g = m.tryLock(Duration.ofMillis(150));
                timedOut.set(g.isEmpty());
                g.ifPresent(MutexGuard::close);
            });
            yieldUntil(() -> m.queueLength() == 1 && w.getState() == Thread.State.TIMED_WAITING, "the timed waiter to park");
            checkWord(m, QUEUED | SIGNAL | LOCKED | base, "the timed waiter armed");
            first.close();
            checkWord(m, QUEUED | base, "the BARGING release woke the timed waiter in place");
            Thread me = Thread.currentThread();
            Thread[] x = new Thread[1];
            holding(m, acq, false, () -> {
                checkWord(m, QUEUED | LOCKED | base, "the driver took it past the woken waiter");
                check(m.ownerThread() == me, "owner record " + m.ownerThread());
                yieldUntil(() -> !w.isAlive(), "the timed waiter to give up");
                check(timedOut.get(), "the timed waiter got a mutex the driver holds");
                checkWord(m, LOCKED | base, "the timed waiter left: the queue is empty");
                x[0] = Thread.ofVirtual().name("X").start(() -> m.withLockDo(l -> l.add("X")));
                yieldUntil(() -> m.queueLength() == 1 && x[0].getState() == Thread.State.WAITING, "the new waiter to park");
                checkWord(m, QUEUED | SIGNAL | LOCKED | base, "a new first waiter armed");
                check(m.ownerThread() == me, "owner record " + m.ownerThread());
            });
            joinOrFail(x[0], "the new waiter after a release with a stale hint (" + acq + ")");
            check(m.withLock(List::copyOf).equals(List.of("X")), "X got the mutex once");
            checkWord(m, base, "at quiescence");
            check(m.ownerThread() == null && m.queueLength() == 0, "quiescent: " + m);
        }
    }

    // ------------------------------------------------------------------ storms

    static Stream<Arguments> fairnessAndKind() {
        List<Arguments> all = new ArrayList<>();
        for (Fairness f : Fairness.values()) {
            for (Kind k : Kind.values()) {
                all.add(Arguments.of(f, k));
            }
        }
        return all.stream();
    }

    /**
     * Every acquisition kind at once, with timed waiters giving up mid-storm, interrupts, condition
     * waits, unlockFair, bump and asynchronous callbacks: exclusion (the box), the owner record (the
     * current thread inside every thread-held critical section, never the current thread once it
     * released), every operation finished, and a quiescent mutex afterwards.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("fairnessAndKind")
    void stormOfEveryAcquisitionKind(Fairness fairness, Kind kind) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).name("storm").build(new ExclusionBox());
        Lock view = m.asLock();
        Condvar cv = new Condvar();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong bumps = new AtomicLong();
        AtomicInteger asyncPending = new AtomicInteger();
        AtomicLong queuedSeen = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            threads.add(start(kind.virtual(i), "s" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                Thread me = Thread.currentThread();
                Runnable owned = () -> {
                    if (m.ownerThread() != me) {
                        throw new AssertionError("inside the critical section, the owner record is " + m.ownerThread());
                    }
                };
                Runnable released = () -> {
                    if (m.ownerThread() == me) {
                        throw new AssertionError("released, but the owner record still names " + me);
                    }
                };
                while (System.nanoTime() - end < 0) {
                    if (m.hasQueuedWaiters()) {
                        queuedSeen.incrementAndGet();
                    }
                    switch (r.nextInt(13)) {
                        case 0 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                owned.run();
                                g.get().bump();
                                bumps.incrementAndGet();
                            }
                            released.run();
                        }
                        case 1 -> {
                            try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                                owned.run();
                                g.get().bump();
                                bumps.incrementAndGet();
                            } catch (InterruptedException e) {
                                // the interrupter's; nothing held
                            }
                            released.run();
                        }
                        case 2 -> {
                            m.withLockDo(b -> {
                                owned.run();
                                b.bump();
                                bumps.incrementAndGet();
                            });
                            released.run();
                        }
                        case 3 -> {
                            m.update(b -> {
                                owned.run();
                                b.bump();
                                bumps.incrementAndGet();
                                return b;
                            });
                            released.run();
                        }
                        case 4 -> {
                            Optional<MutexGuard<ExclusionBox>> g = m.tryLock(Duration.ofNanos(r.nextInt(1, 100_000)));
                            if (g.isPresent()) {
                                try (MutexGuard<ExclusionBox> h = g.get()) {
                                    owned.run();
                                    h.get().bump();
                                    bumps.incrementAndGet();
                                }
                            }
                            released.run();
                        }
                        case 5 -> {
                            Optional<MutexGuard<ExclusionBox>> g = m.tryLock(Duration.ofSeconds(20));
                            if (g.isEmpty()) {
                                throw new AssertionError("a timed waiter with a 20 s bound never got the mutex");
                            }
                            try (MutexGuard<ExclusionBox> h = g.get()) {
                                owned.run();
                                h.get().bump();
                                bumps.incrementAndGet();
                            }
                            released.run();
                        }
                        case 6 -> {
                            view.lock();
                            try {
                                owned.run();
                                m.value().bump();
                                bumps.incrementAndGet();
                            } finally {
                                view.unlock();
                            }
                            released.run();
                        }
                        case 7 -> {
                            boolean got;
                            try {
                                got = r.nextBoolean()
                                        ? view.tryLock(r.nextInt(1, 100_000), TimeUnit.NANOSECONDS)
                                        : lockViewInterruptibly(view);
                            } catch (InterruptedException e) {
                                got = false;
                            }
                            if (got) {
                                try {
                                    owned.run();
                                    m.value().bump();
                                    bumps.incrementAndGet();
                                } finally {
                                    view.unlock();
                                }
                            }
                            released.run();
                        }
                        case 8 -> {
                            if (asyncPending.get() < 16) {
                                asyncPending.incrementAndGet();
                                m.lockAsync(new LockCallback<MutexGuard<ExclusionBox>>() {
                                    @Override
                                    public void onLocked(MutexGuard<ExclusionBox> guard) {
                                        try {
                                            guard.get().bump();
                                            bumps.incrementAndGet();
                                        } catch (Throwable t) {
                                            errors.add(t);
                                        } finally {
                                            guard.close();
                                            asyncPending.decrementAndGet();
                                        }
                                    }

                                    @Override
                                    public void onFailed(Throwable cause) {
                                        errors.add(cause);
                                        asyncPending.decrementAndGet();
                                    }
                                });
                            }
                        }
                        case 9 -> {
                            try (MutexGuard<ExclusionBox> g = m.lockAsync().join()) {
                                g.get().bump();
                                bumps.incrementAndGet();
                            }
                        }
                        case 10 -> {
                            MutexGuard<ExclusionBox> g = m.lock();
                            try {
                                owned.run();
                                g.get().bump();
                                bumps.incrementAndGet();
                                g.bump();
                                owned.run();
                            } finally {
                                if (r.nextBoolean()) {
                                    g.unlockFair();
                                } else {
                                    g.close();
                                }
                            }
                            released.run();
                        }
                        case 11 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                cv.notifyOne();
                                try {
                                    cv.await(g, Duration.ofNanos(r.nextInt(1, 100_000)));
                                } catch (InterruptedException e) {
                                    // held again all the same
                                }
                                owned.run();
                                g.get().bump();
                                bumps.incrementAndGet();
                            }
                            released.run();
                        }
                        default -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                owned.run();
                                g.get().bump();
                                bumps.incrementAndGet();
                                cv.notifyAllWaiters();
                            }
                            released.run();
                        }
                    }
                }
                Thread.interrupted(); // whatever the interrupter left
            })));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread interrupter = start(false, "interrupter", () -> {
            while (!stop.get()) {
                threads.get(ThreadLocalRandom.current().nextInt(threads.size())).interrupt();
                LockSupport.parkNanos(500_000);
            }
        });
        joinAll(threads, 30_000, errors, stop, interrupter);
        awaitUntil(() -> asyncPending.get() == 0);
        assertTrue(errors.isEmpty(), () -> "callback errors: " + errors);
        assertEquals(bumps.get(), (long) m.withLock(b -> b.n), "bumps counted");
        assertQuiescent(m);
        assertTrue(queuedSeen.get() > 0, "the storm never saw waiters queued: it exercised nothing");
    }

    private static boolean lockViewInterruptibly(Lock view) throws InterruptedException {
        view.lockInterruptibly();
        return true;
    }

    // ------------------------------------------------------------------ FIFO arrival order

    /**
     * FIFO: four waiters queue behind a holder in a known order (one per acquisition kind); only then
     * do bargers start, hammering every fast-path kind. The queued four must hold the mutex in their
     * order before any of those later arrivals.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void fifoArrivalsAfterTheQueueFormedNeverOvertakeIt(Kind kind) throws Exception {
        for (int round = 0; round < 3; round++) {
            Mutex<List<String>> m = Mutex.builder().fairness(Fairness.FIFO).build(Collections.synchronizedList(new ArrayList<>()));
            Lock view = m.asLock();
            MutexGuard<List<String>> holder = m.lock();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> queued = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                String name = "Q" + i;
                int how = i;
                queued.add(start(kind.virtual(i), name, guarded(errors, () -> acquireAndLog(m, view, how, name))));
                int length = i + 1;
                awaitUntil(() -> m.queueLength() == length);
            }
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> bargers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "B" + i;
                bargers.add(start(kind.virtual(i + 1), name, guarded(errors, () -> {
                    int k = 0;
                    while (!stop.get()) {
                        acquireAndLog(m, view, k++, name);
                    }
                })));
            }
            awaitUntil(() -> m.queueLength() >= 5); // a barger waits behind the four
            holder.close();
            joinAll(queued, 10_000, errors);
            stop.set(true);
            joinAll(bargers, 10_000, errors);
            List<String> order = m.withLock(List::copyOf);
            assertEquals(List.of("Q0", "Q1", "Q2", "Q3"), order.subList(0, 4),
                    () -> "FIFO order; acquisitions: " + order.subList(0, Math.min(order.size(), 12)));
            assertQuiescent(m);
        }
    }

    /**
     * FIFO: condition waiters notified while the mutex is free are requeued onto it, the first woken
     * in place (the word is QUEUED with the lock free: exactly where a read-first fast path that
     * ignored FIFO would take it). Acquisitions that begin after the notification, the notifier's own
     * included, must come after every notified waiter.
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void fifoArrivalsAfterARequeueOntoAFreeMutexNeverOvertakeIt(Kind kind) throws Exception {
        for (int round = 0; round < 12; round++) {
            Mutex<List<String>> m = Mutex.builder().fairness(Fairness.FIFO).build(Collections.synchronizedList(new ArrayList<>()));
            Lock view = m.asLock();
            Condvar cv = new Condvar();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String name = "W" + i;
                waiters.add(start(kind.virtual(i), name, guarded(errors, () -> {
                    try (MutexGuard<List<String>> g = m.lock()) {
                        cv.awaitUninterruptibly(g);
                        g.get().add(name);
                    }
                })));
                int count = i + 1;
                awaitUntil(() -> cv.waiterCount() == count);
            }
            AtomicBoolean go = new AtomicBoolean();
            List<Thread> bargers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                String name = "B" + i;
                int how = round + i;
                bargers.add(start(kind.virtual(i + 1), name, guarded(errors, () -> {
                    while (!go.get()) {
                        Thread.onSpinWait();
                    }
                    acquireAndLog(m, view, how, name);
                })));
            }
            assertFalse(m.isLocked());
            assertEquals(3, cv.notifyAllWaiters());
            go.set(true);
            acquireAndLog(m, view, round, "N"); // the notifier, at once
            joinAll(waiters, 10_000, errors);
            joinAll(bargers, 10_000, errors);
            List<String> order = m.withLock(List::copyOf);
            int r = round;
            assertEquals(6, order.size(), () -> "round " + r + ": acquisition order " + order);
            assertEquals(List.of("W0", "W1", "W2"), order.subList(0, 3), () -> "round " + r + ": FIFO order " + order);
            assertQuiescent(m);
        }
    }

    /**
     * FIFO under churn: condition waiters are notified by a thread that does not hold the mutex, so
     * whenever it is free the first of them becomes a head woken in place (QUEUED set, SIGNAL clear),
     * which on a FIFO mutex nobody but that head may take. Arrivals hammer the fast-path kinds; the
     * word changes between their read and their CAS (0 to QUEUED by a requeue, and back). Inside
     * every critical section the word must not read QUEUED without SIGNAL: the holder would have
     * taken the mutex past a woken head (a FIFO mutex hands off, and arms the next head, in every
     * other case).
     */
    @ParameterizedTest
    @EnumSource(Kind.class)
    void fifoNeverTakenPastAHeadWokenInPlaceUnderChurn(Kind kind) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(Fairness.FIFO).build(new ExclusionBox());
        Lock view = m.asLock();
        Condvar cv = new Condvar();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong bumps = new AtomicLong();
        AtomicLong requeuedOntoFree = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
        Runnable inside = () -> {
            int word = StateWord.of(m);
            if ((word & (QUEUED | SIGNAL)) == QUEUED) {
                throw new AssertionError("FIFO mutex held with a head woken in place still queued: word " + hex(word)
                        + ", holder " + Thread.currentThread());
            }
            m.value().bump();
            bumps.incrementAndGet();
        };
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(start(kind.virtual(i), "awaiter" + i, guarded(errors, () -> {
                while (System.nanoTime() - end < 0) {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        cv.await(g, Duration.ofMillis(1));
                        inside.run();
                    }
                }
            })));
        }
        // A platform thread: spinning, it would hold a carrier the virtual threads need.
        threads.add(start(false, "notifier", guarded(errors, () -> {
            while (System.nanoTime() - end < 0) {
                if (cv.hasWaiters() && !m.isLocked() && cv.notifyAllWaiters() > 0) {
                    requeuedOntoFree.incrementAndGet();
                }
                Thread.onSpinWait();
            }
        })));
        for (int i = 0; i < 3; i++) {
            threads.add(start(kind.virtual(i), "arrival" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                int k = 0;
                while (System.nanoTime() - end < 0) {
                    if (r.nextInt(4) == 0) {
                        // let the queue drain now and then: FIFO hand-offs would keep the mutex held for ever
                        LockSupport.parkNanos(r.nextInt(1_000, 50_000));
                    }
                    switch (k++ % 4) {
                        case 0 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                inside.run();
                            }
                        }
                        case 1 -> {
                            try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                                inside.run();
                            }
                        }
                        case 2 -> m.withLockDo(b -> inside.run());
                        default -> {
                            view.lock();
                            try {
                                inside.run();
                            } finally {
                                view.unlock();
                            }
                        }
                    }
                }
            })));
        }
        joinAll(threads, 30_000, errors);
        assertEquals(bumps.get(), (long) m.withLock(b -> b.n), "bumps counted");
        assertQuiescent(m);
        assertTrue(requeuedOntoFree.get() > 0, "no notification ever found the mutex free: exercised nothing");
    }

    /** One acquisition by kind {@code how % 5}, which logs {@code name} while held. */
    private static void acquireAndLog(Mutex<List<String>> m, Lock view, int how, String name) throws Exception {
        switch (Math.floorMod(how, 5)) {
            case 0 -> {
                try (MutexGuard<List<String>> g = m.lock()) {
                    g.get().add(name);
                }
            }
            case 1 -> {
                try (MutexGuard<List<String>> g = m.lockInterruptibly()) {
                    g.get().add(name);
                }
            }
            case 2 -> m.withLockDo(l -> l.add(name));
            case 3 -> {
                view.lock();
                try {
                    m.value().add(name);
                } finally {
                    view.unlock();
                }
            }
            default -> {
                Optional<MutexGuard<List<String>>> g = m.tryLock(Duration.ofSeconds(20));
                assertTrue(g.isPresent(), "a 20 s timed wait");
                try (MutexGuard<List<String>> h = g.get()) {
                    h.get().add(name);
                }
            }
        }
    }

    // ------------------------------------------------------------------ profiled mutexes

    /**
     * Statistics on (PROFILED from construction): the fast path must leave every acquisition to the
     * core, which counts it and times its hold, with or without waiters queued, whatever the policy.
     */
    @ParameterizedTest
    @EnumSource(Fairness.class)
    void statisticsCountEveryFastPathKindUnderContention(Fairness fairness) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).statistics(true).build(new ExclusionBox());
        Lock view = m.asLock();
        Condvar cv = new Condvar();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong acquisitions = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(400);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            threads.add(start(i % 2 == 1, "p" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (System.nanoTime() - end < 0) {
                    acquisitions.addAndGet(AcquisitionKinds.bumpOnce(m, view, cv, r.nextInt(AcquisitionKinds.COUNT)));
                }
            })));
        }
        joinAll(threads, 30_000, errors);
        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(acquisitions.get(), s.acquisitions(), () -> "acquisitions counted: " + s);
        assertEquals(acquisitions.get(), s.holdTimes().count(), () -> "holds timed: " + s);
        assertEquals(s.contendedAcquisitions(), s.waitTimes().count(), () -> "contended waits recorded: " + s);
        assertEquals(hex(PROFILED), hex(StateWord.of(m)), "a statistics mutex stays PROFILED, and nothing else");
        assertQuiescent(m);
    }

    /**
     * JFR only: a mutex made PROFILED by a contended arrival while a recording enables the long-hold
     * event (threshold zero). From then on every hold, taken by any fast-path kind on any policy,
     * must be begun by the core and reported: one LongHold event per hold.
     */
    @ParameterizedTest
    @EnumSource(Fairness.class)
    void jfrProfiledMutexReportsEveryHoldTakenThroughTheFastPathKinds(Fairness fairness) throws Exception {
        String name = "read-first-jfr-" + fairness;
        Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).name(name).build(new ExclusionBox());
        Lock view = m.asLock();
        int each = 10;
        Path file = Files.createTempFile("read-first", ".jfr");
        try {
            try (Recording r = new Recording()) {
                r.enable(LONG_HOLD).withThreshold(Duration.ZERO);
                r.start();
                MutexGuard<ExclusionBox> held = m.lock(); // not profiled yet: this hold is not reported
                Thread waiter = start(true, "waiter", () -> m.withLockDo(ExclusionBox::bump)); // profiles it; reported
                awaitUntil(() -> m.queueLength() == 1 && (StateWord.of(m) & PROFILED) != 0);
                held.close();
                waiter.join(10_000);
                assertFalse(waiter.isAlive(), "the waiter finished");
                assertEquals(hex(PROFILED), hex(StateWord.of(m)), "profiled, free, nobody queued");
                for (int k = 0; k < each; k++) {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        g.get().bump();
                    }
                    try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                        g.get().bump();
                    }
                    m.withLockDo(ExclusionBox::bump);
                    m.update(b -> b);
                    view.lock();
                    view.unlock();
                }
                assertEquals(hex(PROFILED), hex(StateWord.of(m)), "still profiled while the recording wants it");
                r.stop();
                r.dump(file);
            }
            List<RecordedEvent> holds = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals(LONG_HOLD))
                    .filter(e -> name.equals(e.getString("lockName")))
                    .toList();
            assertEquals(1 + 5 * each, holds.size(), "LongHold events: the waiter's hold and every later one");
        } finally {
            Files.deleteIfExists(file);
        }
        assertEquals(1L + 3 * each, (long) m.withLock(b -> b.n));
        assertFalse(m.isLocked());
        assertNull(m.ownerThread());
    }

    // ------------------------------------------------------------------ incidental: a condition waiter's owner record

    static Stream<Arguments> handOffsToAConditionWaiter() {
        List<Arguments> all = new ArrayList<>();
        for (boolean virtual : new boolean[] {false, true}) {
            all.add(Arguments.of(Fairness.FIFO, false, virtual, false)); // a FIFO release hands off
            all.add(Arguments.of(Fairness.FIFO, false, virtual, true)); // the same through the Lock view's Condition
            all.add(Arguments.of(Fairness.EVENTUAL, true, virtual, false)); // unlockFair hands off
            all.add(Arguments.of(Fairness.BARGING, true, virtual, false));
        }
        return all.stream();
    }

    /**
     * A thread waiting on a condition, notified while the mutex is held, is moved onto the mutex's
     * queue but stays parked where it waited for the notification; a release that hands the mutex to
     * it (FIFO, unlockFair, or EVENTUAL's fairness timer) marks it GRANTED. It must be recorded as
     * the owner like every other exclusive hold a thread takes. It was not:
     * {@code RawCondvar.reacquireNotified} returned without recording it (only
     * {@code acquireBlocking}, which that path skips, did), so thread dumps, {@code ThreadMXBean},
     * {@code toString()} and the self-deadlock check did not see the holder.
     */
    @ParameterizedTest(name = "{0} unlockFair={1} virtual={2} viewCondition={3}")
    @MethodSource("handOffsToAConditionWaiter")
    void conditionWaiterHandedTheMutexIsRecordedAsItsOwner(Fairness fairness, boolean unlockFair, boolean virtual,
                                                           boolean viewCondition) throws Exception {
        Mutex<String> m = Mutex.builder().fairness(fairness).name("handed").build("v");
        Condvar cv = new Condvar();
        Lock view = m.asLock();
        Condition condition = view.newCondition();
        AtomicReference<Thread> ownerSeen = new AtomicReference<>();
        AtomicReference<String> shown = new AtomicReference<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Thread w = start(virtual, "W", guarded(errors, () -> {
            if (viewCondition) {
                view.lock();
                try {
                    condition.awaitUninterruptibly();
                    ownerSeen.set(m.ownerThread());
                    shown.set(m.toString());
                } finally {
                    view.unlock();
                }
            } else {
                try (MutexGuard<String> g = m.lock()) {
                    cv.awaitUninterruptibly(g);
                    ownerSeen.set(m.ownerThread());
                    shown.set(m.toString());
                }
            }
        }));
        awaitUntil(() -> !m.isLocked() && w.getState() == Thread.State.WAITING); // waits on the condition
        if (viewCondition) {
            view.lock();
            condition.signal(); // onto the mutex's queue, behind the held mutex: nobody is woken
            assertEquals(1, m.queueLength());
            view.unlock(); // FIFO: handed to W
        } else {
            MutexGuard<String> g = m.lock();
            assertTrue(cv.notifyOne());
            assertEquals(1, m.queueLength());
            if (unlockFair) {
                g.unlockFair();
            } else {
                g.close();
            }
        }
        joinAll(List.of(w), 10_000, errors);
        assertEquals(w, ownerSeen.get(), () -> "W holds the mutex, handed to it after its condition wait, but the owner"
                + " record is " + ownerSeen.get() + "; toString while it held it: " + shown.get());
        assertQuiescent(m);
    }
}
