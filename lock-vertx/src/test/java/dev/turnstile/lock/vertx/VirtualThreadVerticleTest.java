package dev.turnstile.lock.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Shared counters guarded by one {@link Mutex}, from verticles of every threading model and plain threads. */
@ExtendWith(VertxExtension.class)
class VirtualThreadVerticleTest {
    static final int INCREMENTS = 10_000;

    /** Increments with {@code Future.await(VertxLocks.lock(m))}, in a virtual-thread verticle. */
    static final class AwaitingVerticle extends AbstractVerticle {
        private final Mutex<long[]> counter;
        private final AtomicInteger wrongContext;

        AwaitingVerticle(Mutex<long[]> counter, AtomicInteger wrongContext) {
            this.counter = counter;
            this.wrongContext = wrongContext;
        }

        @Override
        public void start() {
            Context mine = context;
            for (int i = 0; i < INCREMENTS; i++) {
                try (MutexGuard<long[]> g = Future.await(VertxLocks.lock(counter))) {
                    if (Vertx.currentContext() != mine || !Thread.currentThread().isVirtual()) {
                        wrongContext.incrementAndGet();
                    }
                    g.get()[0]++;
                }
            }
        }
    }

    /** Increments through futures, one acquisition per event-loop task. */
    static final class EventLoopVerticle extends AbstractVerticle {
        private final Mutex<long[]> counter;
        private final AtomicInteger wrongContext;

        EventLoopVerticle(Mutex<long[]> counter, AtomicInteger wrongContext) {
            this.counter = counter;
            this.wrongContext = wrongContext;
        }

        @Override
        public void start(Promise<Void> done) {
            step(INCREMENTS, done);
        }

        private void step(int left, Promise<Void> done) {
            if (left == 0) {
                done.complete();
                return;
            }
            VertxLocks.lock(counter).onSuccess(g -> {
                if (Vertx.currentContext() != context) {
                    wrongContext.incrementAndGet();
                }
                g.get()[0]++;
                g.close();
                context.runOnContext(v -> step(left - 1, done));
            });
        }
    }

    /** Increments with the blocking {@code lock()}, on a worker verticle's thread. */
    static final class BlockingWorkerVerticle extends AbstractVerticle {
        private final Mutex<long[]> counter;

        BlockingWorkerVerticle(Mutex<long[]> counter) {
            this.counter = counter;
        }

        @Override
        public void start() {
            for (int i = 0; i < INCREMENTS; i++) {
                try (MutexGuard<long[]> g = counter.lock()) {
                    g.get()[0]++;
                }
            }
        }
    }

    @Test
    void aVirtualThreadVerticleGuardsACounterWithFutureAwait(Vertx vertx) throws Exception {
        Mutex<long[]> counter = new Mutex<>(new long[1]);
        AtomicInteger wrongContext = new AtomicInteger();
        Contexts.get(vertx.deployVerticle(new AwaitingVerticle(counter, wrongContext),
                new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)));
        assertEquals((long) INCREMENTS, (long) counter.<Long>withLock(c -> c[0]));
        assertEquals(0, wrongContext.get());
    }

    /**
     * Ten verticles (five virtual-thread verticles awaiting, five event-loop verticles chaining
     * futures) times 10,000 increments, plus two worker verticles and two plain threads blocking in
     * {@code lock()} on the same mutex: the count is exact, and every future resumed on its context.
     */
    @Test
    void tenVerticlesAndBlockingWorkersCountExactly(Vertx vertx) throws Exception {
        Mutex<long[]> counter = new Mutex<>(new long[1]);
        AtomicInteger wrongContext = new AtomicInteger();
        List<Future<String>> deployed = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            deployed.add(vertx.deployVerticle(new AwaitingVerticle(counter, wrongContext),
                    new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)));
            deployed.add(vertx.deployVerticle(new EventLoopVerticle(counter, wrongContext)));
        }
        for (int i = 0; i < 2; i++) {
            deployed.add(vertx.deployVerticle(new BlockingWorkerVerticle(counter),
                    new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
        }
        List<Thread> plain = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            plain.add(Thread.ofPlatform().start(() -> {
                for (int n = 0; n < INCREMENTS; n++) {
                    try (MutexGuard<long[]> g = counter.lock()) {
                        g.get()[0]++;
                    }
                }
            }));
        }
        Contexts.get(Future.all(deployed));
        for (Thread t : plain) {
            t.join(Contexts.WAIT.toMillis());
            assertFalse(t.isAlive());
        }
        assertEquals(14L * INCREMENTS, (long) counter.<Long>withLock(c -> c[0]));
        assertEquals(0, wrongContext.get());
        assertFalse(counter.isLocked());
    }

    /**
     * A blocking {@code lock()} on a virtual-thread context parks the virtual thread (no event loop
     * is blocked) until a plain thread releases.
     */
    @Test
    void aBlockingLockOnAVirtualThreadContextParksTheVirtualThread(Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.VIRTUAL_THREAD);
        Mutex<Integer> mutex = new Mutex<>(0);
        MutexGuard<Integer> held = mutex.lock();
        Future<Boolean> f = Contexts.on(context, () -> vertx.<Boolean>executeBlocking(() -> false)) // warm up
                .transform(ar -> Future.succeededFuture(true));
        Contexts.get(f);
        java.util.concurrent.CompletableFuture<Thread> locker = new java.util.concurrent.CompletableFuture<>();
        context.runOnContext(v -> {
            try (MutexGuard<Integer> g = mutex.lock()) {
                g.set(1);
                locker.complete(Thread.currentThread());
            }
        });
        org.awaitility.Awaitility.await().atMost(Contexts.WAIT).until(() -> mutex.queueLength() == 1);
        held.close();
        assertTrue(Contexts.get(locker).isVirtual());
        assertEquals(1, (int) mutex.<Integer>withLock(v -> v));
        assertSame(null, Vertx.currentContext());
    }
}
