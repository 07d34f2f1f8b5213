package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Attacks on a1b4231 through the Reactor front-end: {@code LockMono}'s free-lock path
 * ({@code Acquirer.takeIfFree}, that is {@link Mutex#lockIfFree}) now also takes a mutex whose queue
 * holds waiters when the policy lets arrivals barge. Blocking platform and virtual threads contend
 * with subscriptions of every kind (plain, owned, scoped, timed, cancelled at once, chained), under
 * each fairness policy: exclusion, every acquisition completes, nothing leaks through a cancel or a
 * timeout, and the mutex ends free with nobody queued.
 *
 * <p>Timers run on a scheduler of ordinary threads, as in {@link StormTest}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FreeLockBargeBreakTest {

    /** Runs one hold: alone inside, counts it. */
    private static final AtomicLong HOLDS = new AtomicLong();

    private static void hold(MutexGuard<long[]> g, AtomicInteger inside, ConcurrentLinkedQueue<Throwable> errors) {
        if (inside.incrementAndGet() != 1) {
            errors.add(new AssertionError("two holders inside"));
        }
        HOLDS.incrementAndGet();
        g.get()[0]++;
        if ((g.get()[0] & 7) == 0) {
            Thread.yield();
        }
        inside.decrementAndGet();
    }

    private static Thread start(boolean virtual, String name, ConcurrentLinkedQueue<Throwable> errors, Runnable body) {
        return (virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon()).name(name).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        });
    }

    /** Requests one guard, closes whatever it receives, even after it cancelled. */
    private static final class ClosingSubscriber implements org.reactivestreams.Subscriber<MutexGuard<long[]>> {
        private final AtomicInteger inside;
        private final ConcurrentLinkedQueue<Throwable> errors;
        private volatile org.reactivestreams.Subscription subscription;

        ClosingSubscriber(AtomicInteger inside, ConcurrentLinkedQueue<Throwable> errors) {
            this.inside = inside;
            this.errors = errors;
        }

        @Override
        public void onSubscribe(org.reactivestreams.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(MutexGuard<long[]> g) {
            hold(g, inside, errors);
            g.close();
        }

        @Override
        public void onError(Throwable t) {
            errors.add(t);
        }

        @Override
        public void onComplete() {
        }

        void cancel() {
            subscription.cancel();
        }
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void subscriptionsOfEveryKindAmongBlockingThreads(Fairness fairness) throws Exception {
        Mutex<long[]> m = Mutex.builder().fairness(fairness).build(new long[1]);
        HOLDS.set(0);
        AtomicInteger inside = new AtomicInteger();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        Scheduler timers = Schedulers.fromExecutorService(Executors.newScheduledThreadPool(2), "barge-timers");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong queuedAtTake = new AtomicLong();
        List<Thread> blocking = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            blocking.add(start(i == 1, "blocking-" + i, errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (!stop.get()) {
                    switch (r.nextInt(3)) {
                        case 0 -> {
                            try (MutexGuard<long[]> g = m.lock()) {
                                hold(g, inside, errors);
                            }
                        }
                        case 1 -> m.tryLock(Duration.ofNanos(r.nextInt(1, 200_000))).ifPresent(g -> {
                            hold(g, inside, errors);
                            g.close();
                        });
                        default -> {
                            MutexGuard<long[]> g = m.lock();
                            hold(g, inside, errors);
                            g.unlockFair();
                        }
                    }
                }
            }));
        }
        List<Thread> drivers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            LockOwner owner = LockOwner.named("subscriber-" + i);
            drivers.add(start(i == 1, "driver-" + i, errors, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int k = 0; k < 3000; k++) {
                    switch (r.nextInt(7)) {
                        case 0 -> {
                            MutexGuard<long[]> g = ReactorLocks.lock(m).block(Duration.ofSeconds(20));
                            if (m.hasQueuedWaiters()) {
                                queuedAtTake.incrementAndGet();
                            }
                            hold(g, inside, errors);
                            g.close();
                        }
                        case 1 -> {
                            MutexGuard<long[]> g = ReactorLocks.lock(m).contextWrite(ReactorLocks.ownedBy(owner))
                                    .block(Duration.ofSeconds(20));
                            hold(g, inside, errors);
                            g.close();
                        }
                        case 2 -> assertEquals(1, ReactorLocks.withLock(m, g -> Mono.fromCallable(() -> {
                            hold(g, inside, errors);
                            return 1;
                        })).block(Duration.ofSeconds(20)));
                        case 3 -> {
                            MutexGuard<long[]> g = ReactorLocks.tryLock(m, Duration.ofNanos(r.nextInt(1, 200_000)), timers)
                                    .onErrorResume(LockTimeoutException.class, e -> Mono.empty())
                                    .block(Duration.ofSeconds(20));
                            if (g != null) {
                                hold(g, inside, errors);
                                g.close();
                            }
                        }
                        case 4 -> {
                            // Cancelled at once: run at once (free), withdrawn, or granted meanwhile and
                            // released by the operator. Never leaked.
                            Disposable d = ReactorLocks.withLock(m, g -> Mono.fromCallable(() -> {
                                hold(g, inside, errors);
                                return 1;
                            })).subscribe(v -> { }, errors::add);
                            d.dispose();
                        }
                        case 5 -> {
                            // A bare guard to a subscriber that closes whatever it receives (as the
                            // ReactorLocks Javadoc asks of pipelines that cancel), cancelled at once.
                            ClosingSubscriber s = new ClosingSubscriber(inside, errors);
                            ReactorLocks.lock(m).subscribe(s);
                            s.cancel();
                        }
                        default -> assertEquals(3L, Flux.range(0, 3)
                                .concatMap(j -> ReactorLocks.withLock(m, g -> Mono.fromCallable(() -> {
                                    hold(g, inside, errors);
                                    return j;
                                })))
                                .count().block(Duration.ofSeconds(20)));
                    }
                }
            }));
        }
        try {
            for (Thread t : drivers) {
                assertTrue(t.join(Duration.ofSeconds(60)), () -> "stuck: " + t + " " + Arrays.toString(t.getStackTrace()) + " " + m);
            }
        } finally {
            stop.set(true);
        }
        try {
            for (Thread t : blocking) {
                assertTrue(t.join(Duration.ofSeconds(20)), () -> "stuck: " + t + " " + Arrays.toString(t.getStackTrace()) + " " + m);
            }
            assertTrue(errors.isEmpty(), () -> errors.size() + " errors, first: " + errors.peek());
            assertFree(m);
            assertFalse(m.hasQueuedWaiters());
            assertEquals(0, inside.get());
            assertEquals(HOLDS.get(), (long) m.<Long>withLock(v -> v[0]), "lost updates");
        } finally {
            timers.dispose();
        }
        System.out.println("reactor " + fairness + ": taken with waiters queued (sampled after the take) " + queuedAtTake.get());
    }

    /**
     * FIFO: a subscription's free-lock path never passes a queued blocking thread, even the one a
     * release is handing the mutex to; the subscription is granted after it.
     */
    @Test
    void aFifoMutexWithAQueuedThreadIsNotTakenBySubscriptions() throws Exception {
        Mutex<long[]> fifo = Mutex.builder().fairness(Fairness.FIFO).build(new long[1]);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        MutexGuard<long[]> held = fifo.lock();
        CompletableFuture<Void> threadMayRelease = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (MutexGuard<long[]> g = fifo.lock()) {
                order.add("thread");
                threadMayRelease.join();
            }
        });
        Locks.awaitQueued(fifo, 1);
        CompletableFuture<MutexGuard<long[]>> late = ReactorLocks.lock(fifo).toFuture();
        assertFalse(late.isDone(), "passed the queued thread");
        held.close();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> order.contains("thread"));
        assertFalse(late.isDone(), "took the mutex from the thread it was handed to");
        threadMayRelease.complete(null);
        MutexGuard<long[]> g = late.get(10, TimeUnit.SECONDS);
        order.add("subscription");
        g.close();
        assertTrue(t.join(Duration.ofSeconds(10)));
        assertEquals(List.of("thread", "subscription"), order);
        assertFree(fifo);
    }

    /**
     * FIFO: a notify with the mutex free wakes the condition waiter in place (it stays queued, the
     * mutex free, until it runs). A subscription made right then must queue behind it, not take the
     * free mutex past it: the waiter's hold always comes first. (Only a race exposes a pass, so
     * several rounds.)
     */
    @Test
    void aFifoMutexIsNotTakenPastAConditionWaiterWokenInPlace() throws Exception {
        for (int round = 0; round < 20; round++) {
            Mutex<long[]> fifo = Mutex.builder().fairness(Fairness.FIFO).build(new long[1]);
            dev.turnstile.lock.Condvar cv = new dev.turnstile.lock.Condvar();
            AtomicBoolean notified = new AtomicBoolean();
            List<String> order = Collections.synchronizedList(new ArrayList<>());
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            Thread t = start(round % 2 == 1, "cv-waiter", errors, () -> {
                try (MutexGuard<long[]> g = fifo.lock()) {
                    while (!notified.get()) {
                        cv.awaitUninterruptibly(g);
                    }
                    order.add("waiter");
                }
            });
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(cv::hasWaiters);
            notified.set(true);
            assertTrue(cv.notifyOne());
            CompletableFuture<Integer> sub = ReactorLocks.withLock(fifo, g -> Mono.fromCallable(() -> {
                order.add("subscription");
                return 1;
            })).toFuture();
            assertEquals(1, sub.get(10, TimeUnit.SECONDS));
            assertTrue(t.join(Duration.ofSeconds(10)), "the condition waiter is stuck: " + fifo);
            assertTrue(errors.isEmpty(), errors::toString);
            assertEquals(List.of("waiter", "subscription"), order, "round " + round);
            assertFree(fifo);
        }
    }
}
