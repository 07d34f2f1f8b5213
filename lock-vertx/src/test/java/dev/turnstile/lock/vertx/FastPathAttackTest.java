package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.shareddata.Lock;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attacks on the free-lock fast path ({@link Mutex#lockIfFree}, the already-completed context-bound
 * futures of {@link VertxLocks} and {@link LocalLocks}) and on the swept {@link LocalLocks} registry.
 */
@ExtendWith(VertxExtension.class)
class FastPathAttackTest {

    // ------------------------------------------------------------------ registry: sweeps vs exclusion

    /**
     * Few hot names, idle between uses, so every sweep may retire them while event loops and plain
     * threads look them up; a churn of cold names forces insertion sweeps and a thread keeps calling
     * size(). Two different mutexes for one name at once would show as two holders inside.
     */
    @Test
    void fewHotNamesUnderConstantSweepsKeepExclusion(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        int hot = 3;
        int perActor = 3_000;
        AtomicInteger[] inside = new AtomicInteger[hot];
        AtomicLong[] counts = new AtomicLong[hot];
        for (int i = 0; i < hot; i++) {
            inside[i] = new AtomicInteger();
            counts[i] = new AtomicLong();
        }
        AtomicReference<String> broken = new AtomicReference<>();
        ExecutorService releasers = Executors.newFixedThreadPool(2);
        // Held: check exclusion, then release here or from another thread.
        java.util.function.BiConsumer<Integer, Lock> held = (n, lock) -> {
            if (inside[n].incrementAndGet() != 1) {
                broken.compareAndSet(null, "two holders of hot-" + n);
            }
            counts[n].incrementAndGet();
            Thread.onSpinWait();
            inside[n].decrementAndGet();
            if (ThreadLocalRandom.current().nextBoolean()) {
                lock.release();
            } else {
                releasers.execute(lock::release);
            }
        };
        int platformActors = 3;
        int loopActors = 3;
        CountDownLatch done = new CountDownLatch(platformActors + loopActors);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < platformActors; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perActor; i++) {
                    int n = ThreadLocalRandom.current().nextInt(hot);
                    CompletableFuture<Void> granted = new CompletableFuture<>();
                    locks.getLocalLock("hot-" + n).onSuccess(lock -> {
                        held.accept(n, lock);
                        granted.complete(null);
                    });
                    granted.join();
                }
                done.countDown();
            }));
        }
        for (int l = 0; l < loopActors; l++) {
            Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
            loop.runOnContext(v -> loopStep(locks, hot, perActor, held, done, loop));
        }
        AtomicInteger cold = new AtomicInteger();
        Thread churn = Thread.ofPlatform().start(() -> {
            while (done.getCount() > 0) {
                locks.getLocalLock("cold-" + cold.incrementAndGet()).onSuccess(Lock::release);
            }
        });
        Thread sizer = Thread.ofPlatform().start(() -> {
            while (done.getCount() > 0) {
                locks.size();
            }
        });
        assertTrue(done.await(120, TimeUnit.SECONDS), "stuck");
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(20));
        }
        churn.join(TimeUnit.SECONDS.toMillis(20));
        sizer.join(TimeUnit.SECONDS.toMillis(20));
        releasers.shutdown();
        assertTrue(releasers.awaitTermination(20, TimeUnit.SECONDS));
        assertNull(broken.get());
        long total = 0;
        for (AtomicLong c : counts) {
            total += c.get();
        }
        assertEquals((long) (platformActors + loopActors) * perActor, total);
        assertTrue(cold.get() > LocalLocks.SWEEP_FLOOR, "insertion sweeps ran: " + cold.get());
        await().atMost(Contexts.WAIT).until(() -> locks.size() == 0);
    }

    /** One event loop's acquisitions, one after another, each from the previous one's grant. */
    private static void loopStep(LocalLocks locks, int hot, int left,
            java.util.function.BiConsumer<Integer, Lock> held, CountDownLatch done, Context loop) {
        if (left == 0) {
            done.countDown();
            return;
        }
        int n = ThreadLocalRandom.current().nextInt(hot);
        locks.getLocalLock("hot-" + n).onSuccess(lock -> {
            held.accept(n, lock);
            // next turn of the loop, so the stack does not grow with the chain
            loop.runOnContext(v -> loopStep(locks, hot, left - 1, held, done, loop));
        });
    }

    /**
     * A lock released twice, and again after a sweep retired its entry and a new holder took the
     * name: the extra releases change nothing (the new holder keeps the name, its entry is not made
     * idle by a stray decrement, so no sweep retires it under the holder).
     */
    @ParameterizedTest
    @ValueSource(strings = {"fast", "queued"})
    void releasingTwiceAndAfterASweepChangesNothing(String path, Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Lock first;
        if (path.equals("fast")) {
            first = Contexts.get(locks.getLocalLock("twice"));
        } else {
            Lock blocker = Contexts.get(locks.getLocalLock("twice"));
            Future<Lock> queued = locks.getLocalLock("twice");
            assertFalse(queued.isComplete());
            blocker.release();
            first = Contexts.get(queued);
        }
        first.release();
        first.release();
        assertEquals(0, locks.size(), "swept: the entry is retired");
        Lock second = Contexts.get(locks.getLocalLock("twice"));
        first.release(); // after the sweep, with a new holder on a new entry
        assertEquals(1, locks.size(), "the held entry survives a sweep");
        assertTrue(locks.getLocalLockWithTimeout("twice", 0).failed(), "still held");
        Future<Lock> waiter = locks.getLocalLock("twice");
        assertEquals(1, locks.size());
        assertFalse(waiter.isComplete());
        second.release();
        second.release();
        Lock third = Contexts.get(waiter);
        assertEquals(1, locks.size(), "held by the waiter");
        assertTrue(locks.getLocalLockWithTimeout("twice", 0).failed(), "held by the waiter");
        third.release();
        assertEquals(0, locks.size());
    }

    // ------------------------------------------------------------------ chains on one event loop

    /**
     * 100,000 acquisitions chained on one event loop, each started by the previous one's handler
     * while it still holds the lock (the first finds the mutex free and takes the fast path; every
     * later one queues and is granted by the release, inside the trampoline's delivery, where the
     * fast path must not run): no StackOverflowError, and every one counts, in order.
     * (Releasing first and then acquiring again from the handler recurses through Vert.x's inline
     * handlers of completed futures, with or without the fast path: not covered here.)
     */
    @ParameterizedTest
    @ValueSource(strings = {"lock", "withLock", "getLocalLock", "withLocalLock"})
    void oneHundredThousandChainedAcquisitionsOnOneEventLoop(String form, Vertx vertx) throws Exception {
        int n = 100_000;
        Mutex<Integer> mutex = new Mutex<>(0);
        LocalLocks locks = LocalLocks.of(vertx);
        AtomicInteger count = new AtomicInteger();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        loop.exceptionHandler(done::completeExceptionally);
        loop.runOnContext(v -> chain(form, mutex, locks, count, n, done));
        assertEquals(Integer.valueOf(n), done.get(60, TimeUnit.SECONDS));
        // the last link releases right after completing done, on the event loop
        await().atMost(Contexts.WAIT).until(() -> !mutex.isLocked() && locks.size() == 0);
    }

    /** One link: takes the lock, starts the next link while holding it, then releases. */
    private static void chain(String form, Mutex<Integer> mutex, LocalLocks locks, AtomicInteger count, int n,
            CompletableFuture<Integer> done) {
        Runnable next = () -> {
            if (count.incrementAndGet() == n) {
                done.complete(count.get());
            } else {
                chain(form, mutex, locks, count, n, done);
            }
        };
        try {
            switch (form) {
                case "lock" -> VertxLocks.lock(mutex).onSuccess(g -> {
                    next.run();
                    g.close();
                }).onFailure(done::completeExceptionally);
                case "withLock" -> VertxLocks.withLock(mutex, g -> {
                    next.run();
                    return Future.succeededFuture(1);
                }).onFailure(done::completeExceptionally);
                case "getLocalLock" -> locks.getLocalLock("chain").onSuccess(l -> {
                    next.run();
                    l.release();
                }).onFailure(done::completeExceptionally);
                default -> locks.withLocalLock("chain", () -> {
                    next.run();
                    return Future.succeededFuture(1);
                }).onFailure(done::completeExceptionally);
            }
        } catch (StackOverflowError e) {
            done.completeExceptionally(e);
            throw e;
        }
    }

    // ------------------------------------------------------------------ withLock's future and its context

    /**
     * withLock's future is bound to the caller's context on every exit of the body, as a queued
     * acquisition's (compose of a context-bound future) is: a handler added from a plain thread runs
     * on the caller's context, whether the mutex was free (fast path) or held (queued).
     */
    @ParameterizedTest
    @ValueSource(strings = {
        "free/succeeds", "free/fails", "free/throws", "free/returns null",
        "held/succeeds", "held/fails", "held/throws", "held/returns null"})
    void withLockFuturesAreBoundToTheCallersContextOnEveryExit(String how, Vertx vertx) throws Exception {
        boolean held = how.startsWith("held");
        String exit = how.substring(how.indexOf('/') + 1);
        Mutex<Integer> mutex = new Mutex<>(0);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Function<MutexGuard<Integer>, Future<String>> body = g -> switch (exit) {
            case "succeeds" -> Future.succeededFuture("ok");
            case "fails" -> Future.failedFuture(new IllegalStateException("failed"));
            case "throws" -> throw new IllegalArgumentException("thrown");
            default -> null;
        };
        MutexGuard<Integer> holder = held ? mutex.lock() : null;
        Future<String> result = Contexts.on(loop, () -> VertxLocks.withLock(mutex, body));
        if (holder != null) {
            holder.close();
        }
        await().atMost(Contexts.WAIT).until(result::isComplete);
        assertFalse(mutex.isLocked(), "released on " + how);
        CompletableFuture<Context> ranOn = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> result.onComplete(ar -> ranOn.complete(Vertx.currentContext()))).join();
        assertSame(loop, Contexts.get(ranOn), "a late handler runs on the caller's context (" + how + ")");
    }

    /** As above, for {@link LocalLocks#withLocalLock}. */
    @ParameterizedTest
    @ValueSource(strings = {"free/succeeds", "free/throws", "free/returns null", "held/succeeds", "held/throws"})
    void withLocalLockFuturesAreBoundToTheCallersContext(String how, Vertx vertx) throws Exception {
        boolean held = how.startsWith("held");
        String exit = how.substring(how.indexOf('/') + 1);
        LocalLocks locks = LocalLocks.of(vertx);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        java.util.function.Supplier<Future<String>> block = () -> switch (exit) {
            case "succeeds" -> Future.succeededFuture("ok");
            case "throws" -> throw new IllegalArgumentException("thrown");
            default -> null;
        };
        Lock holder = held ? Contexts.get(locks.getLocalLock("scoped")) : null;
        Future<String> result = Contexts.on(loop, () -> locks.withLocalLock("scoped", block));
        if (holder != null) {
            holder.release();
        }
        await().atMost(Contexts.WAIT).until(result::isComplete);
        assertEquals(0, locks.size(), "released on " + how);
        CompletableFuture<Context> ranOn = new CompletableFuture<>();
        Thread.ofPlatform().start(() -> result.onComplete(ar -> ranOn.complete(Vertx.currentContext()))).join();
        assertSame(loop, Contexts.get(ranOn), "a late handler runs on the caller's context (" + how + ")");
    }

    // ------------------------------------------------------------------ ranks: fast vs queued

    /**
     * With a {@link LockOwner} in the context, the fast path and the queued path record the same
     * hold (a lower-ranked mutex is refused while it is held) and release it (allowed again after).
     */
    @ParameterizedTest
    @ValueSource(strings = {"lock/fast", "lock/queued", "tryLock/fast", "tryLock/queued", "withLock/fast",
        "withLock/queued"})
    void ranksRecordAndReleaseTheSameHoldOnBothPaths(String how, Vertx vertx) throws Exception {
        String form = how.substring(0, how.indexOf('/'));
        boolean queued = how.endsWith("queued");
        Mutex<String> accounts = Mutex.builder().name("accounts").rank(1).build("a");
        Mutex<String> ledger = Mutex.builder().name("ledger").rank(2).build("l");
        Context request = ((ContextInternal) Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP)).duplicate();
        VertxLocks.setOwner(request, LockOwner.named("order-1"));
        MutexGuard<String> other = queued ? ledger.lock() : null;
        CompletableFuture<Throwable> refusedWhileHeld = new CompletableFuture<>();
        Future<String> outcome = Contexts.on(request, () -> {
            Function<MutexGuard<String>, Future<String>> whileHeld = g -> {
                Future<MutexGuard<String>> a = VertxLocks.lock(accounts);
                refusedWhileHeld.complete(a.failed() ? a.cause() : null);
                if (a.succeeded()) {
                    a.result().close();
                }
                return Future.succeededFuture(g.get());
            };
            return switch (form) {
                case "lock" -> VertxLocks.lock(ledger).compose(g -> {
                    Future<String> r = whileHeld.apply(g);
                    g.close();
                    return r;
                });
                case "tryLock" -> VertxLocks.tryLock(ledger, Duration.ofSeconds(20)).compose(g -> {
                    Future<String> r = whileHeld.apply(g);
                    g.close();
                    return r;
                });
                default -> VertxLocks.withLock(ledger, whileHeld);
            };
        });
        if (other != null) {
            assertFalse(outcome.isComplete(), "queued behind the other holder");
            other.close();
        }
        assertEquals("l", Contexts.get(outcome));
        assertInstanceOf(LockOrderViolationException.class, Contexts.get(refusedWhileHeld), "hold recorded");
        assertFalse(accounts.isLocked());
        assertFalse(ledger.isLocked());
        // Released from the owner's record: in rank order again, both granted.
        String both = Contexts.get(Contexts.on(request, () -> VertxLocks.lock(accounts)
                .compose(a -> VertxLocks.lock(ledger).map(l -> {
                    String s = a.get() + l.get();
                    l.close();
                    a.close();
                    return s;
                }))));
        assertEquals("al", both);
    }

    // ------------------------------------------------------------------ tryLock with no wait

    @ParameterizedTest
    @ValueSource(longs = {0L, -1L, -5_000_000_000L})
    void tryLockWithNoWaitOnAFreeAndAHeldMutex(long nanos, Vertx vertx) throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Duration wait = Duration.ofNanos(nanos);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Future<MutexGuard<Integer>> free = Contexts.on(loop, () -> VertxLocks.tryLock(mutex, wait));
        assertTrue(free.succeeded(), "a free mutex is taken at once");
        Future<MutexGuard<Integer>> held = Contexts.on(loop, () -> VertxLocks.tryLock(mutex, wait));
        assertTrue(held.failed(), "a held mutex fails at once");
        assertInstanceOf(LockTimeoutException.class, held.cause());
        assertEquals(0, mutex.queueLength(), "the waiter left");
        free.result().close();
        assertFalse(mutex.isLocked());
        // Off any context too.
        Future<MutexGuard<Integer>> plain = VertxLocks.tryLock(mutex, wait);
        assertTrue(plain.succeeded());
        assertTrue(VertxLocks.tryLock(mutex, wait).failed());
        plain.result().close();

        LocalLocks locks = LocalLocks.of(vertx);
        long millis = nanos / 1_000_000L;
        Future<Lock> l1 = Contexts.on(loop, () -> locks.getLocalLockWithTimeout("now", millis));
        assertTrue(l1.succeeded());
        Future<Lock> l2 = Contexts.on(loop, () -> locks.getLocalLockWithTimeout("now", millis));
        assertTrue(l2.failed());
        assertInstanceOf(LockTimeoutException.class, l2.cause());
        assertEquals(1, locks.size(), "only the holder uses the name");
        l1.result().release();
        assertEquals(0, locks.size(), "the timed-out waiter left the entry");
    }

    // ------------------------------------------------------------------ where late handlers run

    /**
     * A future obtained on an event loop, free or queued, gets handlers added from a worker context,
     * another event loop, a virtual-thread context and a plain thread: each runs on the first event
     * loop's context.
     */
    @ParameterizedTest
    @ValueSource(strings = {"free", "queued"})
    void lateHandlersFromOtherContextsRunOnTheCallersContext(String path, Vertx vertx) throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Context caller = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        List<Context> adders = List.of(Contexts.deploy(vertx, ThreadingModel.WORKER),
                Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP),
                Contexts.deploy(vertx, ThreadingModel.VIRTUAL_THREAD));
        MutexGuard<Integer> holder = path.equals("queued") ? mutex.lock() : null;
        Future<MutexGuard<Integer>> f = Contexts.on(caller, () -> VertxLocks.lock(mutex));
        List<Context> ranOn = new CopyOnWriteArrayList<>();
        CountDownLatch ran = new CountDownLatch(adders.size() + 1);
        for (Context adder : adders) {
            Contexts.on(adder, () -> f.onComplete(ar -> {
                ranOn.add(Vertx.currentContext());
                ran.countDown();
            }));
        }
        Thread.ofPlatform().start(() -> f.onComplete(ar -> {
            ranOn.add(Vertx.currentContext());
            ran.countDown();
        })).join();
        if (holder != null) {
            holder.close(); // released from a plain thread
        }
        assertTrue(ran.await(20, TimeUnit.SECONDS));
        for (Context c : ranOn) {
            assertSame(caller, c);
        }
        Contexts.get(f).close();
        assertFalse(mutex.isLocked());
    }

    // ------------------------------------------------------------------ FIFO with a blocking waiter

    @Test
    void aFifoMutexWithAQueuedBlockingThreadIsNotTakenByTheFastPath(Vertx vertx) throws Exception {
        Mutex<Integer> fifo = Mutex.builder().fairness(Fairness.FIFO).build(0);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<Integer> holder = fifo.lock();
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch blockingHas = new CountDownLatch(1);
        CountDownLatch blockingMayRelease = new CountDownLatch(1);
        Thread blocking = Thread.ofPlatform().start(() -> {
            try (MutexGuard<Integer> g = fifo.lock()) {
                order.add("blocking");
                blockingHas.countDown();
                blockingMayRelease.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().atMost(Contexts.WAIT).until(() -> fifo.queueLength() == 1);
        Future<MutexGuard<Integer>> late = Contexts.on(loop, () -> VertxLocks.lock(fifo));
        assertFalse(late.isComplete(), "behind the queued thread");
        holder.close();
        assertTrue(blockingHas.await(20, TimeUnit.SECONDS));
        assertFalse(late.isComplete());
        blockingMayRelease.countDown();
        MutexGuard<Integer> g = Contexts.get(late);
        order.add("late");
        g.close();
        blocking.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(List.of("blocking", "late"), order);
        assertFalse(fifo.isLocked());
    }
}
