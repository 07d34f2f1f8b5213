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
import org.junit.jupiter.api.Test;

/**
 * Platform threads, virtual threads and asynchronous chains (with and without an executor) increment
 * one counter under one mutex. The total must be exact and the run must end, in bounded time.
 */
class MutexMixedModeStressTest {
    private static final int PER_WORKER = 20_000;
    private static final int PLATFORM = 2;
    private static final int VIRTUAL = 4;
    private static final int ASYNC_INLINE = 2;
    private static final int ASYNC_ON_POOL = 2;

    @Test
    void platformVirtualAndAsyncIncrementsAddUpExactly() throws Exception {
        Mutex<long[]> m = new Mutex<>(new long[1]);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                List<Thread> threads = new ArrayList<>();
                List<CompletableFuture<Void>> chains = new ArrayList<>();
                for (int i = 0; i < ASYNC_INLINE; i++) {
                    chains.add(asyncChain(m, null));
                }
                for (int i = 0; i < ASYNC_ON_POOL; i++) {
                    chains.add(asyncChain(m, pool));
                }
                for (int i = 0; i < PLATFORM; i++) {
                    threads.add(Thread.ofPlatform().start(() -> blockingWorker(m)));
                }
                for (int i = 0; i < VIRTUAL; i++) {
                    threads.add(Thread.ofVirtual().start(() -> blockingWorker(m)));
                }
                for (Thread t : threads) {
                    t.join();
                }
                CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new)).join();
            });
            long expected = (long) PER_WORKER * (PLATFORM + VIRTUAL + ASYNC_INLINE + ASYNC_ON_POOL);
            assertEquals(expected, (long) m.withLock(c -> c[0]));
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static void blockingWorker(Mutex<long[]> m) {
        for (int i = 0; i < PER_WORKER; i++) {
            try (MutexGuard<long[]> g = m.lock()) {
                g.get()[0]++;
            }
        }
    }

    /**
     * {@code PER_WORKER} sequential acquisitions. On a pool, each step releases and then asks again
     * from a new pool task (asking from this one would recurse whenever the pool had completed the
     * next future before {@code thenAccept} was attached: a StackOverflowError seen once). Inline, each step asks for the next acquisition while it still
     * holds the lock, so the request queues instead of completing on this stack.
     */
    private static CompletableFuture<Void> asyncChain(Mutex<long[]> m, ExecutorService pool) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        new Object() {
            int left = PER_WORKER;

            void step() {
                CompletableFuture<MutexGuard<long[]>> f = pool == null ? m.lockAsync() : m.lockAsync(pool);
                f.thenAccept(g -> {
                    g.get()[0]++;
                    boolean last = --left == 0;
                    if (pool == null && !last) {
                        step();
                    }
                    g.close();
                    if (last) {
                        done.complete(null);
                    } else if (pool != null) {
                        pool.execute(this::step); // not step(): a future the pool completed already runs thenAccept inline
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
