package dev.turnstile.lock.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Several threads sharing one read/write lock, {@code readPercent} % of the operations reading the
 * guarded counter and the rest incrementing it (issue #3's read-mostly benchmark): throughput in
 * ops/µs summed over threads. The thread count is JMH's {@code -t} (4 by default here; run
 * {@code -t 1}, {@code -t 2}, {@code -t 4} for the sweep). Every thread rolls its own dice, the same
 * cheap generator for every lock, so all contenders see the same mix.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar ReadMostly -t 2 -f1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(4)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReadMostlyBenchmark {
    private final RwLockPeers peers = new RwLockPeers();

    /** Share of operations that only read, in percent; the rest write. */
    @Param({"90", "99"})
    public int readPercent;

    /** One thread's dice: an xorshift generator, so that no shared random source adds contention. */
    @State(Scope.Thread)
    public static class Dice {
        private long seed = System.nanoTime() | 1L;

        /** A roll in [0, 100). */
        int roll() {
            seed ^= seed << 13;
            seed ^= seed >>> 7;
            seed ^= seed << 17;
            return (int) ((seed >>> 1) % 100);
        }
    }

    @Benchmark
    public long reentrantReadWriteLock(Dice dice) {
        return dice.roll() < readPercent ? peers.reentrantRead() : peers.reentrantWrite();
    }

    @Benchmark
    public long stampedPessimistic(Dice dice) {
        return dice.roll() < readPercent ? peers.stampedRead() : peers.stampedWrite();
    }

    @Benchmark
    public long stampedOptimistic(Dice dice) {
        return dice.roll() < readPercent ? peers.stampedOptimisticRead() : peers.stampedWrite();
    }

    @Benchmark
    public long rwLockGuard(Dice dice) {
        return dice.roll() < readPercent ? peers.rwLockReadGuard() : peers.rwLockWriteGuard();
    }

    @Benchmark
    public long rwLockWith(Dice dice) {
        return dice.roll() < readPercent ? peers.rwLockWithRead() : peers.rwLockWithWrite();
    }

    @Benchmark
    public long rwLockView(Dice dice) {
        return dice.roll() < readPercent ? peers.rwLockViewRead() : peers.rwLockViewWrite();
    }
}
