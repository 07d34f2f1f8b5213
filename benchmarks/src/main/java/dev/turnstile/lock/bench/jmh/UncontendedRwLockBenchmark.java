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
 * One thread taking and releasing the read or the write lock of a read/write lock nobody else
 * touches: the RwLock fast paths against {@code ReentrantReadWriteLock} and {@code StampedLock}.
 * Run it with {@code -prof gc} and read {@code gc.alloc.rate.norm} (issue #3: no allocation
 * uncontended; a guard costs what the guard object costs unless C2 removes it).
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar UncontendedRwLock -prof gc -f1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class UncontendedRwLockBenchmark {
    private final RwLockPeers peers = new RwLockPeers();

    @Benchmark
    public long rwLockReadGuard() {
        return peers.rwLockReadGuard();
    }

    @Benchmark
    public long rwLockWriteGuard() {
        return peers.rwLockWriteGuard();
    }

    @Benchmark
    public long rwLockWithRead() {
        return peers.rwLockWithRead();
    }

    @Benchmark
    public long rwLockWithWrite() {
        return peers.rwLockWithWrite();
    }

    @Benchmark
    public long rwLockViewRead() {
        return peers.rwLockViewRead();
    }

    @Benchmark
    public long rwLockViewWrite() {
        return peers.rwLockViewWrite();
    }

    @Benchmark
    public long reentrantRead() {
        return peers.reentrantRead();
    }

    @Benchmark
    public long reentrantWrite() {
        return peers.reentrantWrite();
    }

    @Benchmark
    public long stampedRead() {
        return peers.stampedRead();
    }

    @Benchmark
    public long stampedOptimisticRead() {
        return peers.stampedOptimisticRead();
    }

    @Benchmark
    public long stampedWrite() {
        return peers.stampedWrite();
    }
}
