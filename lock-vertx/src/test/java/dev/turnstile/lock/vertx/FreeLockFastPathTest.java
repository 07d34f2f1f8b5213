package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The free-lock fast path of {@link VertxLocks#lock}, {@link VertxLocks#tryLock} and
 * {@link VertxLocks#withLock} ({@link Mutex#lockIfFree}): it takes only what {@code lockAsync()}
 * would take at once, checks ranks first, and its already-completed futures keep the context rules.
 */
@ExtendWith(VertxExtension.class)
class FreeLockFastPathTest {

    /** What a handler saw: the thread it ran on and the context current there. */
    private record Ran(Thread thread, Context context) {
        static Ran here() {
            return new Ran(Thread.currentThread(), Vertx.currentContext());
        }
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"EVENT_LOOP", "WORKER", "VIRTUAL_THREAD"})
    void aFreeMutexGivesACompletedFutureWhoseLateHandlersRunOnTheCallersContext(ThreadingModel model, Vertx vertx)
            throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Context context = Contexts.deploy(vertx, model);
        AtomicReference<Thread> callerThread = new AtomicReference<>();
        Future<MutexGuard<Integer>> f = Contexts.on(context, () -> {
            callerThread.set(Thread.currentThread());
            Future<MutexGuard<Integer>> granted = VertxLocks.lock(mutex);
            assertTrue(granted.succeeded(), "a free mutex is granted before lock() returns");
            return granted;
        });
        assertTrue(mutex.isLocked());
        assertEquals(0, mutex.queueLength());

        // A handler added from a plain thread, after completion, still runs on the caller's context.
        CompletableFuture<Ran> ran = new CompletableFuture<>();
        Thread plain = Thread.ofPlatform().start(() -> f.onSuccess(g -> {
            ran.complete(Ran.here());
            g.close();
        }));
        Ran r = Contexts.get(ran);
        plain.join();
        assertSame(context, r.context());
        assertFalse(r.thread() == plain, "not on the thread that added the handler");
        assertEquals(model == ThreadingModel.VIRTUAL_THREAD, r.thread().isVirtual());
        if (model == ThreadingModel.EVENT_LOOP) {
            assertSame(callerThread.get(), r.thread());
        }
        await().atMost(Contexts.WAIT).until(() -> !mutex.isLocked());
    }

    @Test
    void outsideAnyContextLateHandlersRunWhereTheyAreAdded() throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Future<MutexGuard<Integer>> f = VertxLocks.lock(mutex);
        assertTrue(f.succeeded());
        CompletableFuture<Ran> ran = new CompletableFuture<>();
        Thread plain = Thread.ofPlatform().start(() -> f.onSuccess(g -> {
            ran.complete(Ran.here());
            g.close();
        }));
        plain.join();
        Ran r = Contexts.get(ran);
        assertSame(plain, r.thread());
        assertNull(r.context());
        assertFalse(mutex.isLocked());
    }

    /**
     * A FIFO mutex hands itself to its longest waiter: an acquisition made while a waiter is queued
     * completes only after that waiter has had the mutex, never by taking it in between.
     */
    @Test
    void aFifoMutexWithAQueuedWaiterIsNotTakenByTheFastPath(Vertx vertx) throws Exception {
        Mutex<List<String>> fifo = Mutex.builder().fairness(Fairness.FIFO).build(new ArrayList<>());
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<List<String>> holder = fifo.lock();
        CompletableFuture<MutexGuard<List<String>>> queued = fifo.lockAsync(); // the queued waiter
        assertEquals(1, fifo.queueLength());
        List<String> order = new CopyOnWriteArrayList<>();
        Future<MutexGuard<List<String>>> late = Contexts.on(loop, () -> VertxLocks.lock(fifo));
        assertFalse(late.isComplete(), "behind the queued waiter");
        holder.close();

        MutexGuard<List<String>> first = Contexts.get(queued);
        order.add("queued");
        assertFalse(late.isComplete(), "the mutex went to the queued waiter");
        first.close();
        MutexGuard<List<String>> second = Contexts.get(late);
        order.add("late");
        second.close();
        assertEquals(List.of("queued", "late"), order);
        assertFalse(fifo.isLocked());
    }

    /**
     * Inside a grant delivery (a continuation run by the releasing thread's trampoline) a free mutex
     * is not taken on the spot: the grant waits its turn, so release chains stay flat.
     */
    @Test
    void insideAGrantDeliveryAFreeMutexIsNotTakenOnTheSpot() throws Exception {
        Mutex<Integer> first = new Mutex<>(0);
        Mutex<Integer> free = new Mutex<>(0);
        MutexGuard<Integer> holder = first.lock();
        AtomicBoolean completeOnReturn = new AtomicBoolean(true);
        CompletableFuture<Future<MutexGuard<Integer>>> inner = new CompletableFuture<>();
        VertxLocks.lock(first).onSuccess(g -> { // runs in the releasing thread's grant delivery
            g.close();
            Future<MutexGuard<Integer>> f = VertxLocks.lock(free);
            completeOnReturn.set(f.isComplete());
            inner.complete(f);
        });
        holder.close();
        assertFalse(completeOnReturn.get(), "granted through the trampoline, after the call returned");
        MutexGuard<Integer> g = Contexts.get(Contexts.get(inner));
        g.close();
        assertFalse(free.isLocked());
    }

    @Test
    void ranksAreCheckedBeforeAFreeMutexIsTakenAndTheHoldIsRecorded(Vertx vertx) throws Exception {
        Mutex<String> accounts = Mutex.builder().name("accounts").rank(1).build("a");
        Mutex<String> ledger = Mutex.builder().name("ledger").rank(2).build("l");
        Context request = ((ContextInternal) Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP)).duplicate();
        VertxLocks.setOwner(request, LockOwner.named("order-9"));

        // The fast path recorded the ledger hold for the owner: accounts (a lower rank) is now refused,
        // though it is free, and it is left untaken.
        Future<Throwable> refused = Contexts.on(request, () -> {
            MutexGuard<String> l = VertxLocks.lock(ledger).result();
            Future<MutexGuard<String>> a = VertxLocks.lock(accounts);
            Future<MutexGuard<String>> timed = VertxLocks.tryLock(accounts, java.time.Duration.ofSeconds(1));
            l.close();
            assertTrue(a.failed() && timed.failed(), "refused at once");
            return Future.succeededFuture(a.cause());
        });
        assertInstanceOf(LockOrderViolationException.class, Contexts.get(refused));
        assertFalse(accounts.isLocked(), "nothing was taken");
        assertEquals(0, accounts.queueLength(), "nothing was queued");

        // Released, the hold is gone from the owner's record: in order again, both are granted at once.
        String both = Contexts.get(Contexts.on(request, () -> {
            MutexGuard<String> a = VertxLocks.lock(accounts).result();
            MutexGuard<String> l = VertxLocks.lock(ledger).result();
            String s = a.get() + l.get();
            l.close();
            a.close();
            return Future.succeededFuture(s);
        }));
        assertEquals("al", both);
    }

    @ParameterizedTest
    @ValueSource(strings = {"succeeds", "fails", "throws", "returns null"})
    void withLockOnAFreeMutexReleasesOnEveryExit(String exit, Vertx vertx) throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        AtomicBoolean heldInBody = new AtomicBoolean();
        Function<MutexGuard<Integer>, Future<String>> body = g -> {
            heldInBody.set(mutex.isLocked());
            g.set(g.get() + 1);
            return switch (exit) {
                case "succeeds" -> Future.succeededFuture("ok");
                case "fails" -> Future.failedFuture(new IllegalStateException("failed"));
                case "throws" -> throw new IllegalArgumentException("thrown");
                default -> null;
            };
        };
        AtomicBoolean bodyRanBeforeReturn = new AtomicBoolean();
        Future<String> result = Contexts.on(loop, () -> {
            Future<String> r = VertxLocks.withLock(mutex, body);
            bodyRanBeforeReturn.set(heldInBody.get());
            return r;
        });
        assertTrue(bodyRanBeforeReturn.get(), "a free mutex runs the body at once");
        if (exit.equals("succeeds")) {
            assertEquals("ok", Contexts.get(result));
        } else {
            ExecutionException e = assertThrows(ExecutionException.class, () -> Contexts.get(result));
            assertNotNull(e.getCause());
        }
        assertFalse(mutex.isLocked(), "released on " + exit);
        assertEquals(Integer.valueOf(1), mutex.<Integer>withLock(v -> v));
    }

    @Test
    void aFastPathGuardBlocksOthersUntilClosed(Vertx vertx) throws Exception {
        Mutex<Integer> mutex = new Mutex<>(0);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        MutexGuard<Integer> g = Contexts.on(loop, () -> VertxLocks.lock(mutex).result());
        Future<MutexGuard<Integer>> next = Contexts.on(loop, () -> VertxLocks.lock(mutex));
        assertFalse(next.isComplete());
        assertTrue(VertxLocks.tryLock(mutex, java.time.Duration.ZERO).failed(), "a one-shot attempt fails");
        g.close();
        Contexts.get(next).close();
        assertFalse(mutex.isLocked());
    }
}
