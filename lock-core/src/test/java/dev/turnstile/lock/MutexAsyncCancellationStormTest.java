package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * One million asynchronous acquisitions, cancelled or timed out at random moments while other threads
 * release the lock. Every request ends exactly once, as a grant or as a cancellation; every grant is
 * released; nothing is left in the queue. This is the race that strands IBM async-util's lock (a
 * cancelled future that the grant still completes) and leaked Vert.x's timed-out waiters.
 */
class MutexAsyncCancellationStormTest {
    private static final int SUBMITTERS = 2;
    private static final int PER_SUBMITTER = 500_000;
    private static final int WINDOW = 64;

    @Test
    void millionCancelledOrTimedOutAcquisitionsLeaveTheLockFreeAndTheQueueEmpty() {
        Mutex<long[]> m = new Mutex<>(new long[1]);
        LongAdder grants = new LongAdder();
        LongAdder cancellations = new LongAdder();
        LongAdder unexpected = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        long requests = (long) SUBMITTERS * PER_SUBMITTER;

        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            Thread holder = Thread.ofPlatform().name("holder").start(() -> {
                while (!stop.get()) {
                    try (MutexGuard<long[]> g = m.lock()) {
                        g.get()[0]++;
                        for (int i = 0; i < 32; i++) {
                            Thread.onSpinWait();
                        }
                    }
                }
            });
            List<Thread> submitters = new ArrayList<>();
            for (int s = 0; s < SUBMITTERS; s++) {
                long seed = 0x5EED + s;
                submitters.add(Thread.ofPlatform().name("submitter-" + s).start(
                        () -> submit(m, new SplittableRandom(seed), grants, cancellations, unexpected)));
            }
            for (Thread t : submitters) {
                t.join();
            }
            stop.set(true);
            holder.join();
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> grants.sum() + cancellations.sum() + unexpected.sum() == requests);
        });

        assertEquals(0, unexpected.sum(), "every request ends as a grant, a cancellation or a timeout");
        assertEquals(requests, grants.sum() + cancellations.sum());
        assertTrue(grants.sum() > 0 && cancellations.sum() > 0, "both outcomes happened: " + grants + "/" + cancellations);
        assertFalse(m.isLocked(), "no grant was stranded");
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
        m.lock().close(); // and the lock still works
    }

    private static void submit(Mutex<long[]> m, SplittableRandom rnd,
                               LongAdder grants, LongAdder cancellations, LongAdder unexpected) {
        @SuppressWarnings("unchecked")
        CompletableFuture<MutexGuard<long[]>>[] window = new CompletableFuture[WINDOW];
        for (int i = 0; i < PER_SUBMITTER; i++) {
            CompletableFuture<MutexGuard<long[]>> f = switch (rnd.nextInt(4)) {
                case 0 -> m.tryLockAsync(Duration.ofNanos(rnd.nextInt(50_000)));
                case 1 -> m.lockAsync().orTimeout(rnd.nextInt(50_000), TimeUnit.NANOSECONDS);
                default -> m.lockAsync();
            };
            f.whenComplete((g, e) -> {
                if (e == null) {
                    g.get()[0]++;
                    g.close();
                    grants.increment();
                } else if (e instanceof CancellationException || e instanceof TimeoutException) {
                    cancellations.increment();
                } else {
                    unexpected.increment();
                }
            });
            switch (rnd.nextInt(3)) {
                case 0 -> f.cancel(false);                   // at once, often before any release
                case 1 -> {                                  // later, after other submissions and releases
                    int slot = rnd.nextInt(WINDOW);
                    CompletableFuture<MutexGuard<long[]>> evicted = window[slot];
                    window[slot] = f;
                    if (evicted != null) {
                        evicted.cancel(false);
                    }
                }
                default -> { }                               // left to be granted (or time out)
            }
        }
        for (CompletableFuture<MutexGuard<long[]>> f : window) {
            if (f != null) {
                f.cancel(false); // a no-op for those already granted or timed out
            }
        }
    }
}
