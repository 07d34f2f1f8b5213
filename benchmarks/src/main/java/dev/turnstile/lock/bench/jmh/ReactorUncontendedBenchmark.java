package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.reactor.ReactorLocks;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;
import reactor.core.publisher.Mono;

/**
 * The uncontended cost of a Reactor critical section, one thread, average time per subscription:
 * {@code ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(…))} against the bare
 * {@code Mono.fromSupplier(…)} it wraps, and {@code ReactorLocks.lock(mutex)} with a close. The
 * {@code Mono}s are assembled once; each operation is one subscription (read
 * {@code gc.alloc.rate.norm} with {@code -prof gc} for the allocations).
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar ReactorUncontended -f1 -wi 3 -i 5 -w 1s -r 1s -prof gc
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReactorUncontendedBenchmark {
    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    private final long[] plain = new long[1];
    private Mono<Long> bare;
    private Mono<Long> withLock;
    private Consumer<Long> sink;

    @Setup
    public void assemble(Blackhole bh) {
        bare = Mono.fromSupplier(() -> ++plain[0]);
        withLock = ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0]));
        sink = bh::consume;
    }

    @Benchmark
    public void bareFromSupplier() {
        bare.subscribe(sink);
    }

    @Benchmark
    public void withLockFromSupplier() {
        withLock.subscribe(sink);
    }

    @Benchmark
    public void lockThenClose(Blackhole bh) {
        ReactorLocks.lock(mutex).subscribe(g -> {
            bh.consume(++g.get()[0]);
            g.close();
        });
    }
}
