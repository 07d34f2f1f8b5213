package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * Attacks on {@link LockScope}'s deferred release ({@code bodyCall}: a cancel that finds the body's
 * synchronous part running leaves the release to the granting thread), from the break review of
 * a1f1f4e. Findings, failing at a1f1f4e:
 * <ul>
 *   <li>{@link #stormOfScopesCancelledFromOtherThreadsKeepsEveryIncrement}: a cancel between the
 *       grant's WAITING→RUNNING (or run()'s state check) and runBody's {@code bodyCall = INSIDE} sees
 *       OUTSIDE and releases; the body function is then called anyway, with a closed guard, beside the
 *       next holder. Fix: after {@code bodyCall = INSIDE}, call the body only if still RUNNING (Dekker
 *       with cancel's state-then-bodyCall).</li>
 *   <li>{@link #takeOneCompletionReactionFindsTheLockFree} and
 *       {@link #nextThenReacquireSameRankedLockWithTheSameOwner}: a same-thread cancel from downstream
 *       ({@code take(1)}, {@code next()}) is deferred too, so the downstream completion runs with the
 *       lock still held: a ranked or deadlock-detected lock re-acquired by the same LockOwner fails with
 *       LockOrderViolationException (both passed before a1f1f4e).</li>
 * </ul>
 */
@org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
class ScopeCancelBreakTest {
    private final Mutex<int[]> mutex = Mutex.builder().name("scope-break").build(new int[1]);
    /** Schedulers on plain threads, where the tests may wait (BlockHound watches Reactor's own). */
    private static final Scheduler PLAIN = plain();
    private static final Scheduler PLAIN2 = plain();

    private static Scheduler plain() {
        return plain(1);
    }

    private static Scheduler plain(int threads) {
        return Schedulers.fromExecutorService(java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "plain");
            t.setDaemon(true);
            return t;
        }));
    }

    private static volatile long sink;

    /** Busy work that BlockHound does not flag (it flags Thread.onSpinWait). */
    private static void burn(int n) {
        long x = 0;
        for (int k = 0; k < n; k++) {
            x += k * 31L;
        }
        sink = x;
    }

    /** Waits, ignoring interrupts (a disposed subscribeOn interrupts its task). */
    private static void awaitQuietly(CountDownLatch latch) {
        boolean interrupted = false;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (latch.getCount() > 0 && System.nanoTime() < end) {
            try {
                latch.await(10, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (latch.getCount() > 0) {
            throw new AssertionError("latch not released");
        }
    }

    // ------------------------------------------------------------ same-thread cancel from inside the body

    @Test
    void takeOneOnWithLockManyReleasesOnceUnwoundAndAReactionQueuedMeanwhileGetsTheLock() {
        AtomicReference<String> second = new AtomicReference<>();
        StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.range(1, 10)).take(1)
                        .concatWith(ReactorLocks.withLock(mutex, g -> Mono.just(99)))
                        .doOnNext(v -> second.set(String.valueOf(v))))
                .expectNext(1, 99).expectComplete().verify(Duration.ofSeconds(5));
        assertEquals("99", second.get());
        assertFree(mutex);
    }

    /** usingWhen releases on cancel before take(1) completes downstream; so did this scope before a1f1f4e. */
    @Test
    void takeOneCompletionReactionFindsTheLockFree() {
        AtomicReference<Boolean> lockedAtComplete = new AtomicReference<>();
        ReactorLocks.withLockMany(mutex, g -> Flux.range(1, 10)).take(1)
                .doOnComplete(() -> lockedAtComplete.set(mutex.isLocked()))
                .blockLast(Duration.ofSeconds(5));
        assertEquals(Boolean.FALSE, lockedAtComplete.get(), "take(1) completed downstream with the lock still held");
        assertFree(mutex);
    }

    /** The same shape with a LockOwner on a ranked lock: the reaction re-acquires the lock it just left. */
    @Test
    void nextThenReacquireSameRankedLockWithTheSameOwner() {
        Mutex<String> ranked = Mutex.builder().name("ranked").rank(1).build("r");
        LockOwner owner = LockOwner.named("task");
        StepVerifier.create(ReactorLocks.withLockMany(ranked, g -> Flux.range(1, 10)).next()
                        .flatMap(v -> ReactorLocks.withLock(ranked, g -> Mono.just(v + 1)))
                        .contextWrite(ReactorLocks.ownedBy(owner)))
                .expectNext(2).expectComplete().verify(Duration.ofSeconds(5));
        assertFree(ranked);
    }

    @Test
    void firstWithSignalCancelsTheLosingScopeOnTheSameThread() {
        StepVerifier.create(Mono.firstWithSignal(
                        ReactorLocks.withLock(mutex, g -> Mono.just(1)),
                        ReactorLocks.withLock(mutex, g -> Mono.just(2))))
                .expectNext(1).expectComplete().verify(Duration.ofSeconds(5));
        assertFree(mutex);
        StepVerifier.create(Mono.firstWithSignal(
                        ReactorLocks.withLock(mutex, g -> Mono.never()),
                        Mono.just(3)))
                .expectNext(3).expectComplete().verify(Duration.ofSeconds(5));
        assertFree(mutex);
    }

    @Test
    void timeoutZeroOnImmediateScheduler() {
        for (Mono<Integer> body : List.of(Mono.<Integer>never(), Mono.just(1), Mono.fromSupplier(() -> 2))) {
            ReactorLocks.withLock(mutex, g -> body).timeout(Duration.ZERO, Schedulers.immediate())
                    .onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(5));
            assertFree(mutex);
            ReactorLocks.withLock(mutex, g -> body.timeout(Duration.ZERO, Schedulers.immediate()))
                    .onErrorResume(e -> Mono.empty()).block(Duration.ofSeconds(5));
            assertFree(mutex);
        }
    }

    /** A subscriber that the body itself disposes (a same-thread cancel), then the body ends some way. */
    private void cancelFromInsideThen(java.util.function.Function<MutexGuard<int[]>, Mono<Integer>> tail,
                                      boolean expectError) {
        AtomicReference<BaseSubscriber<Integer>> self = new AtomicReference<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicInteger values = new AtomicInteger();
        BaseSubscriber<Integer> sub = new BaseSubscriber<>() {
            @Override
            protected void hookOnNext(Integer value) {
                values.incrementAndGet();
            }

            @Override
            protected void hookOnError(Throwable t) {
                error.set(t);
            }
        };
        self.set(sub);
        ReactorLocks.withLock(mutex, g -> {
            self.get().dispose();
            assertTrue(mutex.isLocked(), "released under the body after a same-thread cancel");
            return tail.apply(g);
        }).subscribe(sub);
        assertFree(mutex);
        assertEquals(0, values.get());
        assertNull(error.get());
    }

    @Test
    void bodyCancelsItsOwnScopeThenThrowsReturnsNullOrCompletes() {
        cancelFromInsideThen(g -> {
            throw new IllegalStateException("after cancel");
        }, false);
        cancelFromInsideThen(g -> null, false);
        cancelFromInsideThen(g -> Mono.just(1), false);
        cancelFromInsideThen(g -> Mono.error(new RuntimeException("x")), false);
        cancelFromInsideThen(g -> {
            g.close(); // closes the guard itself after the cancel
            return Mono.just(1);
        }, false);
        cancelFromInsideThen(g -> Mono.fromSupplier(() -> {
            g.get()[0]++;
            return 1;
        }), false);
    }

    @Test
    void bodyClosesTheGuardItselfThenGetsCancelledFromAnotherThread() throws Exception {
        CountDownLatch inBody = new CountDownLatch(1);
        CountDownLatch cancelled = new CountDownLatch(1);
        AtomicReference<Disposable> d = new AtomicReference<>();
        Thread t = new Thread(() -> {
            Locks.await(inBody);
            d.get().dispose();
            cancelled.countDown();
        });
        t.start();
        // the scope is subscribed on the test thread; the body closes the guard then waits for the cancel
        Disposable disp = ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> {
            g.close();
            inBody.countDown();
            awaitQuietly(cancelled);
            Thread.interrupted();
            return 1;
        })).subscribeOn(PLAIN).subscribe();
        d.set(disp);
        t.join(10_000);
        assertFree(mutex);
        // the lock was free (closed by the body) and not closed twice: it works
        assertEquals(1, ReactorLocks.withLock(mutex, g -> Mono.just(1)).block(Duration.ofSeconds(5)));
        assertFree(mutex);
    }

    // ------------------------------------------------------------ cancel from another thread while inside

    /** The body's synchronous part is still running: another holder must not get the lock under it. */
    @Test
    void cancelFromAnotherThreadWhileBodyFunctionAndSubscriptionRunDefersTheRelease() throws Exception {
        for (boolean inFunction : new boolean[] {true, false}) {
            for (Scheduler sch : new Scheduler[] {null, PLAIN2}) {
                CountDownLatch inBody = new CountDownLatch(1);
                CountDownLatch cancelled = new CountDownLatch(1);
                AtomicBoolean lockedAfterCancel = new AtomicBoolean();
                java.util.function.Supplier<Integer> work = () -> {
                    inBody.countDown();
                    awaitQuietly(cancelled);
                    Thread.interrupted();
                    lockedAfterCancel.set(mutex.isLocked());
                    return 1;
                };
                Mono<Integer> m = sch == null
                        ? ReactorLocks.withLock(mutex, g -> inFunction ? Mono.just(work.get()) : Mono.fromSupplier(work))
                        : ReactorLocks.withLock(mutex, g -> inFunction ? Mono.just(work.get()) : Mono.fromSupplier(work), sch);
                Disposable d = m.subscribeOn(PLAIN).subscribe();
                Locks.await(inBody);
                d.dispose();
                cancelled.countDown();
                assertFree(mutex);
                assertTrue(lockedAfterCancel.get(), "released under the body (inFunction=" + inFunction + ", " + sch + ")");
            }
        }
    }

    @Test
    void hopPathCancelledBeforeTheHopReleasesAndNeverRunsTheBody() throws Exception {
        Scheduler single = plain();
        try {
            for (int i = 0; i < 10; i++) {
                CountDownLatch block = new CountDownLatch(1);
                single.schedule(() -> Locks.await(block)); // hold the hop back
                AtomicBoolean ran = new AtomicBoolean();
                Disposable d = ReactorLocks.withLock(mutex, g -> {
                    ran.set(true);
                    return Mono.just(1);
                }, single).subscribe();
                d.dispose();
                assertFalse(mutex.isLocked() && mutex.queueLength() > 0);
                block.countDown();
                CountDownLatch drained = new CountDownLatch(1);
                single.schedule(drained::countDown);
                Locks.await(drained);
                assertFalse(ran.get(), "body ran after the cancel");
                assertFree(mutex);
            }
        } finally {
            single.dispose();
        }
    }

    // ------------------------------------------------------------ the RwLock scopes

    @Test
    void rwScopesTakeOneAndCancelFromInside() {
        RwLock<int[]> rw = RwLock.builder().name("rw-break").build(new int[1]);
        assertEquals(1, ReactorLocks.withReadMany(rw, g -> Flux.range(1, 5)).take(1).blockLast(Duration.ofSeconds(5)));
        Locks.assertFree(rw);
        assertEquals(1, ReactorLocks.withWriteMany(rw, g -> Flux.range(1, 5)).take(1).blockLast(Duration.ofSeconds(5)));
        Locks.assertFree(rw);
        assertEquals(7, Flux.concat(ReactorLocks.withWriteMany(rw, g -> Flux.range(1, 5)).take(1),
                ReactorLocks.withWrite(rw, g -> Mono.just(7))).blockLast(Duration.ofSeconds(5)));
        Locks.assertFree(rw);
    }

    // ------------------------------------------------------------ storm

    /**
     * Many scopes whose bodies increment a plain counter and spin briefly (in the body function, or in
     * a fromSupplier subscription), cancelled from other threads at random moments, racing a thread
     * that increments the same counter under a blocking lock: the exact total of increments that ran,
     * and the lock free at the end.
     */
    @Test
    void stormOfScopesCancelledFromOtherThreadsKeepsEveryIncrement() throws Exception {
        AtomicInteger ran = new AtomicInteger();
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger subscribed = new AtomicInteger();
        AtomicReference<Throwable> bodyFailure = new AtomicReference<>();
        AtomicInteger disposed = new AtomicInteger();
        Thread blocking = new Thread(() -> {
            while (!stop.get()) {
                try (MutexGuard<int[]> g = mutex.lock()) {
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    g.get()[0]++;
                    ran.incrementAndGet();
                    inside.decrementAndGet();
                }
            }
        });
        blocking.start();
        Scheduler cancellers = plain(3);
        Scheduler hop = plain(3);
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            int rounds = 0;
            while (System.nanoTime() < end) {
                int n = 64;
                CountDownLatch done = new CountDownLatch(2 * n); // each subscribed, and each disposed
                for (int i = 0; i < n; i++) {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    int spin = r.nextInt(200);
                    boolean inFunction = r.nextBoolean();
                    boolean hopped = r.nextInt(4) == 0;
                    java.util.function.Function<MutexGuard<int[]>, Mono<Integer>> body = g -> {
                        java.util.function.Supplier<Integer> work = () -> {
                            if (inside.incrementAndGet() != 1) {
                                overlaps.incrementAndGet();
                            }
                            try {
                                int v = g.get()[0];
                                burn(spin);
                                g.get()[0] = v + 1;
                                ran.incrementAndGet();
                            } catch (Throwable t) {
                                bodyFailure.compareAndSet(null, new AssertionError(
                                        "the body's guard was released under it (" + Thread.currentThread().getName()
                                                + ", inFunction=" + inFunction + ")", t));
                                throw t;
                            } finally {
                                inside.decrementAndGet();
                            }
                            return 1;
                        };
                        return inFunction ? Mono.just(work.get()) : Mono.fromSupplier(work);
                    };
                    Mono<Integer> scope = hopped
                            ? ReactorLocks.withLock(mutex, body, hop) : ReactorLocks.withLock(mutex, body);
                    BaseSubscriber<Integer> sub = new BaseSubscriber<>() {
                        @Override
                        protected void hookOnError(Throwable t) {
                            errors.incrementAndGet();
                        }
                    };
                    hop.schedule(() -> {
                        subscribed.incrementAndGet();
                        scope.subscribe(sub);
                        done.countDown();
                    });
                    int delay = r.nextInt(3000);
                    cancellers.schedule(() -> {
                        burn(delay);
                        sub.dispose();
                        disposed.incrementAndGet();
                        done.countDown();
                    });
                }
                if (!done.await(5, TimeUnit.SECONDS)) {
                    StringBuilder dump = new StringBuilder("stuck: " + done.getCount() + " scopes, " + subscribed + " subscribed " + disposed + " disposed " + mutex + " queue " + mutex.queueLength() + "\n");
                    Thread.getAllStackTraces().forEach((th, st) -> {
                        dump.append(th).append('\n');
                        for (StackTraceElement e : st) {
                            dump.append("    ").append(e).append('\n');
                        }
                    });
                    throw new AssertionError(dump);
                }
                rounds++;
            }
        } finally {
            stop.set(true);
            blocking.join(10_000);
            cancellers.dispose();
            hop.dispose();
        }
        assertFree(mutex);
        if (bodyFailure.get() != null) {
            throw new AssertionError(bodyFailure.get());
        }
        assertEquals(0, errors.get(), "errors");
        assertEquals(0, overlaps.get(), "two holders ran at once");
        try (MutexGuard<int[]> g = mutex.lock()) {
            assertEquals(ran.get(), g.get()[0], "increments lost");
        }
    }
}
