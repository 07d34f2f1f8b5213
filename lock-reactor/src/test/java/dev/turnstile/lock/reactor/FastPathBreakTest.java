package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static dev.turnstile.lock.reactor.Locks.awaitQueued;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Attacks on the free-lock fast path of {@link LockMono} and {@link LockScope} (the lock taken at the
 * first request with no queue node and delivered through lock-core's trampoline): the ones that found
 * something, and those that pin down behaviour the other suites do not cover.
 */
@org.junit.jupiter.api.Timeout(value = 30, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
class FastPathBreakTest {
    private final Mutex<int[]> mutex = Mutex.builder().name("break").build(new int[1]);

    // ------------------------------------------------------------ request / cancel shapes

    @Test
    void requestTwiceAndReentrantlyFromOnSubscribeAndOnNextAcquiresOnce() {
        CountingAcquirer<MutexGuard<int[]>> counting = new CountingAcquirer<>(Acquirer.mutex(mutex));
        AtomicInteger nexts = new AtomicInteger();
        AtomicInteger completes = new AtomicInteger();
        LockMono.of(counting, null).subscribe(new BaseSubscriber<MutexGuard<int[]>>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                s.request(1);
                s.request(1);
                s.request(Long.MAX_VALUE);
            }

            @Override
            protected void hookOnNext(MutexGuard<int[]> g) {
                nexts.incrementAndGet();
                request(5); // re-entrant, after the grant: nothing more
                g.close();
            }

            @Override
            protected void hookOnComplete() {
                completes.incrementAndGet();
            }
        });
        assertEquals(1, nexts.get());
        assertEquals(1, completes.get());
        assertEquals(1, counting.taken.sum());
        assertEquals(0, counting.submitted.sum());
        assertFree(mutex);
    }

    @Test
    void aSubscriberThatThrowsInOnNextOfAScopeStillReleases() {
        List<Throwable> dropped = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> errored = new AtomicReference<>();
        ReactorLocks.withLock(mutex, g -> Mono.just(1)).subscribe(new CoreSubscriber<Integer>() {
            @Override
            public void onSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            public void onNext(Integer v) {
                throw new IllegalStateException("subscriber bug");
            }

            @Override
            public void onError(Throwable t) {
                errored.set(t);
            }

            @Override
            public void onComplete() {
            }
        });
        assertFree(mutex);
        assertTrue(dropped.isEmpty());
    }

    @Test
    void aScopeWhoseBodyNeverEndsIsReleasedByDispose() {
        Disposable d = ReactorLocks.withLock(mutex, g -> Mono.never()).subscribe();
        assertTrue(mutex.isLocked());
        d.dispose();
        assertFree(mutex);
    }

    @Test
    void aRawPublisherBodyThatThrowsInSubscribeFailsTheScopeAndReleases() {
        Publisher<Integer> throwing = subscriber -> {
            throw new IllegalStateException("subscribe threw");
        };
        StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> throwing))
                .expectErrorMessage("subscribe threw")
                .verify(Duration.ofSeconds(5));
        assertFree(mutex);
    }

    @Test
    void aBodyClosingItsGuardAfterTheScopeWasCancelledElsewhereFindsItClosed() throws Exception {
        AtomicReference<MutexGuard<int[]>> handed = new AtomicReference<>();
        Disposable d = ReactorLocks.withLock(mutex, g -> {
            handed.set(g);
            return Mono.never();
        }).subscribe();
        Thread canceller = Thread.ofPlatform().start(d::dispose);
        canceller.join(5_000);
        assertFree(mutex);
        try (MutexGuard<int[]> next = mutex.lock()) { // someone else holds it now
            CompletableFuture<Throwable> lateClose = CompletableFuture.supplyAsync(() -> {
                try {
                    handed.get().close();
                    return null;
                } catch (Throwable t) {
                    return t;
                }
            });
            assertTrue(lateClose.get(5, java.util.concurrent.TimeUnit.SECONDS) instanceof IllegalStateException,
                    "the body's close finds the guard closed by the cancel");
            assertTrue(next.isHeld() && mutex.isLocked(), "and does not release the next holder's lock");
        }
        assertFree(mutex);
    }

    /**
     * Cancel × running body: a cancel from another thread while the body's supplier runs on the
     * granting thread must not hand the lock to the next holder under it (found by the mixed storm of
     * {@code FreeLockFastPathTest}: one increment in about 170,000 lost).
     */
    @Test
    void aCancelWhileTheBodyRunsOnTheGrantingThreadReleasesOnlyWhenTheBodyReturns() throws Exception {
        CountDownLatch inBody = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        BaseSubscriber<Integer> subscriber = new BaseSubscriber<>() { };
        Thread granting = Thread.ofPlatform().start(() -> ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> {
            inBody.countDown();
            try {
                mayReturn.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return ++g.get()[0];
        })).subscribe(subscriber));
        assertTrue(inBody.await(5, java.util.concurrent.TimeUnit.SECONDS));
        subscriber.dispose();
        assertTrue(mutex.isLocked(), "released under the running body");
        CompletableFuture<Boolean> next = CompletableFuture.supplyAsync(() -> mutex.tryLock().map(g -> { g.close(); return true; }).orElse(false));
        assertEquals(Boolean.FALSE, next.get(5, java.util.concurrent.TimeUnit.SECONDS), "another holder got in");
        mayReturn.countDown();
        granting.join(5_000);
        assertFree(mutex);
        Integer incremented = mutex.withLock(a -> a[0]);
        assertEquals(1, incremented, "the body's increment happened under the lock");
    }

    @Test
    void zipWithAFailingSiblingReleasesTheScopeTakenAtOnce() {
        StepVerifier.create(Mono.zip(ReactorLocks.withLock(mutex, g -> Mono.never()),
                        Mono.error(new IllegalStateException("sibling"))))
                .expectErrorMessage("sibling")
                .verify(Duration.ofSeconds(5));
        assertFree(mutex);
        StepVerifier.create(Mono.zip(ReactorLocks.withLock(mutex, g -> Mono.just(1).delayElement(Duration.ofMillis(50))),
                        Mono.delay(Duration.ofMillis(5)).then(Mono.error(new IllegalStateException("late sibling")))))
                .expectErrorMessage("late sibling")
                .verify(Duration.ofSeconds(5));
        assertFree(mutex);
    }

    @Test
    void retryReacquiresAfterEachFailedBody() {
        AtomicInteger attempts = new AtomicInteger();
        StepVerifier.create(ReactorLocks.withLock(mutex, g -> {
                    assertTrue(mutex.isLocked());
                    return attempts.incrementAndGet() < 4 ? Mono.error(new IllegalStateException("again")) : Mono.just(7);
                }).retry(5))
                .expectNext(7)
                .expectComplete().verify(Duration.ofSeconds(10));
        assertEquals(4, attempts.get());
        assertFree(mutex);
    }

    @Test
    void switchMapCancelsAndReleasesEachSupersededScope() {
        List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
        StepVerifier.create(Flux.range(0, 1000)
                        .switchMap(i -> ReactorLocks.withLock(mutex, g -> i < 999 ? Mono.<Integer>never() : Mono.just(i)))
                        .doOnNext(seen::add))
                .expectNext(999)
                .expectComplete().verify(Duration.ofSeconds(10));
        assertFree(mutex);
    }

    @Test
    void takeOneOfAManyScopeCancelsTheBodyAndReleases() {
        StepVerifier.create(ReactorLocks.withLockMany(mutex, g -> Flux.range(0, 1_000_000)).take(1))
                .expectNext(0)
                .expectComplete().verify(Duration.ofSeconds(10));
        assertFree(mutex);
    }

    // ------------------------------------------------------------ ranks, re-entry

    @Test
    void reacquiringTheSameRankedMutexInsideItsBodyFailsInsteadOfDeadlocking() {
        Mutex<String> ranked = Mutex.builder().name("ranked").rank(3).build("r");
        StepVerifier.create(ReactorLocks.withLock(ranked, g -> ReactorLocks.withLock(ranked, g2 -> Mono.just("inner")))
                        .contextWrite(ReactorLocks.ownedBy(LockOwner.named("self"))))
                .expectError(LockOrderViolationException.class)
                .verify(Duration.ofSeconds(5));
        assertFree(ranked);
    }

    @Test
    void nestedScopesInRankOrderAreEachTakenAndReleased() {
        Mutex<String> a = Mutex.builder().name("a").rank(1).build("a");
        Mutex<String> b = Mutex.builder().name("b").rank(2).build("b");
        LockOwner owner = LockOwner.named("nested");
        StepVerifier.create(ReactorLocks.withLock(a, ga -> ReactorLocks.withLock(b, gb -> Mono.just(ga.get() + gb.get())))
                        .contextWrite(ReactorLocks.ownedBy(owner)))
                .expectNext("ab")
                .expectComplete().verify(Duration.ofSeconds(10));
        assertFree(a);
        assertFree(b);
        // the owner holds nothing now: the reverse order is refused only while a is held, never after
        StepVerifier.create(ReactorLocks.withLock(b, gb -> Mono.just(gb.get()))
                        .then(ReactorLocks.withLock(a, ga -> Mono.just(ga.get())))
                        .contextWrite(ReactorLocks.ownedBy(owner)))
                .expectNext("a")
                .expectComplete().verify(Duration.ofSeconds(10));
    }

    // ------------------------------------------------------------ the trampoline

    @Test
    void releasingAnotherLockInsideAFastPathDeliveryGrantsItsFuturesAfterwardsInOrder() {
        Mutex<String> other = Mutex.builder().name("other").build("o");
        MutexGuard<String> held = other.lock();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<CompletableFuture<MutexGuard<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            CompletableFuture<MutexGuard<String>> f = other.lockAsync();
            f.thenAccept(g -> {
                order.add("future " + n);
                g.close();
            });
            futures.add(f);
        }
        awaitQueued(other, 3);
        Thread me = Thread.currentThread();
        ReactorLocks.lock(mutex).subscribe(g -> {
            order.add("onNext start");
            held.close(); // hands `other` to future 0, whose completion waits for this delivery
            order.add("onNext end");
            g.close();
        });
        assertEquals(List.of("onNext start", "onNext end", "future 0", "future 1", "future 2"), order);
        assertTrue(futures.stream().allMatch(CompletableFuture::isDone));
        assertFree(mutex);
        assertFree(other);
        assertEquals(me, Thread.currentThread());
    }

    @Test
    void recursionFromOnNextThroughTheFastPathStaysFlat() {
        int n = 200_000;
        StepVerifier.create(step(0, n))
                .expectNext(n)
                .expectComplete().verify(Duration.ofSeconds(10));
        assertFree(mutex);
    }

    private Mono<Integer> step(int i, int n) {
        return Mono.just(i)
                .expand(j -> j < n ? ReactorLocks.withLock(mutex, g -> Mono.just(j + 1)) : Mono.empty())
                .last();
    }

    @Test
    @org.junit.jupiter.api.Disabled("found, not a regression of the fast path (fails the same on 239463c): a block() on an "
            + "acquisition made inside a grant's delivery waits for this thread's trampoline, which runs only after the "
            + "delivery returns, so it times out; a design decision (documented for lockAsync) left to the owner")
    void aBlockingRequestInsideTheDeliveryOfAFreeLockDoesNotHang() {
        // Inside a delivery the fast path refuses, so the inner acquisition of a free mutex is queued
        // on this thread's trampoline: block() here would wait for a grant that only this thread delivers.
        Mutex<String> other = Mutex.builder().name("inner").build("i");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<String> got = new AtomicReference<>();
        ReactorLocks.lock(mutex).subscribe(g -> {
            try {
                got.set(ReactorLocks.withLock(other, o -> Mono.just(o.get())).block(Duration.ofSeconds(2)));
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                g.close();
            }
        });
        assertNull(failure.get(), () -> "inner block() failed: " + failure.get());
        assertEquals("i", got.get());
        assertFree(mutex);
        assertFree(other);
    }

    // ------------------------------------------------------------ RwLock

    @Test
    void anUpgradableReadTakenAtOnceUpgradesAndReleases() {
        RwLock<int[]> rw = RwLock.builder().name("rw").build(new int[1]);
        StepVerifier.create(ReactorLocks.upgradableRead(rw)
                        .flatMap(ReactorLocks::upgrade)
                        .map(w -> {
                            w.get()[0]++;
                            boolean write = rw.isWriteLocked();
                            w.close();
                            return write;
                        }))
                .expectNext(true)
                .expectComplete().verify(Duration.ofSeconds(10));
        Locks.assertFree(rw);
    }

    @Test
    void aReaderDoesNotPassAnUpgradeUnderWay() throws Exception {
        RwLock<int[]> rw = RwLock.builder().name("rw-up").build(new int[1]);
        var reader = rw.read();
        var up = ReactorLocks.upgradableRead(rw).block(Duration.ofSeconds(2));
        AtomicReference<WriteGuard<int[]>> w = new AtomicReference<>();
        Disposable d = ReactorLocks.upgrade(up).subscribe(w::set); // waits for `reader` to leave
        AtomicInteger readers = new AtomicInteger();
        Disposable r = ReactorLocks.read(rw).subscribe(g -> {
            readers.incrementAndGet();
            g.close();
        });
        assertEquals(0, readers.get(), "a reader was let in while an upgrade waited");
        reader.close();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> w.get() != null);
        assertEquals(0, readers.get());
        w.get().close();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> readers.get() == 1);
        d.dispose();
        r.dispose();
        Locks.assertFree(rw);
    }

    // ------------------------------------------------------------ a with… body closing its guard while cancelled

    /**
     * A {@code with…} body may close its guard itself, and a cancel releases it too: the two closes on
     * two threads must not both release, or the second one releases a hold somebody else took in
     * between (here: a fast-path acquisition on a third thread).
     */
    @Test
    void aBodyClosingItsGuardWhileTheScopeIsCancelledReleasesOnce() throws Exception {
        int rounds = 30_000;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        AtomicReference<Throwable> problem = new AtomicReference<>();
        AtomicInteger inside = new AtomicInteger();
        for (int round = 0; round < rounds && problem.get() == null; round++) {
            AtomicReference<MutexGuard<int[]>> guard = new AtomicReference<>();
            Disposable d = ReactorLocks.withLock(mutex, g -> {
                guard.set(g);
                return Mono.never();
            }).subscribe();
            CountDownLatch go = new CountDownLatch(1);
            CountDownLatch done = new CountDownLatch(2);
            pool.execute(() -> {
                try {
                    go.await();
                    guard.get().close();
                } catch (Throwable t) {
                    if (!(t instanceof IllegalStateException)) {
                        problem.compareAndSet(null, t);
                    }
                } finally {
                    done.countDown();
                }
            });
            pool.execute(() -> {
                try {
                    go.await();
                    d.dispose();
                } catch (Throwable t) {
                    problem.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            });
            go.countDown();
            // a third party takes the mutex as soon as it is free, and checks that nobody releases it meanwhile
            MutexGuard<int[]> third = mutex.lock();
            if (inside.incrementAndGet() != 1) {
                problem.compareAndSet(null, new AssertionError("two holders"));
            }
            Locks.await(done);
            if (!mutex.isLocked()) {
                problem.compareAndSet(null, new AssertionError("round " + round + ": the third party's hold was released by the scope"));
            }
            inside.decrementAndGet();
            try {
                third.close();
            } catch (Throwable t) {
                problem.compareAndSet(null, t);
            }
        }
        pool.shutdownNow();
        if (problem.get() != null) {
            throw new AssertionError(problem.get());
        }
        assertFree(mutex);
    }
}
