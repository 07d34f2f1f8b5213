package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Deadlock;
import dev.turnstile.lock.Deadlocks;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The {@link LockOwner} in a Vert.x context's local data: the acquisitions made on that context are
 * one acquirer for lock ranks and deadlock detection.
 */
@ExtendWith(VertxExtension.class)
class LockOwnerTest {
    private final Mutex<String> accounts = Mutex.builder().name("accounts").rank(1).build("a");
    private final Mutex<String> ledger = Mutex.builder().name("ledger").rank(2).build("l");

    @Test
    void theOwnerLivesInTheContextsLocalData(Vertx vertx) throws Exception {
        Context verticle = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Context context = ((ContextInternal) verticle).duplicate(); // a request's context
        LockOwner owner = LockOwner.named("request-1");
        assertNull(VertxLocks.owner(context));
        VertxLocks.setOwner(context, owner);
        assertSame(owner, VertxLocks.owner(context));
        assertNull(VertxLocks.owner(verticle), "each context has its own");
        VertxLocks.setOwner(context, null);
        assertNull(VertxLocks.owner(context));
        assertNull(VertxLocks.owner(null));
        assertThrows(NullPointerException.class, () -> VertxLocks.setOwner(null, owner));
    }

    @Test
    void anOutOfOrderAcquisitionOnAnOwnedContextFailsBeforeQueuing(Vertx vertx) throws Exception {
        Context request = ((ContextInternal) Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP)).duplicate();
        VertxLocks.setOwner(request, LockOwner.named("order-7"));
        MutexGuard<String> heldElsewhere = accounts.lock(); // the refused acquisition would have queued
        try {
            Future<String> posting = Contexts.on(request, () ->
                    VertxLocks.withLock(ledger, l -> VertxLocks.withLock(accounts, a -> Future.succeededFuture("never"))));
            ExecutionException e = assertThrows(ExecutionException.class, () -> Contexts.get(posting));
            assertInstanceOf(LockOrderViolationException.class, e.getCause());
            assertTrue(e.getCause().getMessage().startsWith("task \"order-7\""), e.getCause().getMessage());
            assertEquals(0, accounts.queueLength(), "nothing was queued");
        } finally {
            heldElsewhere.close();
        }
        await().atMost(Contexts.WAIT).until(() -> !ledger.isLocked());
        assertFalse(accounts.isLocked());

        Future<String> inOrder = Contexts.on(request, () ->
                VertxLocks.withLock(accounts, a -> VertxLocks.withLock(ledger, l -> Future.succeededFuture(a.get() + l.get()))));
        assertEquals("al", Contexts.get(inOrder));
    }

    @Test
    void everyFormObeysTheOwnersRanks(Vertx vertx) throws Exception {
        RwLock<String> low = RwLock.builder().name("low").rank(0).build("r");
        Context request = ((ContextInternal) Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP)).duplicate();
        VertxLocks.setOwner(request, LockOwner.named("forms"));
        MutexGuard<String> l = Contexts.get(Contexts.on(request, () -> VertxLocks.lock(ledger)));
        try {
            for (Future<?> refused : Contexts.on(request, () -> List.<Future<?>>of(
                    VertxLocks.lock(accounts),
                    VertxLocks.tryLock(accounts, Duration.ofSeconds(5)),
                    VertxLocks.pendingLock(accounts).future(),
                    VertxLocks.read(low),
                    VertxLocks.write(low),
                    VertxLocks.upgradableRead(low)))) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> Contexts.get(refused));
                assertInstanceOf(LockOrderViolationException.class, e.getCause());
            }
        } finally {
            l.close();
        }
        assertFalse(accounts.isLocked());
        assertEquals(0, low.readHolds());
    }

    @Test
    void acquisitionsWithoutAnOwnerAreNotChecked(Vertx vertx) throws Exception {
        Context plain = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Future<String> unowned = Contexts.on(plain, () ->
                VertxLocks.withLock(ledger, l -> VertxLocks.withLock(accounts, a -> Future.succeededFuture("ok"))));
        assertEquals("ok", Contexts.get(unowned));
    }

    @Test
    void twoRequestsDeadlockedAsTwoOwnersAreFound(Vertx vertx) throws Exception {
        Mutex<String> a = Mutex.builder().name("va").detectDeadlocks().build("a");
        Mutex<String> b = Mutex.builder().name("vb").detectDeadlocks().build("b");
        Context verticle = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Context first = ((ContextInternal) verticle).duplicate();
        Context second = ((ContextInternal) verticle).duplicate();
        LockOwner one = LockOwner.named("request-a");
        LockOwner two = LockOwner.named("request-b");
        VertxLocks.setOwner(first, one);
        VertxLocks.setOwner(second, two);
        MutexGuard<String> ga = Contexts.get(Contexts.on(first, () -> VertxLocks.lock(a)));
        MutexGuard<String> gb = Contexts.get(Contexts.on(second, () -> VertxLocks.lock(b)));
        PendingAcquisition<MutexGuard<String>> oneWaits = Contexts.on(first, () -> VertxLocks.pendingLock(b));
        PendingAcquisition<MutexGuard<String>> twoWaits = Contexts.on(second, () -> VertxLocks.pendingLock(a));
        try {
            List<Deadlock> found = await().atMost(Contexts.WAIT).until(Deadlocks::detect, Predicate.not(List::isEmpty));
            assertEquals(1, found.size());
            assertEquals(Set.of(one, two), new HashSet<>(found.get(0).acquirers()));
        } finally {
            assertTrue(oneWaits.cancel());
            assertTrue(twoWaits.cancel());
            ga.close();
            gb.close();
        }
        assertFalse(a.isLocked() || b.isLocked());
    }
}
