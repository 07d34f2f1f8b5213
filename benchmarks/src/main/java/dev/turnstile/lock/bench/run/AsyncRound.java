package dev.turnstile.lock.bench.run;

import dev.turnstile.lock.bench.contender.AsyncLockTable;
import dev.turnstile.lock.bench.contender.GuardedCounters;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * One round of the async mode: T tasks on a fixed pool, each doing its operations one at a time.
 * An operation requests a lock; if the future is already complete the task runs its critical section
 * at once, otherwise it records the wait when the grant arrives. After each operation the task
 * resubmits itself to the pool, so tasks interleave as waiters would in a server.
 */
final class AsyncRound {
    private AsyncRound() {
    }

    static RoundResult run(AsyncLockTable table, Scenario s, ExecutorService pool, long seed, long timeoutNanos)
            throws InterruptedException {
        table.counters().clear();
        int n = s.workerCount();
        CountDownLatch done = new CountDownLatch(n);
        FinishLine finishLine = new FinishLine(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Task[] tasks = new Task[n];
        for (int i = 0; i < n; i++) {
            tasks[i] = new Task(i, table, s, seed + i, pool, done, finishLine, failure);
        }
        long start = System.nanoTime();
        for (Task t : tasks) {
            pool.execute(t);
        }
        if (!done.await(s.roundCapNanos(), TimeUnit.NANOSECONDS)) {
            finishLine.stop();
            if (!done.await(timeoutNanos, TimeUnit.NANOSECONDS)) {
                throw new RoundTimeoutException(s, timeoutNanos);
            }
        }
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("an async acquisition failed", failure.get());
        }
        Histogram waits = new Histogram(3);
        long writes = 0;
        long ops = 0;
        for (int i = 0; i < n; i++) {
            waits.add(tasks[i].waits);
            writes += tasks[i].writes;
            ops += finishLine.progress(i);
        }
        return new RoundResult(elapsed, ops, finishLine.snapshot(), waits, writes, table.counters().sum(),
                finishLine.stopped());
    }

    /**
     * One task. Its fields are touched by one thread at a time: each step is handed on through the
     * pool or the lock's future, both of which order it after the previous step.
     */
    private static final class Task implements Runnable {
        private final int id;
        private final AsyncLockTable table;
        private final GuardedCounters counters;
        private final Scenario scenario;
        private final SplittableRandom random;
        private final ExecutorService pool;
        private final CountDownLatch done;
        private final FinishLine finishLine;
        private final AtomicReference<Throwable> failure;
        final Histogram waits = new Histogram(3);
        long writes;
        long readSink;
        private int completed;

        Task(int id, AsyncLockTable table, Scenario scenario, long seed, ExecutorService pool, CountDownLatch done,
             FinishLine finishLine, AtomicReference<Throwable> failure) {
            this.id = id;
            this.table = table;
            this.counters = table.counters();
            this.scenario = scenario;
            this.random = new SplittableRandom(seed);
            this.pool = pool;
            this.done = done;
            this.finishLine = finishLine;
            this.failure = failure;
        }

        @Override
        public void run() {
            int slot = random.nextInt(scenario.locks());
            boolean read = scenario.readPercent() > 0 && random.nextInt(100) < scenario.readPercent();
            CompletableFuture<Runnable> grant = table.acquire(slot);
            if (grant.isDone() && !grant.isCompletedExceptionally()) {
                criticalSection(grant.join(), slot, read);
                return;
            }
            long waitStart = System.nanoTime();
            grant.whenComplete((release, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                    done.countDown();
                    return;
                }
                waits.recordValue(System.nanoTime() - waitStart);
                criticalSection(release, slot, read);
            });
        }

        private void criticalSection(Runnable release, int slot, boolean read) {
            try {
                if (read) {
                    readSink += counters.get(slot);
                } else {
                    counters.increment(slot);
                    writes++;
                }
            } finally {
                release.run();
            }
            completed++;
            finishLine.advance(id, completed);
            if (completed < scenario.opsPerWorker() && !finishLine.stopped()) {
                pool.execute(this);
            } else {
                finishLine.finished();
                done.countDown();
            }
        }
    }
}
