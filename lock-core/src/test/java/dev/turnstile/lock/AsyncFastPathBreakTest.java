package dev.turnstile.lock;

import static dev.turnstile.lock.StateWord.QUEUED;
import static dev.turnstile.lock.StateWord.SIGNAL;
import static dev.turnstile.lock.StateWord.PROFILED;
import static dev.turnstile.lock.StateWord.LOCKED;
import static dev.turnstile.lock.Workers.guarded;
import static dev.turnstile.lock.Workers.joinAll;
import static dev.turnstile.lock.Workers.start;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.childjvm.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks on a1b4231: the asynchronous fast path ({@code Mutex.grantIfFree}, behind
 * {@link Mutex#lockAsync()}, {@link Mutex#lockAsync(LockOwner)} and {@link Mutex#lockIfFree}) takes
 * the mutex from the word it read when {@code mayTakeFree} allows it, that is also past queued
 * waiters when the policy lets arrivals barge, and its guard's release expects {@code QUEUED} if it
 * was set.
 *
 * <p>The step-by-step scenarios run on virtual threads on one carrier, in a JVM of their own: there
 * a head that a release woke in place cannot run while the scenario's thread keeps the carrier, so
 * the fast path meets exactly the word under attack (free, {@code QUEUED}, {@code SIGNAL} clear) and
 * the woken head is then let run at chosen points. The stress tests mix the fast path with blocking
 * platform and virtual threads under every fairness policy. Each ends quiescent: free, nothing
 * queued, state word 0 (or PROFILED), every hold counted.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AsyncFastPathBreakTest {

    private static long count(Mutex<ExclusionBox> m) {
        Long n = m.withLock(b -> b.n);
        return n;
    }

    /** Free, nothing queued, no core bit but PROFILED left, and the counter saw every counted hold. */
    private static void assertSettled(Mutex<ExclusionBox> m, long done) {
        assertFalse(m.isLocked(), m::toString);
        assertEquals(0, m.queueLength(), m::toString);
        assertEquals(done, count(m));
        int word = StateWord.of(m);
        assertEquals(0, word & ~PROFILED, () -> "state word at quiescence: " + Integer.toHexString(word));
    }

    // ------------------------------------------------------------------ step by step, one carrier

    /**
     * One scenario of {@link OneCarrier} in a JVM whose virtual threads share one carrier. See each
     * scenario's comment there.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "staleHintReleaseWakesTheReArmedHead",
        "staleHintReleaseAfterTheHeadTimedOutAndANewWaiterArmed",
        "fifoNeverPassesARequeuedCondvarWaiter",
        "eventualPassesARequeuedCondvarWaiterWhichStillGetsIn",
        "callbackQueuedBehindTheWokenHeadIsGrantedAfterIt",
        "unlockFairHandsTheAsyncHoldToTheWokenHead",
        "refusedInsideADeliveryEvenPastAWokenHead",
        "hundredThousandChainedGrantsPastAWokenHeadStayFlat",
        "ranksCheckedFirstAndTheHoldIsTheOwnersNotAThreads",
        "deadlockThroughAHoldTakenPastAWokenHeadIsFound",
    })
    void oneCarrier(String scenario) throws Exception {
        String cp = String.join(java.io.File.pathSeparator,
                ChildJvm.location(Mutex.class), ChildJvm.location(AsyncFastPathBreakTest.class));
        String out = ChildJvm.run(List.of("-Djdk.virtualThreadScheduler.parallelism=1",
                "-Djdk.virtualThreadScheduler.maxPoolSize=1", "-cp", cp),
                OneCarrier.class, Duration.ofSeconds(40), scenario);
        assertTrue(out.contains(scenario + " ok"), out);
    }

    /** The child JVM's scenarios (no JUnit on its class path): {@code main(scenario)}. */
    public static final class OneCarrier {
        private static final ConcurrentLinkedQueue<Throwable> ERRORS = new ConcurrentLinkedQueue<>();

        public static void main(String[] args) throws Exception {
            String scenario = args[0];
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread driver = Thread.ofVirtual().name("driver").start(() -> {
                try {
                    OneCarrier.class.getDeclaredMethod(scenario).invoke(null);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    failure.set(e.getCause());
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            if (!driver.join(Duration.ofSeconds(30))) {
                System.out.println("driver stuck: " + Arrays.toString(driver.getStackTrace()));
                System.exit(2);
            }
            if (failure.get() != null || !ERRORS.isEmpty()) {
                if (failure.get() != null) {
                    failure.get().printStackTrace(System.out);
                }
                for (Throwable t : ERRORS) {
                    t.printStackTrace(System.out);
                }
                System.exit(1);
            }
            System.out.println(scenario + " ok");
        }

        static void check(boolean ok, String message) {
            if (!ok) {
                throw new AssertionError(message);
            }
        }

        static String word(Mutex<?> m) {
            return Integer.toHexString(StateWord.of(m)) + " " + m;
        }

        /** A virtual thread whose failures are reported. */
        static Thread vthread(String name, Workers.ThrowingRunnable body) {
            return Thread.ofVirtual().name(name).start(() -> {
                try {
                    body.run();
                } catch (Throwable t) {
                    ERRORS.add(t);
                }
            });
        }

        /** Yields the carrier until {@code condition}; fails after 10 s. */
        static void yieldUntil(BooleanSupplier condition, String what) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!condition.getAsBoolean()) {
                check(System.nanoTime() < deadline, "never happened: " + what);
                Thread.yield();
            }
        }

        static void joined(Thread t, String what) throws InterruptedException {
            if (!t.join(Duration.ofSeconds(10))) {
                throw new AssertionError(what + ": " + t + " " + t.getState() + " " + Arrays.toString(t.getStackTrace()));
            }
        }

        static void settled(Mutex<int[]> m, int holds) {
            check(!m.isLocked(), "still locked: " + word(m));
            check(m.queueLength() == 0, "still queued: " + word(m));
            check(StateWord.of(m) == 0, "state word at quiescence: " + word(m));
            int n = m.withLock(v -> v[0]);
            check(n == holds, "holds counted " + n + ", expected " + holds);
        }

        /**
         * EVENTUAL on a clock that never moves (a release wakes the head in place, never hands over):
         * this thread holds {@code m}, starts {@code waiters} (each queues and parks), then releases.
         * The first waiter is then the woken head, still queued, and cannot run before this thread
         * yields or parks: the word is exactly QUEUED (free, SIGNAL clear).
         */
        static List<Thread> wokenHead(Mutex<int[]> m, Workers.ThrowingRunnable... waiters) {
            MutexGuard<int[]> held = m.lock();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < waiters.length; i++) {
                int n = i + 1;
                threads.add(vthread("waiter-" + n, waiters[i]));
                yieldUntil(() -> m.queueLength() == n, "waiter " + n + " queued");
            }
            held.get()[0]++;
            held.close();
            check(StateWord.of(m) == QUEUED, "a free word with the woken head queued: " + word(m));
            return threads;
        }

        static Mutex<int[]> eventual() {
            return Mutex.builder().clock(new ManualClock()).build(new int[1]);
        }

        static void lockOnce(Mutex<int[]> m) {
            try (MutexGuard<int[]> g = m.lock()) {
                g.get()[0]++;
            }
        }

        /**
         * The async hold taken past the woken head carries the QUEUED hint; the head then runs,
         * fails, re-arms SIGNAL and parks. The release (expecting QUEUED|LOCKED, finding
         * QUEUED|SIGNAL|LOCKED) must wake it: a release that only freed the lock bit would strand it.
         */
        static void staleHintReleaseWakesTheReArmedHead() throws Exception {
            Mutex<int[]> m = eventual();
            Thread w = wokenHead(m, () -> lockOnce(m)).get(0);
            MutexGuard<int[]> g = m.lockIfFree(null);
            check(g != null, "lockIfFree refused a free mutex past a woken head under EVENTUAL: " + word(m));
            check(StateWord.of(m) == (QUEUED | LOCKED), "taken with the core bits kept: " + word(m));
            check(m.ownerThread() == null, "an async hold has no owner thread");
            yieldUntil(() -> (StateWord.of(m) & SIGNAL) != 0, "the woken head re-armed");
            g.get()[0]++;
            g.close();
            joined(w, "the re-armed head was never woken (lost wake-up)");
            settled(m, 3);
        }

        /**
         * The timed head gives up while the async hold is held: the queue empties (word LOCKED). A new
         * waiter arrives and arms SIGNAL. The QUEUED-hinted release must wake it.
         */
        static void staleHintReleaseAfterTheHeadTimedOutAndANewWaiterArmed() throws Exception {
            Mutex<int[]> m = eventual();
            AtomicBoolean gaveUp = new AtomicBoolean();
            Thread w = wokenHead(m, () -> gaveUp.set(m.tryLock(Duration.ofMillis(50)).isEmpty())).get(0);
            CompletableFuture<MutexGuard<int[]>> f = m.lockAsync();
            check(f.isDone(), "lockAsync() did not complete at once past the woken head: " + word(m));
            MutexGuard<int[]> g = f.join();
            joined(w, "the timed head never gave up");
            check(gaveUp.get(), "the timed head got a lock held all along");
            check(StateWord.of(m) == LOCKED, "the timed-out head left an empty queue: " + word(m));
            Thread w2 = vthread("new-first", () -> lockOnce(m));
            yieldUntil(() -> m.queueLength() == 1 && (StateWord.of(m) & SIGNAL) != 0, "the new waiter armed");
            g.get()[0]++;
            g.close();
            joined(w2, "the new first waiter was never woken (lost wake-up)");
            settled(m, 3);
        }

        /**
         * FIFO: a notify with the mutex free wakes the requeued condvar waiter in place (word QUEUED,
         * free). Neither fast path may pass it; the async acquisition queues behind it and gets the
         * mutex after it.
         */
        static void fifoNeverPassesARequeuedCondvarWaiter() throws Exception {
            Mutex<int[]> m = Mutex.builder().fairness(Fairness.FIFO).build(new int[1]);
            Condvar cv = new Condvar();
            AtomicBoolean notified = new AtomicBoolean();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            Thread w = vthread("cv-waiter", () -> {
                try (MutexGuard<int[]> g = m.lock()) {
                    while (!notified.get()) {
                        cv.await(g);
                    }
                    g.get()[0]++;
                    order.add("waiter");
                }
            });
            yieldUntil(cv::hasWaiters, "the condvar waiter waits");
            check(StateWord.of(m) == 0, "free, nothing queued: " + word(m));
            notified.set(true);
            check(cv.notifyOne(), "notified");
            check(StateWord.of(m) == QUEUED, "the requeued waiter woken in place: " + word(m));
            check(m.lockIfFree(null) == null, "lockIfFree passed a queued waiter of a FIFO mutex: " + word(m));
            CompletableFuture<MutexGuard<int[]>> f = m.lockAsync();
            check(!f.isDone(), "lockAsync() passed a queued waiter of a FIFO mutex: " + word(m));
            joined(w, "the requeued waiter never ran");
            MutexGuard<int[]> g = f.get(10, TimeUnit.SECONDS);
            order.add("async");
            g.get()[0]++;
            g.close();
            check(order.equals(List.of("waiter", "async")), "FIFO order: " + order);
            settled(m, 2);
        }

        /** EVENTUAL: the async fast path may pass the requeued waiter woken in place; it still gets in. */
        static void eventualPassesARequeuedCondvarWaiterWhichStillGetsIn() throws Exception {
            Mutex<int[]> m = eventual();
            Condvar cv = new Condvar();
            AtomicBoolean notified = new AtomicBoolean();
            Thread w = vthread("cv-waiter", () -> {
                try (MutexGuard<int[]> g = m.lock()) {
                    while (!notified.get()) {
                        cv.await(g);
                    }
                    g.get()[0]++;
                }
            });
            yieldUntil(cv::hasWaiters, "the condvar waiter waits");
            notified.set(true);
            check(cv.notifyOne(), "notified");
            check(StateWord.of(m) == QUEUED, "the requeued waiter woken in place: " + word(m));
            MutexGuard<int[]> g = m.lockIfFree(null);
            check(g != null, "lockIfFree refused a free EVENTUAL mutex past a woken head: " + word(m));
            yieldUntil(() -> (StateWord.of(m) & SIGNAL) != 0, "the requeued waiter re-armed");
            g.get()[0]++;
            g.close();
            joined(w, "the requeued condvar waiter was stranded");
            settled(m, 2);
        }

        /**
         * A callback waiter queued behind the woken head (a callback is always handed the lock, so it
         * never heads a free word itself): the async hold passes both; its release (SIGNAL clear) only
         * frees the bit; the head takes the mutex, arms the callback, and its release hands over.
         */
        static void callbackQueuedBehindTheWokenHeadIsGrantedAfterIt() throws Exception {
            Mutex<int[]> m = eventual();
            MutexGuard<int[]> held = m.lock();
            Thread w = vthread("head", () -> lockOnce(m));
            yieldUntil(() -> m.queueLength() == 1, "the head queued");
            CompletableFuture<Void> called = new CompletableFuture<>();
            m.lockAsync(new LockCallback<MutexGuard<int[]>>() {
                @Override
                public void onLocked(MutexGuard<int[]> g) {
                    g.get()[0]++;
                    g.close();
                    called.complete(null);
                }

                @Override
                public void onFailed(Throwable cause) {
                    called.completeExceptionally(cause);
                }
            });
            check(m.queueLength() == 2, "the callback queued behind the head: " + word(m));
            held.get()[0]++;
            held.close();
            check(StateWord.of(m) == QUEUED, "the thread head woken in place, the callback behind it: " + word(m));
            check(!called.isDone(), "the callback passed the head");
            MutexGuard<int[]> g = m.lockIfFree(null);
            check(g != null, "lockIfFree refused: " + word(m));
            g.get()[0]++;
            g.close();
            check(StateWord.of(m) == QUEUED, "the release left the queue to its head in flight: " + word(m));
            joined(w, "the woken head was stranded");
            called.get(10, TimeUnit.SECONDS);
            settled(m, 4);
        }

        /**
         * {@code unlockFair} of the async hold taken past the woken head hands the mutex to that head
         * (in flight, status WOKEN), with another waiter behind it: the lock never comes free between.
         */
        static void unlockFairHandsTheAsyncHoldToTheWokenHead() throws Exception {
            Mutex<int[]> m = eventual();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            List<Thread> ws = wokenHead(m, () -> {
                lockOnce(m);
                order.add("head");
            }, () -> {
                lockOnce(m);
                order.add("second");
            });
            MutexGuard<int[]> g = m.lockIfFree(null);
            check(g != null, "lockIfFree refused: " + word(m));
            g.get()[0]++;
            g.unlockFair();
            check(m.isLocked(), "unlockFair freed the mutex instead of handing it over: " + word(m));
            check(m.lockIfFree(null) == null, "taken while handed over: " + word(m));
            joined(ws.get(0), "the head the mutex was handed to");
            joined(ws.get(1), "the waiter behind it");
            check(order.equals(List.of("head", "second")), "order " + order);
            settled(m, 4);
        }

        /**
         * Inside a delivery (a grant's callback running on this thread) the fast path is refused even
         * where it now passes a woken head: lockIfFree gives null, lockAsync() returns an incomplete
         * future, completed once the delivery returns.
         */
        static void refusedInsideADeliveryEvenPastAWokenHead() throws Exception {
            Mutex<int[]> m = eventual();
            Thread w = wokenHead(m, () -> lockOnce(m)).get(0);
            Mutex<int[]> other = new Mutex<>(new int[1]);
            AtomicReference<MutexGuard<int[]>> inside = new AtomicReference<>();
            AtomicReference<CompletableFuture<MutexGuard<int[]>>> future = new AtomicReference<>();
            AtomicBoolean doneInside = new AtomicBoolean(true);
            LockCallback.deliver(new LockCallback<MutexGuard<int[]>>() {
                @Override
                public void onLocked(MutexGuard<int[]> o) {
                    inside.set(m.lockIfFree(null));
                    future.set(m.lockAsync());
                    doneInside.set(future.get().isDone());
                    o.close();
                }

                @Override
                public void onFailed(Throwable cause) {
                    ERRORS.add(cause);
                }
            }, other.lockIfFree(null));
            check(inside.get() == null, "lockIfFree took the mutex inside a delivery");
            check(!doneInside.get(), "lockAsync() completed inside a delivery");
            check(future.get().isDone(), "the queued acquisition was not granted once the delivery returned: " + word(m));
            MutexGuard<int[]> g = future.get().join();
            g.get()[0]++;
            g.close();
            joined(w, "the woken head was stranded");
            settled(m, 3);
        }

        /**
         * 100,000 acquisitions chained from delivered callbacks and from continuations of futures
         * granted in a delivery, while a woken head stays queued (every arrival barges past it):
         * the stack stays flat.
         */
        static void hundredThousandChainedGrantsPastAWokenHeadStayFlat() throws Exception {
            Mutex<int[]> m = eventual();
            Thread w = wokenHead(m, () -> lockOnce(m)).get(0);
            int n = 100_000;
            AtomicInteger left = new AtomicInteger(n);
            AtomicInteger maxDepth = new AtomicInteger();
            AtomicInteger takenInside = new AtomicInteger();
            LockCallback<MutexGuard<int[]>> chain = new LockCallback<>() {
                @Override
                public void onLocked(MutexGuard<int[]> g) {
                    g.get()[0]++;
                    g.close();
                    int k = left.decrementAndGet();
                    if (k % 10_000 == 0) {
                        maxDepth.accumulateAndGet(StackWalker.getInstance().walk(s -> (int) s.count()), Math::max);
                    }
                    if (k > 0) {
                        MutexGuard<int[]> now = m.lockIfFree(null); // refused inside the delivery
                        if (now != null) {
                            takenInside.incrementAndGet();
                            LockCallback.deliver(this, now);
                        } else {
                            m.lockAsync(this, null, null);
                        }
                    }
                }

                @Override
                public void onFailed(Throwable cause) {
                    ERRORS.add(cause);
                }
            };
            MutexGuard<int[]> first = m.lockIfFree(null);
            check(first != null, "lockIfFree refused: " + word(m));
            LockCallback.deliver(chain, first);
            check(left.get() == 0, "chain stopped at " + left.get());
            check(takenInside.get() == 0, "the fast path took the mutex inside a delivery " + takenInside.get() + " times");

            // The future form, started by a grant: each continuation releases, then asks again.
            AtomicInteger futLeft = new AtomicInteger(n);
            CompletableFuture<Void> done = new CompletableFuture<>();
            Runnable[] next = new Runnable[1];
            next[0] = () -> m.lockAsync().thenAccept(g -> {
                g.get()[0]++;
                g.close();
                int k = futLeft.decrementAndGet();
                if (k % 10_000 == 0) {
                    maxDepth.accumulateAndGet(StackWalker.getInstance().walk(s -> (int) s.count()), Math::max);
                }
                if (k > 0) {
                    next[0].run();
                } else {
                    done.complete(null);
                }
            }).exceptionally(t -> {
                done.completeExceptionally(t);
                return null;
            });
            MutexGuard<int[]> start = m.lockIfFree(null);
            check(start != null, "lockIfFree refused: " + word(m));
            LockCallback.deliver(new LockCallback<MutexGuard<int[]>>() {
                @Override
                public void onLocked(MutexGuard<int[]> g) {
                    g.close();
                    next[0].run();
                }

                @Override
                public void onFailed(Throwable cause) {
                    ERRORS.add(cause);
                }
            }, start);
            done.get(20, TimeUnit.SECONDS);
            check(maxDepth.get() < 200, "the chains nested: stack depth " + maxDepth.get());
            check(StateWord.of(m) == QUEUED, "the woken head still queued, the mutex free: " + word(m));
            joined(w, "the woken head was stranded");
            settled(m, 2 + 2 * n);
        }

        /**
         * Ranked mutexes: lockIfFree checks the owner's rank before taking anything, even where it
         * would pass a woken head; the hold it takes past the head is recorded for the owner (a
         * re-acquisition by the owner is refused) and for no thread.
         */
        static void ranksCheckedFirstAndTheHoldIsTheOwnersNotAThreads() throws Exception {
            ManualClock clock = new ManualClock();
            Mutex<int[]> low = Mutex.builder().name("low").rank(1).clock(clock).build(new int[1]);
            Mutex<int[]> high = Mutex.builder().name("high").rank(2).clock(clock).build(new int[1]);
            LockOwner owner = LockOwner.named("task");
            Thread w = wokenHead(low, () -> lockOnce(low)).get(0);
            check(low.ownerThread() == null, "released: no owner thread");
            MutexGuard<int[]> h = high.lockIfFree(owner);
            check(h != null, "high is free");
            try {
                MutexGuard<int[]> wrong = low.lockIfFree(owner);
                throw new AssertionError("took low while holding high: " + wrong);
            } catch (LockOrderViolationException expected) {
                // refused
            }
            check(StateWord.of(low) == QUEUED, "the refused call changed the word: " + word(low));
            h.close();
            MutexGuard<int[]> g = low.lockIfFree(owner);
            check(g != null, "lockIfFree refused low past the woken head: " + word(low));
            check(low.ownerThread() == null, "an async hold recorded a thread: " + low.ownerThread());
            try {
                low.lockIfFree(owner);
                throw new AssertionError("the owner re-acquired low: its hold was not recorded");
            } catch (LockOrderViolationException expected) {
                // the hold is the owner's
            }
            check(low.lockIfFree(null) == null, "taken twice");
            MutexGuard<int[]> h2 = high.lockIfFree(owner);
            check(h2 != null, "low then high is in order");
            h2.close();
            g.get()[0]++;
            g.close();
            MutexGuard<int[]> again = low.lockIfFree(owner); // the head is still frozen: free, queued
            check(again != null, "the owner's record of low outlived its release: " + word(low));
            again.get()[0]++;
            again.close();
            joined(w, "the woken head was stranded");
            settled(low, 4);
        }

        /**
         * A task takes x past the woken head T (which holds y), then waits for y: a real deadlock the
         * detector must report once T re-arms; withdrawing the task's wait and releasing x ends it.
         */
        static void deadlockThroughAHoldTakenPastAWokenHeadIsFound() throws Exception {
            ManualClock clock = new ManualClock();
            Mutex<int[]> x = Mutex.builder().name("x").detectDeadlocks().clock(clock).build(new int[1]);
            Mutex<int[]> y = Mutex.builder().name("y").detectDeadlocks().clock(clock).build(new int[1]);
            LockOwner owner = LockOwner.named("task");
            MutexGuard<int[]> heldX = x.lock();
            Thread t = vthread("t", () -> {
                try (MutexGuard<int[]> gy = y.lock(); MutexGuard<int[]> gx = x.lock()) {
                    gy.get()[0]++;
                    gx.get()[0]++;
                }
            });
            yieldUntil(() -> x.queueLength() == 1, "t holds y and waits for x");
            heldX.get()[0]++;
            heldX.close();
            check(StateWord.of(x) == QUEUED, "t woken in place: " + word(x));
            MutexGuard<int[]> gx = x.lockIfFree(owner);
            check(gx != null, "lockIfFree refused x past the woken head: " + word(x));
            CompletableFuture<MutexGuard<int[]>> fy = y.lockAsync(owner);
            check(!fy.isDone(), "y is held by t");
            yieldUntil(() -> (StateWord.of(x) & SIGNAL) != 0, "t re-armed on x");
            List<Deadlock> found = Deadlocks.detect();
            check(!found.isEmpty(), "the deadlock task -> y -> t -> x -> task was not found");
            check(fy.cancel(false), "the task's wait withdrawn");
            gx.close();
            joined(t, "t never got x");
            check(Deadlocks.detect().isEmpty(), "a phantom deadlock after it ended: " + Deadlocks.detect());
            settled(x, 2);
            settled(y, 1);
        }
    }

    // ------------------------------------------------------------------ stress

    static Stream<Arguments> fairnessAndKind() {
        return Stream.of(Fairness.values()).flatMap(f -> Stream.of(Arguments.of(f, false), Arguments.of(f, true)));
    }

    /**
     * Blocking acquirers of every kind and asynchronous ones of every kind on one mutex (the async
     * workers on platform or virtual threads, the blocking ones mixed): exclusion, every acquisition
     * finished, quiescent at the end. Counts how often the async fast path found waiters queued.
     */
    @ParameterizedTest(name = "{0}, async on virtual threads: {1}")
    @MethodSource("fairnessAndKind")
    void asyncFastPathAmongBlockingWaiters(Fairness fairness, boolean virtual) throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().fairness(fairness).build(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        AtomicLong pastQueue = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        int ops = 3000;
        // Samples the word: SIGNAL never comes with a free lock (so the fast path, which does not
        // look at SIGNAL, never meets an armed head on a free word), and a FIFO mutex with no
        // condition waiters never shows a free word with waiters queued (its releases hand over).
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong samples = new AtomicLong();
        AtomicReference<String> badWord = new AtomicReference<>();
        Thread sampler = start(false, "sampler", () -> {
            while (!stop.get()) {
                int w = StateWord.of(m);
                if ((w & SIGNAL) != 0 && (w & LOCKED) == 0) {
                    badWord.compareAndSet(null, "free with SIGNAL set: " + Integer.toHexString(w));
                }
                if (fairness == Fairness.FIFO && (w & QUEUED) != 0 && (w & LOCKED) == 0) {
                    badWord.compareAndSet(null, "FIFO free with waiters queued: " + Integer.toHexString(w));
                }
                if (samples.incrementAndGet() % 64 == 0) {
                    Thread.yield();
                }
            }
        });
        for (int i = 0; i < 3; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "blocking-" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < ops; k++) {
                    switch ((id + k) % 4) {
                        case 0 -> {
                            try (MutexGuard<ExclusionBox> g = m.lock()) {
                                g.get().bump();
                            }
                            done.incrementAndGet();
                        }
                        case 1 -> m.withLockDo(b -> {
                            b.bump();
                            done.incrementAndGet();
                        });
                        case 2 -> m.tryLock(Duration.ofNanos(r.nextInt(1, 100_000))).ifPresent(g -> {
                            g.get().bump();
                            done.incrementAndGet();
                            g.close();
                        });
                        default -> {
                            MutexGuard<ExclusionBox> g = m.lock();
                            g.get().bump();
                            done.incrementAndGet();
                            g.unlockFair();
                        }
                    }
                }
            })));
        }
        for (int i = 0; i < 2; i++) {
            LockOwner owner = LockOwner.named("task-" + i);
            threads.add(start(virtual, "async-" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < ops; k++) {
                    MutexGuard<ExclusionBox> g;
                    switch (r.nextInt(6)) {
                        case 0 -> {
                            g = m.lockIfFree(r.nextBoolean() ? owner : null);
                            if (g != null && (StateWord.of(m) & QUEUED) != 0) {
                                pastQueue.incrementAndGet();
                            }
                            if (g == null) {
                                g = m.lockAsync().get(20, TimeUnit.SECONDS);
                            }
                        }
                        case 1 -> g = m.lockAsync(owner).get(20, TimeUnit.SECONDS);
                        case 2 -> {
                            CompletableFuture<MutexGuard<ExclusionBox>> f = m.lockAsync();
                            g = f.cancel(false) ? null : f.get(20, TimeUnit.SECONDS);
                        }
                        case 3 -> {
                            try {
                                g = m.tryLockAsync(Duration.ofNanos(r.nextInt(1, 200_000))).get(20, TimeUnit.SECONDS);
                            } catch (java.util.concurrent.ExecutionException timedOut) {
                                assertTrue(timedOut.getCause() instanceof LockTimeoutException, timedOut::toString);
                                g = null;
                            }
                        }
                        case 4 -> {
                            CompletableFuture<MutexGuard<ExclusionBox>> got = new CompletableFuture<>();
                            LockCallback<MutexGuard<ExclusionBox>> cb = new LockCallback<>() {
                                @Override
                                public void onLocked(MutexGuard<ExclusionBox> guard) {
                                    got.complete(guard);
                                }

                                @Override
                                public void onFailed(Throwable cause) {
                                    got.completeExceptionally(cause);
                                }
                            };
                            MutexGuard<ExclusionBox> now = m.lockIfFree(owner);
                            if (now != null) {
                                LockCallback.deliver(cb, now);
                            } else {
                                m.lockAsync(cb, null, owner);
                            }
                            g = got.get(20, TimeUnit.SECONDS);
                        }
                        default -> {
                            CompletableFuture<Void> body = new CompletableFuture<>();
                            m.withLockAsync(guard -> {
                                guard.get().bump();
                                done.incrementAndGet();
                                return CompletableFuture.completedFuture(null);
                            }).whenComplete((v, t) -> body.complete(null));
                            body.get(20, TimeUnit.SECONDS);
                            g = null;
                        }
                    }
                    if (g != null) {
                        g.get().bump();
                        done.incrementAndGet();
                        g.close();
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors, stop, sampler);
        assertEquals(null, badWord.get(), "a word the fast path must never meet");
        assertSettled(m, done.get());
        System.out.println("asyncFastPathAmongBlockingWaiters " + fairness + " virtual=" + virtual
                + ": lockIfFree found waiters queued after taking " + pastQueue.get() + " times");
    }

    /**
     * 100,000 acquisitions chained from grants (each releases, then asks again from its
     * continuation, so each finds the mutex free or queued), started on a thread with a 256 KiB
     * stack, while blocking threads keep the queue busy: no StackOverflowError, no nesting, every
     * link counted.
     */
    @Test
    void chainedContinuationsStayFlatWhileBlockingThreadsQueue() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        int n = 100_000;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong churned = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> churners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            churners.add(start(i == 1, "churn-" + i, guarded(errors, () -> {
                while (!stop.get()) {
                    try (MutexGuard<ExclusionBox> g = m.lock()) {
                        g.get().bump();
                    }
                    churned.incrementAndGet();
                }
            })));
        }
        AtomicInteger left = new AtomicInteger(n);
        AtomicInteger maxDepth = new AtomicInteger();
        AtomicInteger takenInside = new AtomicInteger();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable[] next = new Runnable[1];
        next[0] = () -> m.lockAsync().thenAccept(g -> {
            try {
                g.get().bump();
                g.close();
                int k = left.decrementAndGet();
                if (k % 5_000 == 0) {
                    maxDepth.accumulateAndGet(StackWalker.getInstance().walk(s -> (int) s.count()), Math::max);
                }
                MutexGuard<ExclusionBox> now = m.lockIfFree(null); // inside the delivery: refused
                if (now != null) {
                    takenInside.incrementAndGet();
                    now.close();
                }
                if (k > 0) {
                    next[0].run();
                } else {
                    done.complete(null);
                }
            } catch (Throwable t) {
                done.completeExceptionally(t);
                throw t;
            }
        });
        Thread starter = new Thread(null, () -> {
            MutexGuard<ExclusionBox> held = m.lock();
            next[0].run(); // queued behind this hold: the chain starts with a grant
            held.close();
        }, "small-stack", 256 * 1024);
        starter.start();
        try {
            done.get(40, TimeUnit.SECONDS);
        } finally {
            stop.set(true);
            joinAll(churners, 20_000, errors);
            starter.join(5000);
        }
        assertEquals(0, takenInside.get(), "the fast path took the mutex inside a delivery");
        assertTrue(maxDepth.get() < 200, "the chain nested: stack depth " + maxDepth.get());
        assertSettled(m, n + churned.get());
    }

    /**
     * Statistics on (PROFILED always set): the async fast path must never take the mutex, so every
     * acquisition through every async form, mixed with blocking threads, is counted and timed once.
     */
    @Test
    void statisticsCountEveryAsyncAcquisitionOnce() throws Exception {
        Mutex<ExclusionBox> m = Mutex.builder().statistics(true).build(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong acquisitions = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 1, "s" + i, guarded(errors, () -> {
                LockOwner owner = LockOwner.named("s" + id);
                for (int k = 0; k < 800; k++) {
                    MutexGuard<ExclusionBox> g = switch ((id + k) % 5) {
                        case 0 -> m.lock();
                        case 1 -> m.lockIfFree(owner);
                        case 2 -> m.lockAsync().get(20, TimeUnit.SECONDS);
                        case 3 -> m.lockAsync(owner).get(20, TimeUnit.SECONDS);
                        default -> {
                            MutexGuard<ExclusionBox> now = m.lockIfFree(null);
                            yield now != null ? now : m.lockAsync().get(20, TimeUnit.SECONDS);
                        }
                    };
                    if (g != null) {
                        g.get().bump();
                        acquisitions.incrementAndGet();
                        g.close();
                    }
                }
            })));
        }
        joinAll(threads, 40_000, errors);
        LockStatistics s = m.statistics().orElseThrow();
        assertEquals(acquisitions.get(), s.acquisitions(), "acquisitions counted: " + s);
        assertEquals(acquisitions.get(), s.holdTimes().count(), "holds timed: " + s);
        assertEquals(s.contendedAcquisitions(), s.waitTimes().count(), "waits recorded: " + s);
        assertEquals(acquisitions.get(), count(m));
        assertEquals(PROFILED, StateWord.of(m), "a statistics mutex stays profiled, nothing else");
    }

    /**
     * JFR recordings switched on and off while async fast-path acquirers and blocking threads contend:
     * PROFILED comes and goes between the fast path's read and its CAS. Exclusion, progress, and the
     * word all zero once the recordings stop and one uncontended acquisition has run.
     */
    @Test
    void jfrTogglingUnderTheAsyncFastPath() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread toggler = start(false, "jfr-toggler", () -> {
            while (!stop.get()) {
                try (Recording r = new Recording()) {
                    r.enable("dev.turnstile.LongHold").withThreshold(Duration.ZERO);
                    r.enable("dev.turnstile.ContendedAcquisition").withThreshold(Duration.ZERO);
                    r.start();
                    QueuedFastPathBreakTest.LockSupportSleep.millis(ThreadLocalRandom.current().nextInt(1, 10));
                }
                QueuedFastPathBreakTest.LockSupportSleep.millis(ThreadLocalRandom.current().nextInt(1, 8));
            }
        });
        AtomicLong done = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int id = i;
            threads.add(start(i % 2 == 0, "j" + i, guarded(errors, () -> {
                for (int k = 0; k < 2500; k++) {
                    MutexGuard<ExclusionBox> g;
                    if (id < 2) {
                        g = m.lockIfFree(null);
                        if (g == null) {
                            g = m.lockAsync().get(20, TimeUnit.SECONDS);
                        }
                    } else {
                        g = m.lock();
                    }
                    g.get().bump();
                    done.incrementAndGet();
                    g.close();
                }
            })));
        }
        joinAll(threads, 40_000, errors, stop, toggler);
        assertSettled(m, done.get());
        m.withLock(b -> b); // uncontended, no recording: clears a PROFILED nothing wants
        assertEquals(0, StateWord.of(m), () -> "state word " + Integer.toHexString(StateWord.of(m)));
    }

    /**
     * Async holds (often taken past queued threads) closed on another thread, while timed waiters
     * keep queueing and giving up: every waiter finishes, nobody holds anything afterwards.
     */
    @Test
    void asyncHoldsClosedElsewhereWhileTimedWaitersGiveUp() throws Exception {
        Mutex<ExclusionBox> m = new Mutex<>(new ExclusionBox());
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        AtomicLong done = new AtomicLong();
        java.util.concurrent.ExecutorService closers = java.util.concurrent.Executors.newFixedThreadPool(2);
        List<Thread> threads = new ArrayList<>();
        CountDownLatch asyncDone = new CountDownLatch(1);
        for (int i = 0; i < 3; i++) {
            threads.add(start(i != 1, "timed-" + i, guarded(errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (asyncDone.getCount() > 0) {
                    m.tryLock(Duration.ofNanos(r.nextInt(1_000, 300_000))).ifPresent(g -> {
                        g.get().bump();
                        done.incrementAndGet();
                        g.close();
                    });
                }
            })));
        }
        threads.add(start(true, "async", guarded(errors, () -> {
            try {
                for (int k = 0; k < 3000; k++) {
                    MutexGuard<ExclusionBox> g = m.lockIfFree(null);
                    if (g == null) {
                        g = m.lockAsync().get(20, TimeUnit.SECONDS);
                    }
                    g.get().bump();
                    done.incrementAndGet();
                    MutexGuard<ExclusionBox> held = g;
                    // closed on another thread; one hold at a time, so the close must end it
                    CompletableFuture.runAsync(held::close, closers).get(20, TimeUnit.SECONDS);
                }
            } finally {
                asyncDone.countDown();
            }
        })));
        try {
            joinAll(threads, 40_000, errors);
        } finally {
            closers.shutdownNow();
        }
        assertSettled(m, done.get());
    }
}
