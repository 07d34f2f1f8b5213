package dev.turnstile.lock.bench.run;

/**
 * One cell of the lockbench matrix, minus the contender: how many locks, what share of operations
 * are reads, who the workers are, and how much work each does.
 *
 * @param workload    the row label: a regime name (extreme, heavy, …), a read mix (read 90%), or async
 * @param locks       N, the number of locks the workers pick from at random
 * @param readPercent share of operations that only read the counter (0 for the regimes)
 * @param workers     who does the work
 * @param workerCount T, the number of workers (threads or tasks)
 * @param opsPerWorker operations per worker per round
 * @param rounds      measured rounds (after one unmeasured warm-up round)
 * @param roundCapNanos a round still running after this long is stopped where it is, so that a slow
 *                    lock (fair, FIFO) cannot eat the time budget; its throughput is then what it
 *                    did in that time
 */
public record Scenario(String workload, int locks, int readPercent, WorkerKind workers, int workerCount,
                       int opsPerWorker, int rounds, long roundCapNanos) {
}
