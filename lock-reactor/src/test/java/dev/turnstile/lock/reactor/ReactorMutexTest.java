package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static dev.turnstile.lock.reactor.Locks.awaitQueued;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.PendingLock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@code ReactorLocks} on a {@link Mutex}: laziness, re-subscription, cancellation, timeouts, release. */
class ReactorMutexTest {
    private final Mutex<int[]> mutex = Mutex.builder().name("counter").build(new int[1]);

    @Nested
    class Lock {
        @Test
        void nothingTouchesTheLockUntilRequested() {
            Mono<MutexGuard<int[]>> lock = ReactorLocks.lock(mutex);
            assertFalse(mutex.isLocked());
            StepVerifier.create(lock, 0)
                    .expectSubscription()
                    .then(() -> assertFalse(mutex.isLocked(), "acquired before any request"))
                    .thenRequest(1)
                    .assertNext(g -> {
                        assertTrue(mutex.isLocked());
                        g.close();
                    })
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void everySubscriptionAcquiresAgain() {
            AtomicInteger guards = new AtomicInteger();
            StepVerifier.create(ReactorLocks.lock(mutex)
                            .doOnNext(g -> {
                                guards.incrementAndGet();
                                g.close();
                            })
                            .repeat(4))
                    .expectNextCount(5)
                    .verifyComplete();
            assertEquals(5, guards.get());
            assertFree(mutex);
        }

        @Test
        void waitsBehindTheHolderAndIsGrantedByItsRelease() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(ReactorLocks.lock(mutex))
                    .expectSubscription()
                    .then(() -> awaitQueued(mutex, 1))
                    .then(held::close)
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void cancelBeforeTheGrantWithdrawsTheWaiter() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(ReactorLocks.lock(mutex))
                    .expectSubscription()
                    .then(() -> awaitQueued(mutex, 1))
                    .thenCancel()
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void disposeWhileQueuedWithdrawsTheWaiter() {
            MutexGuard<int[]> held = mutex.lock();
            Disposable d = ReactorLocks.lock(mutex).subscribe(g -> {
                throw new AssertionError("granted after dispose");
            });
            awaitQueued(mutex, 1);
            d.dispose();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void aGrantThatLosesTheRaceWithCancelIsReleasedAtOnce() {
            // cancel() finds the grant already won (PendingLock.cancel() false); the grant arrives after
            AtomicReference<LockCallback<? super MutexGuard<int[]>>> callback = new AtomicReference<>();
            Acquirer<MutexGuard<int[]>> racing = new Acquirer<>() {
                @Override
                PendingLock submit(LockCallback<? super MutexGuard<int[]>> cb, dev.turnstile.lock.LockOwner owner) {
                    callback.set(cb);
                    return new AlreadyGranted();
                }

                @Override
                void release(MutexGuard<int[]> granted) {
                    granted.close();
                }

                @Override
                String lockName() {
                    return null;
                }
            };
            List<Object> signals = new ArrayList<>();
            Disposable d = LockMono.of(racing, null).subscribe(signals::add, signals::add, () -> signals.add("done"));
            d.dispose();
            MutexGuard<int[]> guard = mutex.lock(); // the grant that won
            callback.get().onLocked(guard);
            assertFalse(guard.isHeld(), "the late grant was not released");
            assertFree(mutex);
            assertTrue(signals.isEmpty(), "signals after cancel: " + signals);
        }

        @Test
        void downstreamTimeoutOnVirtualTimeWithdrawsTheWaiter() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.withVirtualTime(() -> ReactorLocks.lock(mutex).timeout(Duration.ofSeconds(1)))
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(999))
                    .thenAwait(Duration.ofMillis(1))
                    .expectError(TimeoutException.class)
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void firstWithSignalCancelsTheLosingAcquisition() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(Mono.firstWithSignal(ReactorLocks.lock(mutex).map(g -> {
                        g.close();
                        return "lock";
                    }), Mono.just("other")))
                    .expectNext("other")
                    .verifyComplete();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void aFailingSiblingInZipCancelsTheAcquisition() {
            MutexGuard<int[]> held = mutex.lock();
            Sinks.One<String> sibling = Sinks.one();
            StepVerifier.create(Mono.zip(ReactorLocks.lock(mutex), sibling.asMono()))
                    .expectSubscription()
                    .then(() -> awaitQueued(mutex, 1))
                    .then(() -> sibling.tryEmitError(new IllegalStateException("sibling failed")))
                    .expectErrorMessage("sibling failed")
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void takeZeroNeverAcquires() {
            StepVerifier.create(ReactorLocks.lock(mutex).flux().take(0)).verifyComplete();
            assertFree(mutex);
        }

        @Test
        void signalsOnTheSchedulerItWasGiven() {
            Scheduler single = Schedulers.newSingle("grants");
            try {
                StepVerifier.create(ReactorLocks.lock(mutex, single).map(g -> {
                            g.close();
                            return Thread.currentThread().getName();
                        }))
                        .assertNext(name -> assertTrue(name.startsWith("grants"), name))
                        .verifyComplete();
            } finally {
                single.dispose();
            }
            assertFree(mutex);
        }

        @Test
        void aGrantMadeOnTheSchedulersDeliveryThreadIsSignalledWithoutAnotherTask() {
            AtomicInteger tasks = new AtomicInteger();
            Scheduler single = Schedulers.newSingle("grants");
            Scheduler counting = Schedulers.fromExecutor(task -> {
                tasks.incrementAndGet();
                single.schedule(task);
            });
            try {
                MutexGuard<int[]> held = mutex.lock();
                List<String> threads = new ArrayList<>();
                StepVerifier.create(Flux.merge(ReactorLocks.lock(mutex, counting), ReactorLocks.lock(mutex, counting))
                                .doOnNext(g -> {
                                    threads.add(Thread.currentThread().getName());
                                    g.close(); // the second grant is made here, on the delivery thread
                                }))
                        .expectSubscription()
                        .then(() -> awaitQueued(mutex, 2))
                        .then(held::close)
                        .expectNextCount(2)
                        .verifyComplete();
                assertEquals(1, tasks.get(), "tasks scheduled");
                assertTrue(threads.stream().allMatch(n -> n.startsWith("grants")), threads::toString);
            } finally {
                counting.dispose();
                single.dispose();
            }
            assertFree(mutex);
        }

        @Test
        void immediateSchedulerNeverHops() {
            StepVerifier.create(ReactorLocks.lock(mutex, Schedulers.immediate()).map(g -> {
                        g.close();
                        return Thread.currentThread();
                    }))
                    .expectNext(Thread.currentThread())
                    .verifyComplete();
        }

        @Test
        void aRejectingSchedulerFailsAndReleases() {
            Scheduler disposed = Schedulers.newSingle("gone");
            disposed.dispose();
            StepVerifier.create(ReactorLocks.lock(mutex, disposed))
                    .expectError(java.util.concurrent.RejectedExecutionException.class)
                    .verify(Duration.ofSeconds(5));
            assertFree(mutex);
        }

        @Test
        void rejectsNullArguments() {
            NullPointerException e = assertThrows(NullPointerException.class, () -> ReactorLocks.lock(null));
            assertEquals("mutex", e.getMessage());
            e = assertThrows(NullPointerException.class, () -> ReactorLocks.lock(mutex, null));
            assertEquals("scheduler", e.getMessage());
        }
    }

    @Nested
    class TryLock {
        @Test
        void failsWithLockTimeoutExceptionOnVirtualTime() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.withVirtualTime(() -> ReactorLocks.tryLock(mutex, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .expectNoEvent(Duration.ofSeconds(4))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectErrorSatisfies(e -> {
                        LockTimeoutException t = assertInstanceOf(LockTimeoutException.class, e);
                        assertEquals("counter", t.lockName());
                        assertEquals(Duration.ofSeconds(5), t.waitDuration());
                    })
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void isGrantedWhenReleasedBeforeTheTimeout() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.withVirtualTime(() -> ReactorLocks.tryLock(mutex, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .thenAwait(Duration.ofSeconds(2))
                    .then(held::close)
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void zeroTimeoutMakesOneAttempt() {
            StepVerifier.create(ReactorLocks.tryLock(mutex, Duration.ZERO)).assertNext(MutexGuard::close).verifyComplete();
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(ReactorLocks.tryLock(mutex, Duration.ZERO)).expectError(LockTimeoutException.class).verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        /** A negative wait is a zero wait, as in lock-core and java.util.concurrent: never an error. */
        @Test
        void aNegativeTimeoutMakesOneAttemptToo() {
            Duration negative = Duration.ofMillis(-1);
            StepVerifier.create(ReactorLocks.tryLock(mutex, negative)).assertNext(MutexGuard::close).verifyComplete();
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(ReactorLocks.tryLock(mutex, negative))
                    .expectErrorSatisfies(e -> assertInstanceOf(LockTimeoutException.class, e))
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void aDeadlineIsReadAtSubscription() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(ReactorLocks.tryLock(mutex, Instant.now().minusSeconds(1)))
                    .expectError(LockTimeoutException.class)
                    .verify();
            Mono<MutexGuard<int[]>> later = ReactorLocks.tryLock(mutex, Instant.now().plusSeconds(60));
            StepVerifier.create(later)
                    .then(held::close)
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void cancelBeforeTheTimeoutWithdrawsAndDisarms() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.withVirtualTime(() -> ReactorLocks.tryLock(mutex, Duration.ofSeconds(5)))
                    .expectSubscription()
                    .thenAwait(Duration.ofSeconds(1))
                    .thenCancel()
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
        }

        @Test
        void withASchedulerTimesOutAndSignalsThere() {
            Scheduler single = Schedulers.newSingle("timer");
            try {
                MutexGuard<int[]> held = mutex.lock();
                AtomicReference<String> thread = new AtomicReference<>();
                StepVerifier.create(ReactorLocks.tryLock(mutex, Duration.ofMillis(20), single)
                                .doOnError(e -> thread.set(Thread.currentThread().getName())))
                        .expectError(LockTimeoutException.class)
                        .verify(Duration.ofSeconds(10));
                assertTrue(thread.get().startsWith("timer"), thread.get());
                held.close();
            } finally {
                single.dispose();
            }
            assertFree(mutex);
        }

        @Test
        void rejectsANullTimeout() {
            NullPointerException e = assertThrows(NullPointerException.class, () -> ReactorLocks.tryLock(mutex, (Duration) null));
            assertEquals("timeout", e.getMessage());
        }
    }

    @Nested
    class WithLock {
        @Test
        void runsTheBodyUnderTheLockAndReleasesOnCompletion() {
            StepVerifier.create(ReactorLocks.withLock(mutex, g -> {
                        assertTrue(mutex.isLocked());
                        return Mono.just(++g.get()[0]);
                    }))
                    .expectNext(1)
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void isLazyAndAcquiresPerSubscription() {
            AtomicInteger bodies = new AtomicInteger();
            Mono<Integer> m = ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> {
                bodies.incrementAndGet();
                return ++g.get()[0];
            }));
            assertEquals(0, bodies.get());
            StepVerifier.create(m.repeat(2)).expectNext(1, 2, 3).verifyComplete();
            assertEquals(3, bodies.get());
            assertFree(mutex);
        }

        @Test
        void releasesWhenTheBodyFails() {
            StepVerifier.create(ReactorLocks.withLock(mutex, g -> Mono.error(new IllegalStateException("boom"))))
                    .expectErrorMessage("boom")
                    .verify();
            assertFree(mutex);
        }

        @Test
        void releasesWhenTheBodyFunctionThrows() {
            StepVerifier.create(ReactorLocks.<int[], Integer>withLock(mutex, g -> {
                        throw new IllegalArgumentException("thrown");
                    }))
                    .expectErrorMessage("thrown")
                    .verify();
            assertFree(mutex);
        }

        @Test
        void releasesWhenTheBodyReturnsNull() {
            StepVerifier.create(ReactorLocks.<int[], Integer>withLock(mutex, g -> null))
                    .expectError(NullPointerException.class)
                    .verify();
            assertFree(mutex);
        }

        @Test
        void releasesOnCancelWhileTheBodyRunsAndTheGuardRefusesUseAfter() {
            AtomicReference<MutexGuard<int[]>> seen = new AtomicReference<>();
            AtomicInteger bodyCancelled = new AtomicInteger();
            StepVerifier.create(ReactorLocks.withLock(mutex, g -> {
                        seen.set(g);
                        return Mono.never().doOnCancel(bodyCancelled::incrementAndGet);
                    }))
                    .expectSubscription()
                    .then(() -> assertTrue(mutex.isLocked()))
                    .thenCancel()
                    .verify();
            assertFree(mutex);
            assertEquals(1, bodyCancelled.get());
            assertThrows(IllegalStateException.class, () -> seen.get().get());
        }

        @Test
        void downstreamTimeoutOnVirtualTimeReleasesARunningBody() {
            StepVerifier.withVirtualTime(() -> ReactorLocks.withLock(mutex, g -> Mono.delay(Duration.ofHours(1)))
                            .timeout(Duration.ofSeconds(1)))
                    .expectSubscription()
                    .then(() -> assertTrue(mutex.isLocked()))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectError(TimeoutException.class)
                    .verify();
            assertFree(mutex);
        }

        @Test
        void downstreamTimeoutOnVirtualTimeWithdrawsAQueuedScope() {
            MutexGuard<int[]> held = mutex.lock();
            AtomicInteger bodies = new AtomicInteger();
            StepVerifier.withVirtualTime(() -> ReactorLocks.withLock(mutex, g -> Mono.fromCallable(bodies::incrementAndGet))
                            .timeout(Duration.ofSeconds(1)))
                    .expectSubscription()
                    .thenAwait(Duration.ofSeconds(1))
                    .expectError(TimeoutException.class)
                    .verify();
            assertEquals(0, mutex.queueLength());
            held.close();
            assertFree(mutex);
            assertEquals(0, bodies.get());
        }

        @Test
        void aBodyThatClosesTheGuardItselfIsFine() {
            StepVerifier.create(ReactorLocks.withLock(mutex, g -> {
                        g.close();
                        return Mono.just("closed early");
                    }))
                    .expectNext("closed early")
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void runsTheBodyOnTheSchedulerItWasGiven() {
            Scheduler single = Schedulers.newSingle("body");
            try {
                StepVerifier.create(ReactorLocks.withLock(mutex, g -> Mono.just(Thread.currentThread().getName()), single))
                        .assertNext(name -> assertTrue(name.startsWith("body"), name))
                        .verifyComplete();
            } finally {
                single.dispose();
            }
            assertFree(mutex);
        }

        @Test
        void aMillionFlatMappedScopesCompleteWithAnExactTotal() {
            StepVerifier.create(Flux.range(0, 1_000_000)
                            .flatMap(i -> ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0])), 256)
                            .count())
                    .expectNext(1_000_000L)
                    .verifyComplete();
            int total = mutex.withLock(a -> a[0]);
            assertEquals(1_000_000, total);
            assertFree(mutex);
        }

        @Test
        void aMillionQueuedGrantsRunInConstantStackOnTheReleasingThread() {
            MutexGuard<int[]> held = mutex.lock();
            AtomicReference<Long> total = new AtomicReference<>();
            Flux.range(0, 1_000_000)
                    .flatMap(i -> ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0])), 256)
                    .count()
                    .subscribe(total::set);
            awaitQueued(mutex, 256);
            held.close(); // every grant from here on is made by a release inside a continuation
            assertEquals(1_000_000L, total.get());
            assertFree(mutex);
        }
    }

    @Nested
    class WithLockMany {
        @Test
        void relaysElementsUnderDemandAndReleasesOnCompletion() {
            StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.range(1, 3).doOnNext(i -> g.get()[0] += i)), 0)
                    .expectSubscription()
                    .then(() -> assertFalse(mutex.isLocked()))
                    .thenRequest(1)
                    .expectNext(1)
                    .then(() -> assertTrue(mutex.isLocked()))
                    .thenRequest(2)
                    .expectNext(2, 3)
                    .verifyComplete();
            assertFree(mutex);
            int total = mutex.withLock(a -> a[0]);
            assertEquals(6, total);
        }

        @Test
        void takeCancelsTheBodyAndReleases() {
            AtomicReference<MutexGuard<int[]>> seen = new AtomicReference<>();
            StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> {
                        seen.set(g);
                        return Flux.interval(Duration.ofMillis(1));
                    }).take(3))
                    .expectNextCount(3)
                    .verifyComplete();
            assertFree(mutex);
            assertThrows(IllegalStateException.class, () -> seen.get().get());
        }

        @Test
        void releasesWhenTheBodyFails() {
            StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.concat(Flux.just(1), Flux.error(new IllegalStateException("boom")))))
                    .expectNext(1)
                    .expectErrorMessage("boom")
                    .verify();
            assertFree(mutex);
        }

        @Test
        void releasesWhenTheBodyFunctionThrowsOrReturnsNull() {
            StepVerifier.create(ReactorLocks.<int[], Integer>withLockMany(mutex, g -> {
                throw new IllegalArgumentException("thrown");
            })).expectErrorMessage("thrown").verify();
            StepVerifier.create(ReactorLocks.<int[], Integer>withLockMany(mutex, g -> null))
                    .expectError(NullPointerException.class).verify();
            assertFree(mutex);
        }

        @Test
        void repeatAcquiresAgain() {
            StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.just(++g.get()[0])).repeat(2))
                    .expectNext(1, 2, 3)
                    .verifyComplete();
            assertFree(mutex);
        }

        @Test
        void downstreamTimeoutOnVirtualTimeReleases() {
            StepVerifier.withVirtualTime(() -> ReactorLocks.withLockMany(mutex, g -> Flux.just(0L).concatWith(Flux.never()))
                            .timeout(Duration.ofSeconds(3)))
                    .expectSubscription()
                    .expectNext(0L)
                    .then(() -> assertTrue(mutex.isLocked()))
                    .thenAwait(Duration.ofSeconds(3))
                    .expectError(TimeoutException.class)
                    .verify();
            assertFree(mutex);
        }

        @Test
        void runsTheBodyOnTheSchedulerItWasGiven() {
            Scheduler single = Schedulers.newSingle("body");
            try {
                StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.just(Thread.currentThread().getName()), single))
                        .assertNext(name -> assertTrue(name.startsWith("body"), name))
                        .verifyComplete();
            } finally {
                single.dispose();
            }
            assertFree(mutex);
        }
    }

    /** A handle whose grant already won: {@code cancel()} returns false. */
    private static final class AlreadyGranted implements PendingLock {
        @Override
        public boolean cancel() {
            return false;
        }

        @Override
        public boolean isGranted() {
            return true;
        }

        @Override
        public boolean isCancelled() {
            return false;
        }
    }

    @Test
    void scansAsAnAsyncSource() {
        assertSame(reactor.core.Scannable.Attr.RunStyle.ASYNC,
                reactor.core.Scannable.from(ReactorLocks.lock(mutex)).scan(reactor.core.Scannable.Attr.RUN_STYLE));
        assertNull(reactor.core.Scannable.from(ReactorLocks.lock(mutex)).scan(reactor.core.Scannable.Attr.RUN_ON));
    }
}
