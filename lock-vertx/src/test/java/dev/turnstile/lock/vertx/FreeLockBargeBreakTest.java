package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Attacks on a1b4231 through the Vert.x front-end: {@link VertxLocks}' and {@link LocalLocks}' free
 * mutex path ({@link Mutex#lockIfFree}) now also takes a mutex whose queue holds waiters when the
 * policy lets arrivals barge. Event-loop and virtual-thread contexts acquire in every form (plain,
 * timed with tiny timeouts, scoped, withdrawn at once) while blocking platform and virtual threads
 * contend for the same mutex, under each fairness policy: exclusion, every acquisition completes,
 * timeouts and withdrawals never leak the mutex, and it ends free with nobody queued.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class FreeLockBargeBreakTest {
    private static final int STEPS = 1500;

    private final AtomicInteger inside = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong holds = new java.util.concurrent.atomic.AtomicLong();
    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();

    /** One hold: alone inside, counted in the guarded value. */
    private void hold(long[] value) {
        if (inside.incrementAndGet() != 1) {
            errors.add(new AssertionError("two holders inside"));
        }
        value[0]++;
        holds.incrementAndGet();
        inside.decrementAndGet();
    }

    private Thread start(boolean virtual, String name, Runnable body) {
        return (virtual ? Thread.ofVirtual() : Thread.ofPlatform().daemon()).name(name).start(() -> {
            try {
                body.run();
            } catch (Throwable t) {
                errors.add(t);
            }
        });
    }

    /** Blocking threads (one platform, one virtual) on {@code m} until {@code stop}. */
    private List<Thread> blocking(Mutex<long[]> m, AtomicBoolean stop) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            threads.add(start(i == 1, "blocking-" + i, () -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (!stop.get()) {
                    switch (r.nextInt(3)) {
                        case 0 -> {
                            try (MutexGuard<long[]> g = m.lock()) {
                                hold(g.get());
                            }
                        }
                        case 1 -> m.tryLock(Duration.ofNanos(r.nextInt(1, 200_000))).ifPresent(g -> {
                            hold(g.get());
                            g.close();
                        });
                        default -> {
                            MutexGuard<long[]> g = m.lock();
                            hold(g.get());
                            g.unlockFair();
                        }
                    }
                }
            }));
        }
        return threads;
    }

    /** A timeout is the only failure expected. */
    private void expectTimeoutAtMost(AsyncResult<?> ar) {
        if (ar.failed() && !(ar.cause() instanceof LockTimeoutException)) {
            errors.add(ar.cause());
        }
    }

    /** Runs {@code steps} acquisitions on {@code context}, one after another, each from the previous one's end. */
    private void chain(Context context, int left, CountDownLatch done, Supplier<Future<?>> step) {
        if (left == 0) {
            done.countDown();
            return;
        }
        Future<?> f;
        try {
            f = step.get();
        } catch (Throwable t) {
            errors.add(t);
            done.countDown();
            return;
        }
        f.onComplete(ar -> context.runOnContext(v -> chain(context, left - 1, done, step)));
    }

    /**
     * Blocking threads on {@code m} and, beside them, {@link #STEPS} acquisitions made by {@code step}
     * on each of two event-loop contexts and one virtual-thread context; then {@link #finish}.
     */
    private void onContextsBesideBlockingThreads(Vertx vertx, Mutex<long[]> m, Supplier<Future<?>> step)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> blocking = blocking(m, stop);
        ThreadingModel[] models = {ThreadingModel.EVENT_LOOP, ThreadingModel.EVENT_LOOP, ThreadingModel.VIRTUAL_THREAD};
        CountDownLatch done = new CountDownLatch(models.length);
        for (ThreadingModel model : models) {
            Context context = Contexts.deploy(vertx, model);
            context.runOnContext(v -> chain(context, STEPS, done, step));
        }
        finish(m, blocking, stop, done);
    }

    private void finish(Mutex<long[]> m, List<Thread> blocking, AtomicBoolean stop, CountDownLatch done)
            throws Exception {
        try {
            assertTrue(done.await(60, TimeUnit.SECONDS), () -> "contexts stuck: " + m);
        } finally {
            stop.set(true);
        }
        for (Thread t : blocking) {
            assertTrue(t.join(Duration.ofSeconds(20)), () -> "stuck: " + t + " " + Arrays.toString(t.getStackTrace()) + " " + m);
        }
        assertTrue(errors.isEmpty(), () -> errors.size() + " errors, first: " + errors.peek());
        await().atMost(Contexts.WAIT).until(() -> !m.isLocked() && m.queueLength() == 0);
        assertFalse(m.hasQueuedWaiters(), m::toString);
        assertEquals(0, inside.get());
        assertEquals(holds.get(), (long) m.<Long>withLock(v -> v[0]), "lost updates");
        assertTrue(holds.get() > STEPS, "holds " + holds.get());
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void contextsAndBlockingThreadsOnOneMutex(Fairness fairness, Vertx vertx) throws Exception {
        Mutex<long[]> m = Mutex.builder().fairness(fairness).build(new long[1]);
        onContextsBesideBlockingThreads(vertx, m, () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            return switch (r.nextInt(4)) {
                case 0 -> VertxLocks.lock(m).andThen(ar -> {
                    if (ar.succeeded()) {
                        hold(ar.result().get());
                        ar.result().close();
                    } else {
                        errors.add(ar.cause());
                    }
                });
                case 1 -> VertxLocks.tryLock(m, Duration.ofNanos(r.nextInt(1, 200_000))).andThen(ar -> {
                    if (ar.succeeded()) {
                        hold(ar.result().get());
                        ar.result().close();
                    } else {
                        expectTimeoutAtMost(ar);
                    }
                });
                case 2 -> VertxLocks.withLock(m, g -> {
                    hold(g.get());
                    return Future.succeededFuture(1);
                }).andThen(ar -> {
                    if (ar.failed()) {
                        errors.add(ar.cause());
                    }
                });
                default -> {
                    PendingAcquisition<MutexGuard<long[]>> p = VertxLocks.pendingLock(m);
                    Future<MutexGuard<long[]>> f = p.future().andThen(ar -> {
                        if (ar.succeeded()) {
                            hold(ar.result().get());
                            ar.result().close();
                        } else if (!(ar.cause() instanceof CancellationException)) {
                            errors.add(ar.cause());
                        }
                    });
                    p.cancel(); // withdrawn, or granted already: then the handler closes it
                    yield f;
                }
            };
        });
    }

    /**
     * A typed mutex of the {@link LocalLocks} registry, taken by blocking threads through
     * {@link LocalLocks#mutex} and by contexts through {@code getLocalLock} (plain, timed with tiny
     * timeouts, scoped): the plain-lock forms use the same fast path.
     */
    @Test
    void localLocksOnATypedMutexAmongBlockingThreads(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Mutex<long[]> m = locks.mutex("barge", () -> new long[1]);
        long[] value = m.withLock(v -> v); // guarded by the mutex, so by the name's Lock too
        onContextsBesideBlockingThreads(vertx, m, () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            return switch (r.nextInt(3)) {
                case 0 -> locks.getLocalLock("barge").andThen(ar -> {
                    if (ar.succeeded()) {
                        hold(value);
                        ar.result().release();
                    } else {
                        errors.add(ar.cause());
                    }
                });
                case 1 -> locks.getLocalLockWithTimeout("barge", r.nextInt(0, 2)).andThen(ar -> {
                    if (ar.succeeded()) {
                        hold(value);
                        ar.result().release();
                    } else {
                        expectTimeoutAtMost(ar);
                    }
                });
                default -> locks.withLocalLock("barge", () -> {
                    hold(value);
                    return Future.succeededFuture(1);
                }).andThen(ar -> {
                    if (ar.failed()) {
                        errors.add(ar.cause());
                    }
                });
            };
        });
        assertEquals(1, locks.size(), "only the typed entry is left");
    }

    /**
     * FIFO: a notify with the mutex free wakes the condition waiter in place (it stays queued, the
     * mutex free, until it runs). A {@code VertxLocks.lock} or {@code withLock} made on an event loop
     * right then must queue behind it, not take the free mutex past it: the waiter's hold always comes
     * first. (Only a race exposes a pass, so several rounds.)
     */
    @Test
    void aFifoMutexIsNotTakenPastAConditionWaiterWokenInPlace(Vertx vertx) throws Exception {
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        for (int round = 0; round < 20; round++) {
            Mutex<long[]> fifo = Mutex.builder().fairness(Fairness.FIFO).build(new long[1]);
            dev.turnstile.lock.Condvar cv = new dev.turnstile.lock.Condvar();
            AtomicBoolean notified = new AtomicBoolean();
            List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
            Thread t = start(round % 2 == 1, "cv-waiter", () -> {
                try (MutexGuard<long[]> g = fifo.lock()) {
                    while (!notified.get()) {
                        cv.awaitUninterruptibly(g);
                    }
                    order.add("waiter");
                }
            });
            await().atMost(Contexts.WAIT).until(cv::hasWaiters);
            boolean scoped = round % 4 < 2;
            Future<?> f = Contexts.on(loop, () -> {
                notified.set(true);
                cv.notifyOne();
                return scoped
                        ? VertxLocks.withLock(fifo, g -> {
                            order.add("context");
                            return Future.succeededFuture(1);
                        })
                        : VertxLocks.lock(fifo).map(g -> {
                            order.add("context");
                            g.close();
                            return 1;
                        });
            });
            Contexts.get(f);
            assertTrue(t.join(Duration.ofSeconds(10)), () -> "the condition waiter is stuck: " + fifo);
            assertTrue(errors.isEmpty(), errors::toString);
            assertEquals(List.of("waiter", "context"), order, "round " + round);
            await().atMost(Contexts.WAIT).until(() -> !fifo.isLocked() && fifo.queueLength() == 0);
        }
    }
}
