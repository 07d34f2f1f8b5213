package dev.turnstile.lock.bench.run;

import dev.turnstile.lock.bench.contender.LockTable;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import org.HdrHistogram.Histogram;

/**
 * One round with platform or virtual threads: start T workers, hold them at a start gate until all
 * are ready, release them together, and wait for all to finish.
 */
final class ThreadedRound {
    private ThreadedRound() {
    }

    static RoundResult run(LockTable table, Scenario s, WaitHistograms waits, long seed, long timeoutNanos)
            throws InterruptedException {
        table.counters().clear();
        int n = s.workerCount();
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(n);
        FinishLine finishLine = new FinishLine(n);
        Worker[] workers = new Worker[n];
        Thread.Builder builder = s.workers() == WorkerKind.VIRTUAL ? Thread.ofVirtual() : Thread.ofPlatform();
        for (int i = 0; i < n; i++) {
            workers[i] = new Worker(i, table, s, seed + i, waits.forWorker(i), ready, go, done, finishLine);
            builder.name("lockbench-worker-" + i).start(workers[i]);
        }
        ready.await();
        long start = System.nanoTime();
        go.countDown();
        finishLine.awaitEnd(done, s, timeoutNanos);
        long elapsed = System.nanoTime() - start;
        return RoundResult.of(elapsed, finishLine, workers, table.counters().sum());
    }

    /** One thread's share of the round. */
    private static final class Worker extends Tally implements Runnable {
        private final int id;
        private final LockTable table;
        private final Scenario scenario;
        private final SplittableRandom random;
        private final CountDownLatch ready;
        private final CountDownLatch go;
        private final CountDownLatch done;
        private final FinishLine finishLine;

        Worker(int id, LockTable table, Scenario scenario, long seed, Histogram waits, CountDownLatch ready,
               CountDownLatch go, CountDownLatch done, FinishLine finishLine) {
            super(waits);
            this.id = id;
            this.table = table;
            this.scenario = scenario;
            this.random = new SplittableRandom(seed);
            this.ready = ready;
            this.go = go;
            this.done = done;
            this.finishLine = finishLine;
        }

        @Override
        public void run() {
            try {
                ready.countDown();
                go.await();
                int locks = scenario.locks();
                int readPercent = scenario.readPercent();
                int ops = scenario.opsPerWorker();
                for (int i = 1; i <= ops && !finishLine.stopped(); i++) {
                    int slot = random.nextInt(locks);
                    if (readPercent > 0 && random.nextInt(100) < readPercent) {
                        readSink += table.read(slot, waits);
                    } else {
                        table.increment(slot, waits);
                        writes++;
                    }
                    finishLine.advance(id, i);
                }
                finishLine.finished();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                done.countDown();
            }
        }
    }
}
