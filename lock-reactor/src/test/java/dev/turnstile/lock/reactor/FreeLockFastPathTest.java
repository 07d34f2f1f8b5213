package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static dev.turnstile.lock.reactor.Locks.awaitQueued;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Nested;
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
 * The free-lock fast path of {@link LockMono} and {@link LockScope}: a subscription that requests
 * while the lock is free for it, nobody is queued, no grant delivery runs on the thread and no
 * scheduler hop is needed takes the hold at once (lock-core's {@code lockIfFree}/{@code readIfFree} …)
 * and is signalled before {@code request} returns, with no queue node; otherwise it queues as before.
 * A {@link CountingAcquirer} around the real one tells which path each acquisition took.
 */
class FreeLockFastPathTest {
    private final Mutex<int[]> mutex = Mutex.builder().name("fast").build(new int[1]);
    private final CountingAcquirer<MutexGuard<int[]>> counting = new CountingAcquirer<>(Acquirer.mutex(mutex));

    private static void closeIt(MutexGuard<int[]> g) {
        g.get()[0]++;
        g.close();
    }

    @Nested
    class Taken {
        @Test
        void aFreeMutexIsTakenWithoutAQueueNode() {
            StepVerifier.create(LockMono.of(counting, null))
                    .assertNext(g -> {
                        assertTrue(g.isHeld());
                        assertTrue(mutex.isLocked());
                        g.close();
                    })
                    .verifyComplete();
            assertEquals(1, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            assertEquals(0, counting.released.sum(), "the subscriber closed it, not the adapter");
            assertFree(mutex);
        }

        @Test
        void theGrantIsSignalledBeforeRequestReturns() {
            List<String> signals = new ArrayList<>();
            LockMono.of(counting, null).subscribe(new BaseSubscriber<MutexGuard<int[]>>() {
                @Override
                protected void hookOnSubscribe(Subscription s) {
                    signals.add("subscribed");
                    s.request(1);
                    signals.add("request returned");
                }

                @Override
                protected void hookOnNext(MutexGuard<int[]> g) {
                    signals.add("next");
                    g.close();
                }

                @Override
                protected void hookOnComplete() {
                    signals.add("complete");
                }
            });
            assertEquals(List.of("subscribed", "next", "complete", "request returned"), signals);
            assertEquals(1, counting.taken.sum());
            assertFree(mutex);
        }

        @Test
        void everyResubscriptionAndRepeatTakesTheLockAgain() {
            Mono<MutexGuard<int[]>> lock = LockMono.of(counting, null);
            StepVerifier.create(lock.doOnNext(FreeLockFastPathTest::closeIt).repeat(999))
                    .expectNextCount(1000)
                    .verifyComplete();
            StepVerifier.create(lock).assertNext(FreeLockFastPathTest::closeIt).verifyComplete();
            assertEquals(1001, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            assertEquals(1001, (int) mutex.withLock(a -> a[0]));
            assertFree(mutex);
        }

        @Test
        void aTimedTryLockOnAFreeMutexArmsNoTimer() {
            // immediate() refuses time-based tasks: a timer armed on the fast path would fail the subscription
            Mono<MutexGuard<int[]>> timed = LockMono.timed(counting, null, Duration.ofSeconds(30), Schedulers.immediate());
            StepVerifier.create(timed).assertNext(FreeLockFastPathTest::closeIt).verifyComplete();
            assertEquals(1, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            // the public form on a free mutex, zero wait included
            StepVerifier.create(ReactorLocks.tryLock(mutex, Duration.ofSeconds(30))).assertNext(MutexGuard::close).verifyComplete();
            StepVerifier.create(ReactorLocks.tryLock(mutex, Duration.ZERO)).assertNext(MutexGuard::close).verifyComplete();
            assertFree(mutex);
        }

        @Test
        void theImmediateSchedulerNeedsNoHopAndTakesTheFastPath() {
            StepVerifier.create(LockMono.of(counting, Schedulers.immediate()).map(g -> {
                        g.close();
                        return Thread.currentThread();
                    }))
                    .expectNext(Thread.currentThread())
                    .verifyComplete();
            assertEquals(1, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            assertFree(mutex);
        }

        @Test
        void withLockAndWithLockManyRunTheBodyOnTheFastPath() {
            StepVerifier.create(LockScope.mono(counting, g -> {
                        assertTrue(mutex.isLocked());
                        return Mono.fromSupplier(() -> ++g.get()[0]);
                    }, null))
                    .expectNext(1)
                    .verifyComplete();
            StepVerifier.create(LockScope.flux(counting, g -> Flux.range(0, 3).map(i -> ++g.get()[0]), null))
                    .expectNext(2, 3, 4)
                    .verifyComplete();
            assertEquals(2, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            assertEquals(2, counting.released.sum(), "each scope released its hold once");
            assertFree(mutex);
        }

        @Test
        void aChainOfAcquisitionsMadeFromSignalsStaysFlat() {
            // Each guard's consumer releases and subscribes the next acquisition: inside the delivery the
            // fast path refuses (lock-core's trampoline is draining), so the next grant waits its turn on
            // the trampoline instead of nesting. Without that, a million of these overflow the stack.
            int n = 1_000_000;
            AtomicInteger left = new AtomicInteger(n);
            Mono<MutexGuard<int[]>> lock = LockMono.of(counting, null);
            Runnable[] next = new Runnable[1];
            next[0] = () -> lock.subscribe(g -> {
                closeIt(g);
                if (left.decrementAndGet() > 0) {
                    next[0].run();
                }
            });
            next[0].run();
            assertEquals(0, left.get());
            assertEquals(n, (int) mutex.withLock(a -> a[0]));
            assertEquals(1, counting.taken.sum(), "only the first, outside any delivery");
            assertEquals(n - 1, counting.submitted.sum());
            assertFree(mutex);
        }

        @Test
        void aMillionChainedScopesOfThePublicApiStayFlat() {
            int n = 1_000_000;
            AtomicInteger left = new AtomicInteger(n);
            Runnable[] next = new Runnable[1];
            next[0] = () -> ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0]))
                    .subscribe(v -> {
                        if (left.decrementAndGet() > 0) {
                            next[0].run();
                        }
                    });
            next[0].run();
            assertEquals(n, (int) mutex.withLock(a -> a[0]));
            assertFree(mutex);
        }
    }

    @Nested
    class NotTaken {
        @Test
        void aHeldMutexQueuesAndIsGrantedByTheRelease() {
            MutexGuard<int[]> held = mutex.lock();
            StepVerifier.create(LockMono.of(counting, null))
                    .expectSubscription()
                    .then(() -> awaitQueued(mutex, 1))
                    .then(held::close)
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertEquals(0, counting.taken.sum());
            assertEquals(1, counting.submitted.sum());
            assertEquals(1, counting.granted.sum());
            assertFree(mutex);
        }

        @Test
        void aFifoMutexKeepsItsOrderBehindAQueuedFuture() {
            Mutex<List<String>> fifo = Mutex.builder().fairness(Fairness.FIFO).name("fifo").build(new ArrayList<>());
            CountingAcquirer<MutexGuard<List<String>>> c = new CountingAcquirer<>(Acquirer.mutex(fifo));
            MutexGuard<List<String>> held = fifo.lock();
            CompletableFuture<Void> first = fifo.lockAsync().thenAccept(g -> {
                try (g) {
                    g.get().add("future");
                }
            });
            awaitQueued(fifo, 1);
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            Disposable d = LockMono.of(c, null).subscribe(g -> {
                try (g) {
                    order.addAll(g.get());
                    g.get().add("mono");
                }
            });
            awaitQueued(fifo, 2);
            assertEquals(0, c.taken.sum());
            held.close(); // FIFO: handed to the future, whose release hands it to the mono
            first.join();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> c.granted.sum() == 1);
            assertEquals(List.of("future"), order, "the mono ran after the future");
            assertEquals(List.of("future", "mono"), fifo.withLock(ArrayList::new));
            d.dispose();
            assertFree(fifo);
        }

        @Test
        void aReaderDoesNotPassAQueuedWriterThoughTheLockIsReadable() {
            RwLock<int[]> rw = RwLock.builder().name("rw").build(new int[1]);
            CountingAcquirer<ReadGuard<int[]>> reads = new CountingAcquirer<>(Acquirer.read(rw));
            ReadGuard<int[]> reader = rw.read();
            CompletableFuture<WriteGuard<int[]>> writer = rw.writeAsync();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> rw.queueLength() == 1);
            AtomicReference<ReadGuard<int[]>> second = new AtomicReference<>();
            LockMono.of(reads, null).subscribe(second::set);
            assertEquals(0, reads.taken.sum(), "taken past a queued writer");
            assertEquals(1, reads.submitted.sum());
            assertEquals(2, rw.queueLength());
            reader.close();
            writer.join().close(); // the writer first, then the reader
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> second.get() != null);
            second.get().close();
            assertFree(rw);
        }

        @Test
        void aSchedulerThatNeedsAHopQueuesAndSignalsThere() {
            Scheduler single = Schedulers.newSingle("grants");
            try {
                StepVerifier.create(LockMono.of(counting, single).map(g -> {
                            g.close();
                            return Thread.currentThread().getName();
                        }))
                        .assertNext(name -> assertTrue(name.startsWith("grants"), name))
                        .verifyComplete();
                StepVerifier.create(LockScope.mono(counting, g -> Mono.just(Thread.currentThread().getName()), single))
                        .assertNext(name -> assertTrue(name.startsWith("grants"), name))
                        .verifyComplete();
            } finally {
                single.dispose();
            }
            assertEquals(0, counting.taken.sum());
            assertEquals(2, counting.submitted.sum());
            assertFree(mutex);
        }

        @Test
        void aTimedTryLockOnAHeldMutexStillQueuesAndTimesOut() {
            MutexGuard<int[]> held = mutex.lock();
            try {
                StepVerifier.create(LockMono.timed(counting, null, Duration.ofMillis(20), Schedulers.parallel()))
                        .expectError(LockTimeoutException.class)
                        .verify(Duration.ofSeconds(10));
                // a timer the scheduler refuses: withdrawn, and the refusal is the error
                StepVerifier.create(LockMono.timed(counting, null, Duration.ofSeconds(30), Schedulers.immediate()))
                        .expectError(RejectedExecutionException.class)
                        .verify(Duration.ofSeconds(10));
            } finally {
                held.close();
            }
            assertEquals(0, counting.taken.sum());
            assertEquals(2, counting.submitted.sum());
            assertEquals(2, counting.withdrawn.sum());
            assertFree(mutex);
        }
    }

    @Nested
    class CancelRacingTheSynchronousGrant {
        /** Requests one, keeps the subscription; what it receives it records and closes. */
        private final class Recording extends BaseSubscriber<MutexGuard<int[]>> {
            final List<Object> signals = new ArrayList<>();

            @Override
            protected void hookOnSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            protected void hookOnNext(MutexGuard<int[]> g) {
                signals.add("next");
                g.close();
            }

            @Override
            protected void hookOnError(Throwable e) {
                signals.add(e);
            }

            @Override
            protected void hookOnComplete() {
                signals.add("complete");
            }
        }

        @Test
        void aCancelBetweenTheTakeAndTheDeliveryReleasesTheHold() {
            Recording r = new Recording();
            counting.afterTaking = r::dispose; // as if another thread cancelled right then
            LockMono.of(counting, null).subscribe(r);
            assertEquals(1, counting.taken.sum());
            assertEquals(1, counting.released.sum(), "the adapter released the grant nobody wants");
            assertTrue(r.signals.isEmpty(), "signals after cancel: " + r.signals);
            assertFree(mutex);
        }

        @Test
        void aScopeCancelledBetweenTheTakeAndTheDeliveryNeverRunsItsBody() {
            AtomicBoolean ran = new AtomicBoolean();
            BaseSubscriber<Integer> s = new BaseSubscriber<>() {
            };
            counting.afterTaking = s::dispose;
            LockScope.mono(counting, g -> {
                ran.set(true);
                return Mono.just(1);
            }, null).subscribe(s);
            assertFalse(ran.get());
            assertEquals(1, counting.released.sum());
            assertFree(mutex);
        }

        @Test
        void aCancelInsideOnNextLeavesTheGuardToTheSubscriber() {
            AtomicBoolean heldAfterCancel = new AtomicBoolean();
            LockMono.of(counting, null).subscribe(new BaseSubscriber<MutexGuard<int[]>>() {
                @Override
                protected void hookOnNext(MutexGuard<int[]> g) {
                    cancel();
                    heldAfterCancel.set(g.isHeld() && mutex.isLocked());
                    g.close();
                }
            });
            assertTrue(heldAfterCancel.get(), "a cancel after onNext must not release the subscriber's guard");
            assertEquals(0, counting.released.sum());
            assertFree(mutex);
        }

        @Test
        void requestThenCancelOnAFreeMutexDeliversOnAHeldOneWithdraws() {
            List<MutexGuard<int[]>> got = new ArrayList<>();
            BaseSubscriber<MutexGuard<int[]>> requestThenCancel = new BaseSubscriber<>() {
                @Override
                protected void hookOnSubscribe(Subscription s) {
                    s.request(1);
                    s.cancel();
                }

                @Override
                protected void hookOnNext(MutexGuard<int[]> g) {
                    got.add(g);
                }
            };
            LockMono.of(counting, null).subscribe(requestThenCancel);
            assertEquals(1, got.size(), "granted at once, before the cancel");
            got.get(0).close();
            MutexGuard<int[]> held = mutex.lock();
            LockMono.of(counting, null).subscribe(new BaseSubscriber<MutexGuard<int[]>>() {
                @Override
                protected void hookOnSubscribe(Subscription s) {
                    s.request(1);
                    s.cancel();
                }

                @Override
                protected void hookOnNext(MutexGuard<int[]> g) {
                    throw new AssertionError("granted after cancel");
                }
            });
            assertEquals(0, mutex.queueLength());
            assertEquals(1, counting.withdrawn.sum());
            held.close();
            assertFree(mutex);
        }

        @Test
        void cancelBeforeRequestAndTakeZeroNeverTouchTheLock() {
            LockMono.of(counting, null).subscribe(new BaseSubscriber<MutexGuard<int[]>>() {
                @Override
                protected void hookOnSubscribe(Subscription s) {
                    s.cancel();
                    s.request(1);
                }
            });
            StepVerifier.create(LockMono.of(counting, null).flux().take(0)).verifyComplete();
            assertEquals(0, counting.taken.sum() + counting.submitted.sum());
            assertFree(mutex);
        }

        @Test
        void takeOneOfARepeatTakesOnceAndStops() {
            StepVerifier.create(LockMono.of(counting, null).repeat().take(1))
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertEquals(1, counting.taken.sum());
            assertFree(mutex);
        }

        @Test
        void firstWithSignalTakesAFreeMutexAndCancelsTheLosers() {
            // the fast path signals during subscription: the race is won at once and the rest is never subscribed
            StepVerifier.create(Mono.firstWithSignal(LockMono.of(counting, null), LockMono.of(counting, null)))
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertEquals(1, counting.taken.sum());
            assertEquals(0, counting.submitted.sum());
            // a source that signals first: the acquisition is never made
            StepVerifier.create(Mono.firstWithSignal(Mono.just("other"), LockMono.of(counting, null).map(g -> {
                        g.close();
                        return "lock";
                    })))
                    .expectNext("other")
                    .verifyComplete();
            assertEquals(1, counting.taken.sum());
            // a slower source loses to the fast path and is cancelled
            StepVerifier.create(Mono.firstWithSignal(Mono.never(), LockMono.of(counting, null).map(g -> {
                        g.close();
                        return "lock";
                    })))
                    .expectNext("lock")
                    .verifyComplete();
            assertEquals(2, counting.taken.sum());
            assertFree(mutex);
        }
    }

    @Nested
    class Owners {
        private final Mutex<String> accounts = Mutex.builder().name("accounts").rank(1).build("a");
        private final Mutex<String> ledger = Mutex.builder().name("ledger").rank(2).build("l");

        @Test
        void aRankViolationOnAFreeMutexFailsBeforeAnythingIsHeld() {
            LockOwner owner = LockOwner.named("ranked");
            CountingAcquirer<MutexGuard<String>> c = new CountingAcquirer<>(Acquirer.mutex(accounts));
            MutexGuard<String> l = ReactorLocks.lock(ledger).contextWrite(ReactorLocks.ownedBy(owner)).block();
            assertNotNull(l);
            try {
                StepVerifier.create(LockMono.of(c, null).contextWrite(ReactorLocks.ownedBy(owner)))
                        .expectErrorSatisfies(e -> {
                            assertInstanceOf(LockOrderViolationException.class, e);
                            assertFalse(accounts.isLocked(), "held when the violation was signalled");
                        })
                        .verify(Duration.ofSeconds(10));
                assertEquals(0, c.taken.sum() + c.submitted.sum());
                assertEquals(0, accounts.queueLength());
            } finally {
                l.close();
            }
            // in order, the same owner gets both, on the fast path
            StepVerifier.create(LockScope.mono(c, a -> ReactorLocks.withLock(ledger, g -> Mono.just(a.get() + g.get())), null)
                            .contextWrite(ReactorLocks.ownedBy(owner)))
                    .expectNext("al")
                    .verifyComplete();
            assertEquals(1, c.taken.sum());
            assertFree(accounts);
            assertFree(ledger);
        }

        @Test
        void aFastPathHoldCountsForTheOwnerInTheContext() {
            LockOwner owner = LockOwner.named("holder");
            CountingAcquirer<MutexGuard<String>> c = new CountingAcquirer<>(Acquirer.mutex(ledger));
            MutexGuard<String> l = LockMono.of(c, null).contextWrite(ReactorLocks.ownedBy(owner)).block();
            assertNotNull(l);
            assertEquals(1, c.taken.sum());
            try {
                // recorded for the owner: the owner may not take a lower rank now, another task may
                StepVerifier.create(ReactorLocks.lock(accounts).contextWrite(ReactorLocks.ownedBy(owner)))
                        .expectError(LockOrderViolationException.class)
                        .verify(Duration.ofSeconds(10));
                StepVerifier.create(ReactorLocks.lock(accounts).contextWrite(ReactorLocks.ownedBy(LockOwner.named("other"))))
                        .assertNext(MutexGuard::close)
                        .verifyComplete();
            } finally {
                l.close();
            }
            // released: the owner holds nothing any more
            StepVerifier.create(ReactorLocks.lock(accounts).contextWrite(ReactorLocks.ownedBy(owner)))
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertFree(accounts);
            assertFree(ledger);
        }
    }

    @Nested
    class RwLocks {
        private final RwLock<int[]> rw = RwLock.builder().name("table").build(new int[1]);
        private final CountingAcquirer<ReadGuard<int[]>> reads = new CountingAcquirer<>(Acquirer.read(rw));
        private final CountingAcquirer<WriteGuard<int[]>> writes = new CountingAcquirer<>(Acquirer.write(rw));
        private final CountingAcquirer<UpgradableGuard<int[]>> upgradables = new CountingAcquirer<>(Acquirer.upgradableRead(rw));

        @Test
        void eachKindOfHoldIsTakenAtOnceOnAFreeLock() {
            StepVerifier.create(LockMono.of(writes, null)).assertNext(WriteGuard::close).verifyComplete();
            StepVerifier.create(LockMono.of(upgradables, null)).assertNext(UpgradableGuard::close).verifyComplete();
            StepVerifier.create(Mono.zip(LockMono.of(reads, null), LockMono.of(reads, null)))
                    .assertNext(both -> {
                        assertEquals(2, rw.readHolds());
                        both.getT1().close();
                        both.getT2().close();
                    })
                    .verifyComplete();
            assertEquals(1, writes.taken.sum());
            assertEquals(1, upgradables.taken.sum());
            assertEquals(2, reads.taken.sum());
            assertEquals(0, reads.submitted.sum() + writes.submitted.sum() + upgradables.submitted.sum());
            assertFree(rw);
        }

        @Test
        void readersAndAnUpgradableReaderShareButAWriterQueues() {
            UpgradableGuard<int[]> u = LockMono.of(upgradables, null).block();
            assertNotNull(u);
            ReadGuard<int[]> r = LockMono.of(reads, null).block();
            assertNotNull(r);
            assertEquals(1, reads.taken.sum(), "a reader beside the upgradable reader");
            AtomicReference<UpgradableGuard<int[]>> secondUpgradable = new AtomicReference<>();
            AtomicReference<WriteGuard<int[]>> writer = new AtomicReference<>();
            LockMono.of(upgradables, null).subscribe(secondUpgradable::set);
            LockMono.of(writes, null).subscribe(writer::set);
            assertEquals(1, upgradables.submitted.sum());
            assertEquals(1, writes.submitted.sum());
            assertEquals(2, rw.queueLength());
            r.close();
            u.close(); // admits the second upgradable reader, the writer waits for it
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> secondUpgradable.get() != null);
            secondUpgradable.get().close();
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> writer.get() != null);
            writer.get().close();
            assertFree(rw);
        }

        @Test
        void theScopedFormsOfThePublicApiTakeAFreeLock() {
            StepVerifier.create(ReactorLocks.withWrite(rw, w -> Mono.fromSupplier(() -> ++w.get()[0])))
                    .expectNext(1)
                    .verifyComplete();
            StepVerifier.create(ReactorLocks.withRead(rw, r -> Mono.just(r.get()[0] + rw.readHolds())))
                    .expectNext(2)
                    .verifyComplete();
            StepVerifier.create(ReactorLocks.withReadMany(rw, r -> Flux.just(r.get()[0])).concatWith(
                            ReactorLocks.withWriteMany(rw, w -> Flux.just(++w.get()[0]))))
                    .expectNext(1, 2)
                    .verifyComplete();
            assertFree(rw);
        }
    }

    /**
     * Subscriptions on the fast and the queued path at once, cancelled at random moments, against a
     * blocking thread: every subscription takes exactly one path and ends exactly one way, the count
     * under the lock is exact, and the mutex ends free with nobody queued.
     */
    @Test
    void fastAndQueuedSubscriptionsCancelledAtRandomEndExactlyOnceEach() throws Exception {
        int perDriver = 100_000;
        int drivers = 2;
        LongAdder nexts = new LongAdder();
        LongAdder bodies = new LongAdder();
        LongAdder unexpected = new LongAdder();
        AtomicInteger blockingOps = new AtomicInteger();
        Scheduler timers = Schedulers.fromExecutorService(Executors.newScheduledThreadPool(2), "mixed");
        AtomicBoolean stop = new AtomicBoolean();
        Thread blocking = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try (MutexGuard<int[]> g = mutex.lock()) {
                    g.get()[0]++;
                }
                blockingOps.incrementAndGet();
                if ((blockingOps.get() & 63) == 0) {
                    try {
                        TimeUnit.MICROSECONDS.sleep(50); // leave the mutex free for fast paths now and then
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        });
        Runnable drive = () -> {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (int i = 0; i < perDriver; i++) {
                BaseSubscriber<MutexGuard<int[]>> closing = new BaseSubscriber<>() {
                    @Override
                    protected void hookOnNext(MutexGuard<int[]> g) {
                        g.get()[0]++;
                        nexts.increment();
                        g.close();
                    }

                    @Override
                    protected void hookOnError(Throwable e) {
                        if (!(e instanceof LockTimeoutException)) {
                            unexpected.increment();
                        }
                    }
                };
                Disposable d = switch (random.nextInt(4)) {
                    case 0 -> LockMono.of(counting, null).subscribeWith(closing);
                    case 1 -> LockMono.timed(counting, null, Duration.ofNanos(random.nextInt(20_000)), timers)
                            .subscribeWith(closing);
                    case 2 -> LockScope.mono(counting, g -> Mono.fromSupplier(() -> {
                        bodies.increment();
                        return ++g.get()[0];
                    }), null).subscribe(v -> { }, e -> unexpected.increment());
                    default -> LockMono.of(counting, timers).subscribeWith(closing);
                };
                if (random.nextInt(3) != 0) {
                    for (int spin = random.nextInt(64); spin > 0; spin--) {
                        Thread.onSpinWait();
                    }
                    d.dispose();
                }
            }
        };
        Thread[] threads = new Thread[drivers];
        for (int t = 0; t < drivers; t++) {
            threads[t] = Thread.ofPlatform().start(drive);
        }
        try {
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofMinutes(3)), "a driver is stuck: " + mutex);
            }
        } finally {
            stop.set(true);
        }
        try {
            assertTrue(blocking.join(Duration.ofSeconds(30)), "the blocking thread is stuck: " + mutex);
            Awaitility.await().atMost(Duration.ofSeconds(60))
                    .until(() -> counting.granted.sum() + counting.withdrawn.sum() + counting.failed.sum()
                            == counting.submitted.sum());
        } finally {
            timers.dispose();
        }
        long subscriptions = (long) perDriver * drivers;
        assertEquals(subscriptions, counting.taken.sum() + counting.submitted.sum(), "each took exactly one path");
        assertTrue(counting.taken.sum() > 0, "no fast path taken");
        assertTrue(counting.submitted.sum() > 0, "no acquisition queued");
        assertEquals(0, counting.failed.sum());
        assertEquals(0, unexpected.sum());
        assertFree(mutex);
        assertEquals(nexts.sum() + bodies.sum() + blockingOps.get(), (long) mutex.withLock(a -> (long) a[0]),
                "increments under the lock");
    }
}
