package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.childjvm.ChildJvm;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.opentest4j.AssertionFailedError;

/**
 * The asynchronous free-lock fast paths ({@link Mutex#lockIfFree}, {@link RwLock#readIfFree},
 * {@link RwLock#writeIfFree}, {@link RwLock#upgradableReadIfFree}) and the delivery of what they take
 * ({@link LockCallback#deliver}): taken only when free for the mode, nobody queued (or, for a
 * mutex whose policy lets arrivals barge, queued waiters that a queued node would pass as well) and no
 * delivery running; ranks checked first; delivered as a grant, so that chains stay flat.
 */
@Timeout(60)
class FreeLockFastPathTest {
    private final Mutex<int[]> mutex = Mutex.builder().name("m").build(new int[1]);
    private final RwLock<int[]> rw = RwLock.builder().name("rw").build(new int[1]);

    private static void awaitQueue(Mutex<?> m, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (m.queueLength() != n) {
            assertTrue(System.nanoTime() < deadline, "queue never reached " + n + ": " + m);
            Thread.sleep(1);
        }
    }

    /** A callback that records what it receives. */
    private static final class Recorder<G> implements LockCallback<G> {
        final List<Object> got = new ArrayList<>();

        @Override
        public void onLocked(G guard) {
            got.add(guard);
        }

        @Override
        public void onFailed(Throwable cause) {
            got.add(cause);
        }
    }

    @Test
    void lockIfFreeTakesAFreeMutexForTheTaskAndNoThread() {
        MutexGuard<int[]> g = mutex.lockIfFree(null);
        assertNotNull(g);
        assertTrue(mutex.isLocked());
        assertNull(mutex.ownerThread(), "an asynchronous hold has no owner thread");
        assertNull(mutex.lockIfFree(null), "taken twice");
        g.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void lockIfFreeRefusesWhileAnyoneIsQueuedAndInsideADelivery() throws Exception {
        Mutex<int[]> fifo = Mutex.builder().fairness(Fairness.FIFO).build(new int[1]);
        MutexGuard<int[]> held = fifo.lock();
        CompletableFuture<MutexGuard<int[]>> queued = fifo.lockAsync();
        awaitQueue(fifo, 1);
        assertNull(fifo.lockIfFree(null), "held");
        held.close(); // FIFO: handed to the queued future
        MutexGuard<int[]> next = queued.join();
        assertNull(fifo.lockIfFree(null), "held by the future");
        AtomicReference<MutexGuard<int[]>> insideDelivery = new AtomicReference<>();
        AtomicInteger deliveries = new AtomicInteger();
        fifo.lockAsync(new LockCallback<MutexGuard<int[]>>() {
            @Override
            public void onLocked(MutexGuard<int[]> g) {
                deliveries.incrementAndGet();
                g.close();
                insideDelivery.set(fifo.lockIfFree(null)); // free, but a delivery is running here
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        }, null, null);
        next.close(); // grants the callback on this thread
        assertEquals(1, deliveries.get());
        assertNull(insideDelivery.get(), "taken inside a delivery");
        assertFalse(fifo.isLocked());
    }

    /**
     * A free mutex whose queue still holds the head a release woke in place: {@code lockAsync()}
     * completes at once there (its node barges, as any arrival may under {@code EVENTUAL}), so
     * {@code lockIfFree} takes it too, without the node. Deterministic on one carrier: the woken head
     * cannot run while the scenario's own virtual thread keeps the carrier.
     */
    @Test
    void lockIfFreeTakesAFreeMutexPastAWokenHeadAsLockAsyncWould() throws Exception {
        String text = ChildJvm.onOneCarrier(FreeWithAWokenHead.class, Duration.ofSeconds(45), Mutex.class,
                FreeLockFastPathTest.class, org.junit.jupiter.api.Assertions.class, AssertionFailedError.class);
        assertTrue(text.contains("free with a woken head ok"), text);
    }

    /** The child JVM's scenario for {@link #lockIfFreeTakesAFreeMutexPastAWokenHeadAsLockAsyncWould}. */
    public static final class FreeWithAWokenHead {
        public static void main(String[] args) throws Exception {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread.ofVirtual().start(() -> {
                try {
                    scenario();
                } catch (Throwable t) {
                    failure.set(t);
                }
            }).join();
            if (failure.get() != null) {
                failure.get().printStackTrace();
                System.exit(1);
            }
            System.out.println("free with a woken head ok");
        }

        private static void scenario() throws Exception {
            // EVENTUAL on a clock that never moves: the fairness rules never hand the mutex over.
            Mutex<int[]> m = Mutex.builder().clock(new ManualClock()).build(new int[1]);
            MutexGuard<int[]> held = m.lock();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try (MutexGuard<int[]> g = m.lock()) {
                    g.get()[0]++;
                }
            });
            while (m.queueLength() == 0) {
                Thread.yield(); // lets the waiter run until it queues and parks
            }
            held.close(); // wakes it in place; it cannot run before this thread parks or yields
            assertFalse(m.isLocked(), "the release freed the mutex");
            assertEquals(1, m.queueLength(), "the woken waiter stays queued until it runs");

            MutexGuard<int[]> taken = m.lockIfFree(null);
            assertNotNull(taken, "refused a free mutex that lockAsync() takes at once: " + m);
            taken.get()[0]++;
            taken.close();
            CompletableFuture<MutexGuard<int[]>> async = m.lockAsync();
            assertTrue(async.isDone(), "lockAsync() did not complete at once: " + m);
            async.join().close();

            waiter.join(); // the woken waiter runs now and takes the mutex
            assertEquals(Integer.valueOf(2), m.withLock(v -> v[0]), "both holds counted");
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        }
    }

    @Test
    void readIfFreeSharesWithReadersButNeverPassesAQueuedWriter() {
        ReadGuard<int[]> r1 = rw.readIfFree(null);
        ReadGuard<int[]> r2 = rw.readIfFree(null);
        assertNotNull(r1);
        assertNotNull(r2);
        assertEquals(2, rw.readHolds());
        assertNull(rw.writeIfFree(null), "a writer past readers");
        CompletableFuture<WriteGuard<int[]>> writer = rw.writeAsync();
        assertEquals(1, rw.queueLength());
        assertNull(rw.readIfFree(null), "a reader past a queued writer");
        assertNull(rw.upgradableReadIfFree(null), "an upgradable reader past a queued writer");
        r1.close();
        r2.close();
        WriteGuard<int[]> w = writer.join();
        assertNull(rw.readIfFree(null), "a reader beside the writer");
        w.close();
        assertEquals(0, rw.readHolds());
        assertFalse(rw.isWriteLocked());
    }

    @Test
    void upgradableReadIfFreeAdmitsOneUpgradableReaderBesideReaders() {
        UpgradableGuard<int[]> u = rw.upgradableReadIfFree(null);
        assertNotNull(u);
        assertNull(rw.upgradableReadIfFree(null), "a second upgradable reader");
        ReadGuard<int[]> r = rw.readIfFree(null);
        assertNotNull(r, "a plain reader beside the upgradable one");
        r.close();
        WriteGuard<int[]> w = u.upgrade();
        assertNull(rw.readIfFree(null));
        w.close();
        WriteGuard<int[]> w2 = rw.writeIfFree(null);
        assertNotNull(w2);
        assertNull(rw.ownerThread(), "an asynchronous write hold has no owner thread");
        w2.close();
        assertFalse(rw.isWriteLocked());
    }

    @Test
    void aRankViolationIsRefusedBeforeAnythingIsTakenAndAHoldCountsForItsOwner() {
        Mutex<String> low = Mutex.builder().name("low").rank(1).build("l");
        RwLock<String> lowRw = RwLock.builder().name("lowRw").rank(1).build("r");
        Mutex<String> high = Mutex.builder().name("high").rank(2).build("h");
        LockOwner owner = LockOwner.named("task");
        MutexGuard<String> h = high.lockIfFree(owner);
        assertNotNull(h);
        assertThrows(LockOrderViolationException.class, () -> low.lockIfFree(owner));
        assertThrows(LockOrderViolationException.class, () -> lowRw.readIfFree(owner));
        assertThrows(LockOrderViolationException.class, () -> lowRw.writeIfFree(owner));
        assertThrows(LockOrderViolationException.class, () -> lowRw.upgradableReadIfFree(owner));
        assertFalse(low.isLocked());
        assertEquals(0, lowRw.readHolds());
        assertFalse(lowRw.isWriteLocked() || lowRw.isUpgradableLocked());
        assertThrows(LockOrderViolationException.class, () -> high.lockIfFree(owner), "re-acquiring a ranked mutex");
        MutexGuard<String> other = low.lockIfFree(LockOwner.named("other"));
        assertNotNull(other, "another task may");
        other.close();
        h.close();
        ReadGuard<String> r = lowRw.readIfFree(owner); // released: in order again
        assertNotNull(r);
        r.close();
    }

    @Test
    void deliverRunsTheCallbackNowAndLeavesGrantsMadeMeanwhileForAfter() {
        MutexGuard<int[]> g = mutex.lockIfFree(null);
        List<String> order = new ArrayList<>();
        LockCallback.deliver(new LockCallback<MutexGuard<int[]>>() {
            @Override
            public void onLocked(MutexGuard<int[]> guard) {
                order.add("outer begins");
                mutex.lockAsync(new LockCallback<MutexGuard<int[]>>() {
                    @Override
                    public void onLocked(MutexGuard<int[]> inner) {
                        order.add("inner");
                        inner.close();
                    }

                    @Override
                    public void onFailed(Throwable cause) {
                        throw new AssertionError(cause);
                    }
                });
                guard.close(); // grants the queued inner acquisition: it runs once this returns
                order.add("outer ends");
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        }, g);
        assertEquals(List.of("outer begins", "outer ends", "inner"), order);
        assertFalse(mutex.isLocked());
    }

    @Test
    void aMillionAcquisitionsChainedFromDeliveredCallbacksRunInConstantStack() {
        int n = 1_000_000;
        AtomicInteger left = new AtomicInteger(n);
        LockCallback<MutexGuard<int[]>> chain = new LockCallback<>() {
            @Override
            public void onLocked(MutexGuard<int[]> g) {
                g.get()[0]++;
                g.close();
                if (left.decrementAndGet() > 0) {
                    MutexGuard<int[]> now = mutex.lockIfFree(null); // refused inside the delivery
                    if (now != null) {
                        LockCallback.deliver(this, now);
                    } else {
                        mutex.lockAsync(this, null, null);
                    }
                }
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        };
        LockCallback.deliver(chain, mutex.lockIfFree(null));
        assertEquals(0, left.get());
        assertEquals(n, (int) mutex.withLock(a -> a[0]));
    }

    @Test
    void whatTheCallbackThrowsGoesToTheUncaughtHandlerAndTheGuardStillOwnsTheLock() {
        AtomicReference<Throwable> uncaught = new AtomicReference<>();
        Thread current = Thread.currentThread();
        Thread.UncaughtExceptionHandler previous = current.getUncaughtExceptionHandler();
        current.setUncaughtExceptionHandler((t, e) -> uncaught.set(e));
        AtomicReference<MutexGuard<int[]>> got = new AtomicReference<>();
        IllegalStateException boom = new IllegalStateException("boom");
        try {
            LockCallback.deliver(new LockCallback<MutexGuard<int[]>>() {
                @Override
                public void onLocked(MutexGuard<int[]> guard) {
                    got.set(guard);
                    throw boom;
                }

                @Override
                public void onFailed(Throwable cause) {
                }
            }, mutex.lockIfFree(null));
        } finally {
            current.setUncaughtExceptionHandler(previous);
        }
        assertSame(boom, uncaught.get());
        assertTrue(got.get().isHeld());
        assertTrue(mutex.isLocked());
        got.get().close();
        // the trampoline is not left draining: the fast path works again
        MutexGuard<int[]> again = mutex.lockIfFree(null);
        assertNotNull(again);
        again.close();
    }

    @Test
    void deliverRejectsNullsAndDeliversNothing() {
        Recorder<MutexGuard<int[]>> r = new Recorder<>();
        MutexGuard<int[]> g = mutex.lockIfFree(null);
        assertThrows(NullPointerException.class, () -> LockCallback.deliver(null, g));
        assertTrue(g.isHeld(), "still the caller's");
        g.close();
        assertThrows(NullPointerException.class, () -> LockCallback.deliver(r, null));
        assertTrue(r.got.isEmpty());
    }
}
