package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Where {@code lockAsync} continuations run, and that long release chains stay flat. A
 * {@code thenAccept} that releases grants the next waiter, whose {@code thenAccept} would run inside
 * the first one: kotlinx.coroutines (#80, {@code Unconfined}) and ydb-java-sdk overflowed the stack
 * that way. Each chain runs on a thread with a deliberately small stack (256 KiB), so a chain that
 * nested even a few thousand deep would fail with {@link StackOverflowError}.
 */
class MutexAsyncContinuationTest {
    private static final int CHAIN = 1_000_000;
    private static final long SMALL_STACK = 256 * 1024;

    /** One million waiters queued, each {@code lockAsync().thenAccept(g -> g.close())}, released once. */
    @Test
    void millionQueuedHandOffsRunFlatOnTheReleasingThread() {
        runOnSmallStack(() -> {
            Mutex<int[]> m = new Mutex<>(new int[1]);
            MutexGuard<int[]> held = m.lock();
            for (int i = 0; i < CHAIN; i++) {
                m.lockAsync().thenAccept(g -> {
                    g.get()[0]++;
                    g.close();
                });
            }
            assertEquals(CHAIN, m.queueLength());

            held.close(); // every continuation runs here, one after another

            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
            assertEquals(CHAIN, (int) m.withLock(a -> a[0]));
        });
    }

    /**
     * A self-renewing chain: each continuation asks for the lock again before it releases, so the
     * chain never ends a release without a next waiter. At most one waiter is ever queued: nothing
     * accumulates behind the trampoline either.
     */
    @Test
    void millionSelfRenewingHandOffsRunFlatWithOneWaiterAtATime() {
        runOnSmallStack(() -> {
            Mutex<int[]> m = new Mutex<>(new int[1]);
            int[] maxQueued = new int[1];
            CompletableFuture<Void> done = new CompletableFuture<>();
            MutexGuard<int[]> held = m.lock();
            new Object() {
                int left = CHAIN;

                void next() {
                    m.lockAsync().thenAccept(g -> {
                        g.get()[0]++;
                        if (--left > 0) {
                            next();
                        } else {
                            done.complete(null);
                        }
                        maxQueued[0] = Math.max(maxQueued[0], m.queueLength());
                        g.close();
                    });
                }
            }.next();

            held.close();

            assertTrue(done.isDone());
            assertEquals(1, maxQueued[0]);
            assertFalse(m.isLocked());
            assertEquals(CHAIN, (int) m.withLock(a -> a[0]));
        });
    }

    /**
     * The opposite order: each continuation releases first and then asks again, so every request
     * finds the lock free. Inside a delivery such a request is still queued on the trampoline instead
     * of completing on the continuation's stack, so a chain started by a grant stays flat too.
     */
    @Test
    void millionReleaseThenReacquireStepsStartedByAGrantRunFlat() {
        runOnSmallStack(() -> {
            Mutex<int[]> m = new Mutex<>(new int[1]);
            CompletableFuture<Void> done = new CompletableFuture<>();
            MutexGuard<int[]> held = m.lock();
            new Object() {
                int left = CHAIN;

                void next() {
                    m.lockAsync().thenAccept(g -> {
                        g.get()[0]++;
                        g.close();
                        if (--left > 0) {
                            next();
                        } else {
                            done.complete(null);
                        }
                    });
                }
            }.next();

            held.close(); // the first grant is a delivery; every later request is made inside one

            assertTrue(done.isDone());
            assertFalse(m.isLocked());
            assertEquals(CHAIN, (int) m.withLock(a -> a[0]));
        });
    }

    @Test
    void executorFormRunsContinuationsOnTheExecutorNotTheReleaser() {
        Mutex<String> m = new Mutex<>("v");
        QueuedExecutor executor = new QueuedExecutor();
        MutexGuard<String> held = m.lock();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        m.lockAsync(executor).thenAccept(g -> {
            ranOn.set(Thread.currentThread());
            g.close();
        });

        held.close();
        assertNull(ranOn.get(), "nothing ran on the releasing thread");
        assertTrue(m.isLocked(), "granted, delivery pending on the executor");

        executor.runAll();
        assertEquals(Thread.currentThread(), ranOn.get());
        assertFalse(m.isLocked());
    }

    private static void runOnSmallStack(Runnable body) {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(null, () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "small-stack", SMALL_STACK);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            t.start();
            t.join();
        });
        if (failure.get() != null) {
            throw new AssertionError("the chain failed on a small stack", failure.get());
        }
    }
}
