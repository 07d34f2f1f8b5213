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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Several threads hammering one lock: throughput of the contended path (ops/µs summed over
 * threads). The thread count is JMH's {@code -t} (4 by default here; run {@code -t 1}, {@code -t 2},
 * {@code -t 4} for the 1..4 sweep). {@code think} adds work outside the critical section
 * ({@link Blackhole#consumeCPU} tokens) so that contention can be dialled down.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar Contended -t 2 -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 *
 * The read/write locks have their own contended benchmark, {@link ReadMostlyBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(4)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ContendedLockBenchmark {
    private final LockPeers peers = new LockPeers();

    /** Blackhole.consumeCPU tokens spent outside the lock per operation. */
    @Param({"0"})
    public int think;

    @Benchmark
    public long mutexGuard() {
        Blackhole.consumeCPU(think);
        return peers.mutexGuard();
    }

    @Benchmark
    public long mutexAsLock() {
        Blackhole.consumeCPU(think);
        return peers.mutexAsLock();
    }

    @Benchmark
    public long mutexWithLock() {
        Blackhole.consumeCPU(think);
        return peers.mutexWithLock();
    }

    @Benchmark
    public long reentrantLock() {
        Blackhole.consumeCPU(think);
        return peers.reentrantLock();
    }

    @Benchmark
    public long synchronizedBlock() {
        Blackhole.consumeCPU(think);
        return peers.synchronizedBlock();
    }
}
