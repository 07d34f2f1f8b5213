package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A future obtained on a context completes on that context, whichever thread released the lock
 * (here a plain platform thread); outside any context it completes on the releasing thread.
 */
@ExtendWith(VertxExtension.class)
class ContextAffinityTest {

    /** Where a future completed, and how. */
    record Completion(Context context, Thread thread, AsyncResult<?> result) {
        static Completion here(AsyncResult<?> result) {
            return new Completion(Vertx.currentContext(), Thread.currentThread(), result);
        }
    }

    /**
     * Requests {@code acquire} on {@code context} while the lock is held by the test thread, releases
     * it from a fresh platform thread once the request is queued, and returns where it completed.
     */
    private static Completion acquireOn(Context context, Supplier<Future<?>> acquire, BooleanSupplier queued,
                                        Runnable release, Thread[] releaser) throws Exception {
        CompletableFuture<Completion> done = new CompletableFuture<>();
        context.runOnContext(v -> acquire.get().onComplete(ar -> done.complete(Completion.here(ar))));
        await().atMost(Contexts.WAIT).until(queued::getAsBoolean);
        Thread t = Thread.ofPlatform().name("releaser").start(release);
        releaser[0] = t;
        t.join();
        return Contexts.get(done);
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
    void mutexFutureCompletesOnTheCallersContext(ThreadingModel model, Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, model);
        Mutex<Integer> mutex = new Mutex<>(0);
        MutexGuard<Integer> held = mutex.lock();
        Thread[] releaser = new Thread[1];

        Completion c = acquireOn(context, () -> VertxLocks.lock(mutex), () -> mutex.queueLength() == 1,
                held::close, releaser);

        assertTrue(c.result().succeeded(), () -> String.valueOf(c.result().cause()));
        assertSame(context, c.context());
        assertNotSame(releaser[0], c.thread());
        assertEquals(model == ThreadingModel.VIRTUAL_THREAD, c.thread().isVirtual());
        ((MutexGuard<?>) c.result().result()).close();
        assertTrue(!mutex.isLocked());
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
    void rwLockWriteFutureCompletesOnTheCallersContext(ThreadingModel model, Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, model);
        RwLock<Integer> lock = new RwLock<>(0);
        var reader = lock.read();
        Thread[] releaser = new Thread[1];

        Completion c = acquireOn(context, () -> VertxLocks.write(lock), () -> lock.queueLength() == 1,
                reader::close, releaser);

        assertTrue(c.result().succeeded());
        assertSame(context, c.context());
        assertNotSame(releaser[0], c.thread());
        ((WriteGuard<?>) c.result().result()).close();
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
    void localLockCompletesOnTheCallersContext(ThreadingModel model, Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, model);
        LocalLocks locks = LocalLocks.of(vertx);
        Mutex<Void> named = locks.mutex("affinity-" + model, () -> null); // the same name, typed: to see the queue
        io.vertx.core.shareddata.Lock held = Contexts.get(locks.getLocalLock("affinity-" + model));
        Thread[] releaser = new Thread[1];

        Completion c = acquireOn(context, () -> locks.getLocalLock("affinity-" + model),
                () -> named.queueLength() == 1, held::release, releaser);

        assertTrue(c.result().succeeded());
        assertSame(context, c.context());
        assertNotSame(releaser[0], c.thread());
        ((io.vertx.core.shareddata.Lock) c.result().result()).release();
    }

    @Test
    void outsideAnyContextTheFutureCompletesOnTheReleasingThread() throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        MutexGuard<Integer> held = mutex.lock();
        CompletableFuture<Completion> done = new CompletableFuture<>();
        VertxLocks.lock(mutex).onComplete(ar -> done.complete(Completion.here(ar)));
        Thread releaser = Thread.ofPlatform().start(held::close);
        releaser.join();

        Completion c = Contexts.get(done);
        assertSame(releaser, c.thread());
        assertEquals(null, c.context());
        ((MutexGuard<?>) c.result().result()).close();
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
    void aFreeLockCompletesBeforeTheCallReturns(ThreadingModel model, Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, model);
        Mutex<Integer> mutex = new Mutex<>(0);
        boolean completedAtOnce = Contexts.on(context, () -> {
            Future<MutexGuard<Integer>> f = VertxLocks.lock(mutex);
            boolean done = f.succeeded();
            f.result().close();
            return done;
        });
        assertTrue(completedAtOnce);
    }
}
