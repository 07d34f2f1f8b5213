package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Readers and writers on platform threads, virtual threads and asynchronous chains share one
 * {@link RwLock}: writers increment both halves of a pair, readers check the halves agree. The write
 * total must be exact, no reader may see a half-done write, and the run must end in bounded time.
 */
class RwLockMixedModeStressTest {
    private static final int PER_WORKER = 10_000;
    /** Workers that write: one async chain inline, one on the pool, one platform and one virtual thread. */
    private static final int WRITERS = 4;

    /** Two halves that only a torn write could make differ. */
    static final class Pair {
        long a;
        long b;
    }

    @Test
    void readersAndWritersOfEveryKindStayConsistentAndAddUp() throws Exception {
        RwLock<Pair> lock = new RwLock<>(new Pair());
        AtomicLong torn = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Thread> threads = new ArrayList<>();
            List<CompletableFuture<Void>> chains = new ArrayList<>();
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                chains.add(asyncChain(lock, true, false, pool, torn));
                chains.add(asyncChain(lock, false, false, pool, torn));
                chains.add(asyncChain(lock, true, true, pool, torn));
                chains.add(asyncChain(lock, false, true, pool, torn));
                threads.add(Thread.ofPlatform().start(() -> blocking(lock, true, torn)));
                threads.add(Thread.ofPlatform().start(() -> blocking(lock, false, torn)));
                threads.add(Thread.ofVirtual().start(() -> blocking(lock, true, torn)));
                threads.add(Thread.ofVirtual().start(() -> blocking(lock, false, torn)));
                for (Thread t : threads) {
                    t.join();
                }
                CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).join();
            });
            assertEquals(0, torn.get(), "a reader saw a write in progress");
            long expected = (long) WRITERS * PER_WORKER;
            assertEquals(expected, (long) lock.withRead(p -> p.a));
            assertEquals(expected, (long) lock.withRead(p -> p.b));
            assertFalse(lock.isWriteLocked());
            assertEquals(0, lock.readHolds());
            assertEquals(0, lock.queueLength());
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void blocking(RwLock<Pair> lock, boolean write, AtomicLong torn) {
        for (int i = 0; i < PER_WORKER; i++) {
            if (write) {
                try (WriteGuard<Pair> w = lock.write()) {
                    w.get().a++;
                    w.get().b++;
                }
            } else {
                try (ReadGuard<Pair> r = lock.read()) {
                    check(r.get(), torn);
                }
            }
        }
    }

    private static void check(Pair p, AtomicLong torn) {
        if (p.a != p.b) {
            torn.incrementAndGet();
        }
    }

    /**
     * {@code PER_WORKER} sequential acquisitions. Without an executor the continuation runs on the
     * thread that granted it (often a releasing thread of another kind); either way the next request
     * is made from the pool, since a read request made while reading is granted at once and would
     * otherwise recurse on the continuation's stack.
     */
    private static CompletableFuture<Void> asyncChain(RwLock<Pair> lock, boolean write, boolean onPool,
                                                      ExecutorService pool, AtomicLong torn) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        new Object() {
            int left = PER_WORKER;

            void step() {
                CompletableFuture<? extends RwGuard<Pair>> f = write
                        ? (onPool ? lock.writeAsync(pool) : lock.writeAsync())
                        : (onPool ? lock.readAsync(pool) : lock.readAsync());
                f.thenAccept(g -> {
                    if (write) {
                        g.get().a++;
                        g.get().b++;
                    } else {
                        check(g.get(), torn);
                    }
                    g.close();
                    if (--left == 0) {
                        done.complete(null);
                    } else {
                        pool.execute(this::step);
                    }
                }).exceptionally(e -> {
                    done.completeExceptionally(e);
                    return null;
                });
            }
        }.step();
        return done;
    }
}
