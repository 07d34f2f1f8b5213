package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code VertxLocks.await} on a {@link Condvar}, and upgradable reads, resumed on the caller's context. */
@ExtendWith(VertxExtension.class)
class CondvarAndUpgradeTest {
    private final Mutex<Deque<String>> jobs = new Mutex<>(new ArrayDeque<>());
    private final Condvar notEmpty = new Condvar();

    private Future<MutexGuard<Deque<String>>> next(MutexGuard<Deque<String>> g) {
        return g.get().isEmpty() ? VertxLocks.await(notEmpty, g).compose(this::next) : Future.succeededFuture(g);
    }

    @Test
    void anEventLoopConsumerAwaitsAProducerThread(Vertx vertx) throws Exception {
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        CompletableFuture<String> taken = new CompletableFuture<>();
        loop.runOnContext(v -> VertxLocks.lock(jobs).compose(this::next).onSuccess(g -> {
            String job;
            try (g) {
                job = Vertx.currentContext() == loop ? g.get().poll() : "wrong context";
            }
            taken.complete(job);
        }));
        Thread producer = Thread.ofPlatform().start(() -> {
            try (MutexGuard<Deque<String>> g = jobs.lock()) {
                g.get().add("job");
                notEmpty.notifyOne();
            }
        });
        assertEquals("job", Contexts.get(taken));
        producer.join();
        assertFalse(jobs.isLocked());
    }

    @Test
    void aTimedAwaitWakesWithTheMutexHeld(Vertx vertx) throws Exception {
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        CompletableFuture<Boolean> notified = new CompletableFuture<>();
        loop.runOnContext(v -> VertxLocks.lock(jobs)
                .compose(g -> VertxLocks.await(notEmpty, g, Duration.ofMillis(20)))
                .onSuccess(w -> {
                    boolean held = w.guard().isHeld() && Vertx.currentContext() == loop;
                    w.guard().close();
                    notified.complete(held ? w.notified() : null);
                }));
        assertEquals(Boolean.FALSE, Contexts.get(notified));
        assertFalse(jobs.isLocked());
    }

    @Test
    void upgradableReadThenUpgradeOnAWorker(Vertx vertx) throws Exception {
        Context worker = Contexts.deploy(vertx, ThreadingModel.WORKER);
        RwLock<Integer> lock = new RwLock<>(1);
        var reader = lock.read();
        CompletableFuture<Integer> written = new CompletableFuture<>();
        worker.runOnContext(v -> VertxLocks.upgradableRead(lock)
                .compose(VertxLocks::upgrade)
                .onSuccess(w -> {
                    try (WriteGuard<Integer> g = w) {
                        g.set(g.get() + 1);
                        g.set(Vertx.currentContext() == worker ? g.get() : -1);
                    }
                    written.complete(lock.withRead(x -> x));
                }));
        await().atMost(Contexts.WAIT).until(() -> lock.isUpgradableLocked() && lock.queueLength() == 1);
        Thread.ofPlatform().start(reader::close).join(); // the last reader leaves: the upgrade completes
        assertEquals(2, Contexts.get(written));
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void upgradableReadersExcludeEachOther() throws Exception {
        RwLock<Integer> lock = new RwLock<>(0);
        UpgradableGuard<Integer> first = Contexts.get(VertxLocks.upgradableRead(lock));
        Future<UpgradableGuard<Integer>> second = VertxLocks.upgradableRead(lock);
        assertFalse(second.isComplete());
        first.close();
        try (UpgradableGuard<Integer> g = Contexts.get(second)) {
            assertTrue(g.isHeld());
            assertSame(lock, g.lock());
        }
    }
}
