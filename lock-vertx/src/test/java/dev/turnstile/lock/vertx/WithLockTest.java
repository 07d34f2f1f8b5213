package dev.turnstile.lock.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.RwLock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code withLock}, {@code withRead}, {@code withWrite} and {@code withLocalLock} release on every way out. */
@ExtendWith(VertxExtension.class)
class WithLockTest {
    private final Mutex<Integer> mutex = new Mutex<>(0);

    @Test
    void releasesWhenTheBodySucceedsAndOnlyThen(Vertx vertx, VertxTestContext test) throws Exception {
        Context context = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Promise<String> step = Promise.promise();
        context.runOnContext(v -> VertxLocks.withLock(mutex, g -> {
            g.set(g.get() + 1);
            return step.future();
        }).onComplete(test.succeeding(r -> test.verify(() -> {
            assertEquals("done", r);
            assertFalse(mutex.isLocked(), "released before the result is seen");
            assertSame(context, Vertx.currentContext());
            test.completeNow();
        }))));
        org.awaitility.Awaitility.await().atMost(Contexts.WAIT).until(mutex::isLocked);
        assertTrue(mutex.isLocked(), "held while the body's future is pending");
        context.runOnContext(v -> step.complete("done"));
    }

    @Test
    void releasesWhenTheBodysFutureFails(VertxTestContext test) {
        RuntimeException boom = new RuntimeException("boom");
        VertxLocks.withLock(mutex, g -> Future.failedFuture(boom))
                .onComplete(test.failing(e -> test.verify(() -> {
                    assertSame(boom, e);
                    assertFalse(mutex.isLocked());
                    test.completeNow();
                })));
    }

    @Test
    void releasesWhenTheBodyThrows(VertxTestContext test) {
        IllegalStateException boom = new IllegalStateException("thrown");
        VertxLocks.<Integer, String>withLock(mutex, g -> {
            throw boom;
        }).onComplete(test.failing(e -> test.verify(() -> {
            assertSame(boom, e);
            assertFalse(mutex.isLocked());
            test.completeNow();
        })));
    }

    @Test
    void releasesWhenTheBodyReturnsNull(VertxTestContext test) {
        VertxLocks.<Integer, String>withLock(mutex, g -> null)
                .onComplete(test.failing(e -> test.verify(() -> {
                    assertInstanceOf(NullPointerException.class, e);
                    assertFalse(mutex.isLocked());
                    test.completeNow();
                })));
    }

    @Test
    void aBodyMayCloseTheGuardItself(VertxTestContext test) {
        VertxLocks.withLock(mutex, g -> {
            g.close();
            return Future.succeededFuture(1);
        }).onComplete(test.succeeding(r -> test.verify(() -> {
            assertFalse(mutex.isLocked());
            test.completeNow();
        })));
    }

    @Test
    void withReadAndWithWriteRelease(VertxTestContext test) {
        RwLock<Integer> lock = new RwLock<>(1);
        VertxLocks.withRead(lock, g -> Future.succeededFuture(g.get()))
                .compose(r -> VertxLocks.<Integer, Integer>withWrite(lock, g -> {
                    throw new IllegalStateException("x");
                }).recover(e -> Future.succeededFuture(r)))
                .onComplete(test.succeeding(r -> test.verify(() -> {
                    assertEquals(1, r);
                    assertEquals(0, lock.readHolds());
                    assertFalse(lock.isWriteLocked());
                    test.completeNow();
                })));
    }

    @Test
    void withLocalLockReleasesOnEveryExit(Vertx vertx, VertxTestContext test) {
        LocalLocks locks = LocalLocks.of(vertx);
        AtomicBoolean ran = new AtomicBoolean();
        locks.withLocalLock("with", () -> Future.succeededFuture("ok"))
                .compose(r -> locks.<String>withLocalLock("with", () -> {
                    throw new IllegalStateException("thrown");
                }).recover(e -> Future.succeededFuture(r)))
                .compose(r -> locks.<String>withLocalLock("with", 1_000, () -> null).recover(e -> {
                    ran.set(e instanceof NullPointerException);
                    return Future.succeededFuture(r);
                }))
                .onComplete(test.succeeding(r -> test.verify(() -> {
                    assertEquals("ok", r);
                    assertTrue(ran.get());
                    assertEquals(0, locks.size(), "every release removed the name's entry");
                    test.completeNow();
                })));
    }
}
