package dev.turnstile.lock.bench.run;

import dev.turnstile.lock.bench.contender.AsyncLockTable;
import dev.turnstile.lock.bench.contender.GuardedCounters;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * One round of the async mode: T tasks on a fixed pool ({@link #newPool}), each doing its
 * operations one at a time. An operation requests a lock; if the future is already complete the
 * task runs its critical section at once, otherwise it records the wait when the grant arrives.
 * After each operation the task resubmits itself to the pool, behind every task already waiting
 * there, so tasks interleave as requests would in a server.
 */
final class AsyncRound {
    private AsyncRound() {
    }

    /**
     * The pool the async rounds run on: {@code threads} threads taking tasks from one FIFO queue, so
     * that a task that has done an operation runs again only after every task queued before it, and
     * no task can keep a thread to itself; what the round measures is then the lock's scheduling,
     * not the pool's. The same for every contender.
     *
     * <p>A {@code ForkJoinPool} does not give that. A task resubmitted with {@code execute} from a
     * worker goes onto that worker's own queue, which the worker drains before it looks at any
     * other; one resubmitted with {@code externalSubmit} lands in a submission queue that the worker
     * then keeps polling. With a lock whose acquisitions rarely wait, two tasks kept the two workers
     * of a 2-core run to themselves while the other thirty sat queued with no operation done (both
     * mutexes unlocked and unqueued when the first task finished; Jain's index 0.03–0.06 in such
     * rounds). One event loop per thread, each task bound to one, keeps the tasks of a loop even,
     * but not the loops: a loop whose thread the OS runs less falls behind (on a busy 2-core
     * machine one loop's tasks had done 7,787 operations when the other's first reached 20,000).
     *
     * @param threads how many threads
     * @return the pool; daemon threads, so that a stuck round cannot keep the JVM alive
     */
    static ExecutorService newPool(int threads) {
        AtomicInteger next = new AtomicInteger();
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lockbench-async-" + next.getAndIncrement());
            t.setDaemon(true);
            return t;
        });
    }

    static RoundResult run(AsyncLockTable table, Scenario s, ExecutorService pool, WaitHistograms waits, long seed,
                           long timeoutNanos) throws InterruptedException {
        table.counters().clear();
        int n = s.workerCount();
        CountDownLatch done = new CountDownLatch(n);
        FinishLine finishLine = new FinishLine(n);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Task[] tasks = new Task[n];
        for (int i = 0; i < n; i++) {
            tasks[i] = new Task(i, table, s, seed + i, waits.forWorker(i), pool, done, finishLine, failure);
        }
        long start = System.nanoTime();
        for (Task t : tasks) {
            pool.execute(t);
        }
        finishLine.awaitEnd(done, s, timeoutNanos);
        long elapsed = System.nanoTime() - start;
        if (failure.get() != null) {
            throw new IllegalStateException("an async acquisition failed", failure.get());
        }
        return RoundResult.of(elapsed, finishLine, tasks, table.counters().sum());
    }

    /**
     * One task. Its fields are touched by one thread at a time: each step is handed on through the
     * pool or the lock's future, both of which order it after the previous step.
     */
    private static final class Task extends Tally implements Runnable {
        private final int id;
        private final AsyncLockTable table;
        private final GuardedCounters counters;
        private final Scenario scenario;
        private final SplittableRandom random;
        private final ExecutorService pool;
        private final CountDownLatch done;
        private final FinishLine finishLine;
        private final AtomicReference<Throwable> failure;
        private int completed;

        Task(int id, AsyncLockTable table, Scenario scenario, long seed, Histogram waits, ExecutorService pool,
             CountDownLatch done, FinishLine finishLine, AtomicReference<Throwable> failure) {
            super(waits);
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
