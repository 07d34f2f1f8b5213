package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.vertx.LocalLocks;
import dev.turnstile.lock.vertx.VertxLocks;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-acquisition cost of the Vert.x front-end over lock-core's own asynchronous API: one thread
 * (outside any Vert.x context, so every future completes before the call returns) acquiring and
 * releasing a lock nobody else touches. {@code lockAsync} is the baseline the front-end is held to
 * (goal: {@code VertxLocks.lock} within 1.3x of it).
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar VertxUncontended -prof gc -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VertxUncontendedBenchmark {
    /** Increments and releases, for the callback-level row. */
    private static final class IncrementAndRelease implements LockCallback<MutexGuard<long[]>> {
        long last;

        @Override
        public void onLocked(MutexGuard<long[]> guard) {
            last = ++guard.get()[0];
            guard.close();
        }

        @Override
        public void onFailed(Throwable cause) {
            throw new AssertionError(cause);
        }
    }

    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    private final IncrementAndRelease callback = new IncrementAndRelease();
    private final long[] plainCounter = new long[1];
    /** More names than {@code LocalLocks} keeps idle, each used once per lap. */
    private final String[] manyNames = new String[1 << 16];
    private int nextName;
    private Vertx vertx;
    private LocalLocks localLocks;

    @Setup(Level.Trial)
    public void start() {
        vertx = Vertx.vertx();
        localLocks = LocalLocks.of(vertx);
        for (int i = 0; i < manyNames.length; i++) {
            manyNames[i] = "bench-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    /** lock-core's {@code CompletableFuture} API: the baseline. */
    @Benchmark
    public long lockAsync() {
        MutexGuard<long[]> g = mutex.lockAsync().join();
        try {
            return ++g.get()[0];
        } finally {
            g.close();
        }
    }

    /** lock-core's callback level, which the front-end adapts. */
    @Benchmark
    public long lockAsyncCallback() {
        mutex.lockAsync(callback);
        return callback.last;
    }

    /** {@code VertxLocks.lock(mutex)}: a Vert.x future of the guard. */
    @Benchmark
    public long vertxLocksLock() {
        MutexGuard<long[]> g = VertxLocks.lock(mutex).result();
        try {
            return ++g.get()[0];
        } finally {
            g.close();
        }
    }

    /** {@code LocalLocks.getLocalLock(name)}: registry look-up, entry, and the Vert.x {@code Lock}. */
    @Benchmark
    public long localLocksGetLocalLock() {
        Lock lock = localLocks.getLocalLock("bench").result();
        try {
            return ++plainCounter[0];
        } finally {
            lock.release();
        }
    }

    /**
     * {@code LocalLocks.getLocalLock(name)} on a name not used for the last 65,535 acquisitions: the
     * registry's worst case, a new entry each time (and, since idle entries are swept rather than
     * removed at once, its share of the sweeps).
     */
    @Benchmark
    public long localLocksManyNames() {
        String name = manyNames[nextName++ & (manyNames.length - 1)];
        Lock lock = localLocks.getLocalLock(name).result();
        try {
            return ++plainCounter[0];
        } finally {
            lock.release();
        }
    }
}
