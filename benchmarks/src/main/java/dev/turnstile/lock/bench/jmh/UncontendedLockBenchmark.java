package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
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
 *
 * <p>The {@code …Diagnosed} benchmarks take the same mutex with each diagnostic of
 * {@code docs/diagnostics.md} in turn ({@link Diagnosed#diagnostics}): {@code off}; {@code statistics}
 * (built with {@code statistics(true)}: every hold read the clock twice); {@code jfr} (a recording with
 * both Turnstile events enabled, the mutex never contended: not profiled, its fast path unchanged);
 * {@code jfrProfiled} (the same recording, the mutex contended once, so its holds are timed for the
 * long-hold event); {@code rank} (a ranked mutex, nothing else held: each acquisition is checked
 * against and recorded in the thread's holdings); {@code deadlockDetection} (built with
 * {@code detectDeadlocks()}: the same holdings record, no rank check). {@link #nanoTime()} is the
 * clock read that statistics pay twice per hold. Every variant records the owner thread for the
 * JVM's tools; that store is part of {@code off}.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar 'UncontendedLockBenchmark.(mutexGuard|reentrantLock|mutexGuardDiagnosed|mutexWithLockDiagnosed|nanoTime)$' -prof gc -f1 -wi 3 -i 5 -w 1s -r 1s
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

    /** The mutex of the {@code …Diagnosed} benchmarks, with one diagnostic on (or none). */
    @State(Scope.Thread)
    public static class Diagnosed {
        /** Returns the counter, not a boxed count: a box that escapes would be measured as the lock's. */
        private static final Function<LockPeers.Counter, LockPeers.Counter> INCREMENT = c -> {
            c.value++;
            return c;
        };

        /** The diagnostic switched on; see the class comment. */
        @Param({"off", "statistics", "jfr", "jfrProfiled", "rank", "deadlockDetection"})
        public String diagnostics;

        Mutex<LockPeers.Counter> mutex;
        private Recording recording;

        @Setup
        public void setUp() {
            Mutex.Builder builder = Mutex.builder().name("bench").statistics(diagnostics.equals("statistics"));
            if (diagnostics.equals("rank")) {
                builder.rank(1);
            } else if (diagnostics.equals("deadlockDetection")) {
                builder.detectDeadlocks();
            }
            mutex = builder.build(new LockPeers.Counter());
            if (diagnostics.startsWith("jfr")) {
                recording = new Recording();
                recording.enable("dev.turnstile.ContendedAcquisition"); // default thresholds (20 ms)
                recording.enable("dev.turnstile.LongHold");
                recording.start();
            }
            if (diagnostics.equals("jfrProfiled")) {
                // Contended once while the long-hold event is enabled: its holds are timed from now on.
                MutexGuard<LockPeers.Counter> held = mutex.lock();
                CompletableFuture<MutexGuard<LockPeers.Counter>> waiter = mutex.lockAsync();
                held.close();
                waiter.join().close();
            }
        }

        @TearDown
        public void tearDown() {
            if (recording != null) {
                recording.close();
            }
        }
    }

    @Benchmark
    public long mutexGuardDiagnosed(Diagnosed d) {
        try (MutexGuard<LockPeers.Counter> g = d.mutex.lock()) {
            return ++g.get().value;
        }
    }

    @Benchmark
    public long mutexWithLockDiagnosed(Diagnosed d) {
        return d.mutex.withLock(Diagnosed.INCREMENT).value;
    }

    /** One {@code System.nanoTime()}: what statistics add twice to every exclusive hold. */
    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
