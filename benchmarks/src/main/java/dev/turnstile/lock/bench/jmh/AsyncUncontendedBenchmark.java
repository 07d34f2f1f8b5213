package dev.turnstile.lock.bench.jmh;

import com.ibm.asyncutil.locks.AsyncLock;
import com.ibm.asyncutil.locks.FairAsyncLock;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
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
 * One thread acquiring and releasing a lock nobody else touches, asynchronously: what the future
 * (and the callback level under it) costs over the blocking fast path. The future of an uncontended
 * {@code lockAsync()} is complete when returned, so {@code join()} does not wait. Run with
 * {@code -prof gc} to read the bytes allocated per acquisition ({@code gc.alloc.rate.norm}).
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar AsyncUncontended -prof gc -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AsyncUncontendedBenchmark {
    /** The value every lock guards. */
    static final class Counter {
        long value;
    }

    /** Increments and releases; one shared instance, as an adapter would keep per subscription. */
    private static final class IncrementAndRelease implements LockCallback<MutexGuard<Counter>> {
        long last;

        @Override
        public void onLocked(MutexGuard<Counter> guard) {
            last = ++guard.get().value;
            guard.close();
        }

        @Override
        public void onFailed(Throwable cause) {
            throw new AssertionError(cause);
        }
    }

    private final Counter counter = new Counter();
    private final Mutex<Counter> mutex = new Mutex<>(counter);
    private final IncrementAndRelease callback = new IncrementAndRelease();
    private final FairAsyncLock fairAsyncLock = new FairAsyncLock();

    /** The baseline: {@code try (var g = mutex.lock())}. */
    @Benchmark
    public long blockingLock() {
        try (MutexGuard<Counter> g = mutex.lock()) {
            return ++g.get().value;
        }
    }

    /** {@code lockAsync()}: the future view, its queue node and the guard. */
    @Benchmark
    public long lockAsync() {
        MutexGuard<Counter> g = mutex.lockAsync().join();
        try {
            return ++g.get().value;
        } finally {
            g.close();
        }
    }

    /** The callback level: the node and the guard, no future. */
    @Benchmark
    public long lockAsyncCallback() {
        mutex.lockAsync(callback);
        return callback.last;
    }

    /** IBM async-util's {@code FairAsyncLock}: {@code acquireLock()} and its token. */
    @Benchmark
    public long ibmFairAsyncLock() {
        AsyncLock.LockToken token = fairAsyncLock.acquireLock().toCompletableFuture().join();
        try {
            return ++counter.value;
        } finally {
            token.releaseLock();
        }
    }
}
