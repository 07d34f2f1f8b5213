package dev.turnstile.lock.bench.jmh;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One thread locking and unlocking a lock nobody else touches: the fast path. Run it with
 * {@code -prof gc} and read {@code gc.alloc.rate.norm}: the {@code asLock()} and {@code withLock}
 * paths must allocate nothing (issue #2's target), the guard path shows what a guard costs.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar Uncontended -prof gc -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class UncontendedLockBenchmark {
    private final LockPeers peers = new LockPeers();

    @Benchmark
    public long mutexGuard() {
        return peers.mutexGuard();
    }

    @Benchmark
    public long mutexAsLock() {
        return peers.mutexAsLock();
    }

    @Benchmark
    public long mutexAsLockEachTime() {
        return peers.mutexAsLockEachTime();
    }

    @Benchmark
    public long mutexWithLock() {
        return peers.mutexWithLock();
    }

    @Benchmark
    public long reentrantLock() {
        return peers.reentrantLock();
    }

    @Benchmark
    public long synchronizedBlock() {
        return peers.synchronizedBlock();
    }
}
