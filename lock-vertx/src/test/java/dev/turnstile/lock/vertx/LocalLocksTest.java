package dev.turnstile.lock.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import io.vertx.junit5.VertxExtension;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The registry: one per Vert.x instance, entries gone once unused, typed locks on the same names. */
@ExtendWith(VertxExtension.class)
class LocalLocksTest {

    @Test
    void oneRegistryPerVertxInstance(Vertx vertx) throws Exception {
        assertSame(LocalLocks.of(vertx), LocalLocks.of(vertx));
        Vertx other = Vertx.vertx();
        try {
            assertNotSame(LocalLocks.of(vertx), LocalLocks.of(other));
        } finally {
            Contexts.get(other.close());
        }
        assertThrows(NullPointerException.class, () -> LocalLocks.of(null));
    }

    /**
     * The burst that loses acquisitions with Vert.x 5.2.3's local lock: 1,000 acquisitions of one
     * name fired from one event loop while the name is held, each releasing when granted. All
     * complete, in one pass, and the name's entry is gone afterwards.
     */
    @Test
    void aBurstOfOneThousandFromOneEventLoopCompletesExactly(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        CountDownLatch all = new CountDownLatch(1_000);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        loop.runOnContext(v -> locks.getLocalLock("burst").onSuccess(first -> {
            for (int i = 0; i < 1_000; i++) {
                locks.getLocalLock("burst").onSuccess(lock -> {
                    if (inside.incrementAndGet() != 1) {
                        overlaps.incrementAndGet();
                    }
                    inside.decrementAndGet();
                    lock.release();
                    all.countDown();
                });
            }
            first.release();
        }));
        assertTrue(all.await(20, TimeUnit.SECONDS), () -> all.getCount() + " acquisitions never completed");
        assertEquals(0, overlaps.get());
        // The first holder's release ran the whole chain (on its trampoline) before it gave the name
        // back: the registry empties just after the last count-down.
        org.awaitility.Awaitility.await().atMost(Contexts.WAIT).until(() -> locks.size() == 0);
    }

    /** 100,000 distinct names, each acquired and released once, leave the registry empty. */
    @Test
    void oneHundredThousandNamesUsedOnceLeaveTheRegistryEmpty(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        int maxSize = Contexts.on(loop, () -> {
            int max = 0;
            for (int i = 0; i < 100_000; i++) {
                Lock lock = locks.getLocalLock("name-" + i).result(); // free: granted before returning
                max = Math.max(max, locks.size());
                lock.release();
            }
            return max;
        });
        assertEquals(1, maxSize);
        assertEquals(0, locks.size());

        // And held across a hop, with a timeout armed: still nothing left once released.
        List<Future<Lock>> held = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            held.add(locks.getLocalLockWithTimeout("timed-" + i, 60_000));
        }
        assertEquals(100_000, locks.size());
        for (Future<Lock> f : held) {
            Contexts.get(f).release();
        }
        assertEquals(0, locks.size());
    }

    /**
     * Removal racing re-creation: four threads churn through a few names (so entries are retired
     * and re-created constantly). Exclusion per name holds throughout and nothing is left over.
     */
    @Test
    void retiringAnEntryRacingANewAcquisitionKeepsExclusion(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        assertChurnKeepsExclusion(locks, "churn-", 3, 20_000, (i, seed) -> i + seed, () -> { });
        assertEquals(0, locks.size());
    }

    @Test
    void releaseIsIdempotent(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Lock first = Contexts.get(locks.getLocalLock("idem"));
        first.release();
        Lock second = Contexts.get(locks.getLocalLock("idem"));
        first.release(); // must not release the second holder
        Throwable e = Contexts.get(locks.getLocalLockWithTimeout("idem", 20)
                .transform(ar -> Future.succeededFuture(ar.cause())));
        assertTrue(e instanceof LockTimeoutException, String.valueOf(e));
        second.release();
        second.release();
        assertEquals(0, locks.size());
    }

    @Test
    void typedLocksShareTheNames(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Mutex<List<String>> names = locks.mutex("names", ArrayList::new);
        assertSame(names, locks.mutex("names", () -> {
            throw new AssertionError("not called again");
        }));
        RwLock<Integer> prices = locks.rwLock("prices", () -> 3);
        assertSame(prices, locks.rwLock("prices", () -> 4));
        assertEquals(Integer.valueOf(3), prices.<Integer>withRead(p -> p));

        Lock plain = Contexts.get(locks.getLocalLock("names"));
        assertTrue(names.isLocked(), "getLocalLock takes the typed mutex of the same name");
        assertTrue(names.tryLock().isEmpty());
        plain.release();
        try (MutexGuard<List<String>> g = names.lock()) {
            g.get().add("ada");
        }
        Lock writer = Contexts.get(locks.getLocalLock("prices"));
        assertTrue(prices.isWriteLocked(), "getLocalLock takes the write lock of a typed RwLock");
        writer.release();
        assertEquals(2, locks.size(), "typed locks stay");

        assertThrows(IllegalStateException.class, () -> locks.rwLock("names", () -> 0));
        assertThrows(IllegalStateException.class, () -> locks.mutex("prices", () -> 0));
        Lock busy = Contexts.get(locks.getLocalLock("busy"));
        assertThrows(IllegalStateException.class, () -> locks.mutex("busy", () -> 0));
        busy.release();
        assertEquals(Integer.valueOf(7), locks.<Integer>mutex("busy", () -> 7).<Integer>withLock(v -> v), "a released plain name can become typed");
        assertThrows(NullPointerException.class, () -> locks.getLocalLock(null));
        assertThrows(NullPointerException.class, () -> locks.mutex("x", null));
    }

    @Test
    void pendingLocalLockCanBeWithdrawn(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Lock held = Contexts.get(locks.getLocalLock("p"));
        PendingAcquisition<Lock> p = locks.pendingLocalLock("p");
        assertTrue(p.cancel());
        held.release();
        assertEquals(0, locks.size());
    }

    @Test
    void anIdleNameIsReusedWithoutANewEntry(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        int most = Contexts.on(loop, () -> {
            int max = 0;
            for (int i = 0; i < 1_000; i++) {
                Future<Lock> f = locks.getLocalLock("again");
                assertTrue(f.succeeded(), "a free name is granted before getLocalLock returns");
                f.result().release();
                max = Math.max(max, locks.entryCount());
            }
            return max;
        });
        assertEquals(1, most, "one entry, idle between uses");
        assertEquals(0, locks.size(), "size() retires the idle entry");
        assertEquals(0, locks.entryCount());
    }

    @Test
    void oneHundredThousandNamesUsedOnceLeaveAtMostTheSweepFloorIdle(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        int most = Contexts.on(loop, () -> {
            int max = 0;
            for (int i = 0; i < 100_000; i++) {
                locks.getLocalLock("once-" + i).result().release();
                max = Math.max(max, locks.entryCount()); // no sweep of its own, unlike size()
            }
            return max;
        });
        assertTrue(most <= LocalLocks.SWEEP_FLOOR + 1, "at most " + most + " entries at once");
        assertTrue(locks.entryCount() <= LocalLocks.SWEEP_FLOOR);
        assertEquals(0, locks.size());
        assertEquals(0, locks.entryCount());
    }

    /**
     * Sweeps racing acquisitions: four threads churn through 2,000 names (so the registry passes the
     * sweep floor and sweeps run while others enter the entries they retire) and a fifth keeps
     * calling size(). Exclusion per name holds throughout and nothing is left over.
     */
    @Test
    void sweepsRacingAcquisitionsKeepExclusion(Vertx vertx) throws Exception {
        LocalLocks locks = LocalLocks.of(vertx);
        assertChurnKeepsExclusion(locks, "sweep-", 2_000, 40_000, (i, seed) -> i * 31 + seed * 7919, locks::size);
        assertEquals(0, locks.size());
    }

    /** Which name a churning thread takes on its {@code i}-th acquisition. */
    private interface NamePick {
        int nameFor(int i, int seed);
    }

    /**
     * Four platform threads each acquire and release {@code perThread} names picked by {@code pick}
     * (modulo {@code names}), waiting for each grant, while a fifth thread runs {@code alongside} in a
     * loop until they finish. Fails if two holders of one name ever overlap, a thread gets stuck, or
     * an acquisition is lost.
     */
    private static void assertChurnKeepsExclusion(LocalLocks locks, String prefix, int names, int perThread,
                                                  NamePick pick, Runnable alongside) throws InterruptedException {
        AtomicInteger[] inside = new AtomicInteger[names];
        long[] counts = new long[names];
        for (int i = 0; i < names; i++) {
            inside[i] = new AtomicInteger();
        }
        AtomicReference<String> broken = new AtomicReference<>();
        CountDownLatch churning = new CountDownLatch(4);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perThread; i++) {
                    int n = Math.floorMod(pick.nameFor(i, seed), names);
                    CompletableFuture<Void> done = new CompletableFuture<>();
                    locks.getLocalLock(prefix + n).onSuccess(lock -> {
                        if (inside[n].incrementAndGet() != 1) {
                            broken.set("two holders of " + prefix + n);
                        }
                        counts[n]++;
                        inside[n].decrementAndGet();
                        lock.release();
                        done.complete(null);
                    });
                    done.join();
                }
                churning.countDown();
            }));
        }
        Thread other = Thread.ofPlatform().start(() -> {
            while (churning.getCount() > 0) {
                alongside.run();
            }
        });
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(120));
            assertFalse(t.isAlive(), "stuck");
        }
        other.join(TimeUnit.SECONDS.toMillis(20));
        assertEquals(null, broken.get());
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        assertEquals(4L * perThread, total);
    }
}
