package dev.turnstile.lock.bench.jmh;

import com.ibm.asyncutil.locks.FairAsyncLock;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.reactor.ReactorLocks;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

/**
 * Contended acquisitions awaited from Reactor, in acquisitions per microsecond, with the shapes of
 * {@link AsyncContendedBenchmark} (a fixed pool; {@code chain…}: {@link #TASKS} sequences of
 * {@link #PER_TASK} acquisitions, each continuation resubmitting its task; {@code burst…}: all
 * {@link #ACQUISITIONS} fired at once). Each acquisition increments a counter under the lock:
 * <ul>
 *   <li>{@code reactorLock}: {@code ReactorLocks.lock(mutex).subscribe(g -> …)};</li>
 *   <li>{@code reactorWithLock}: {@code ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(…))};</li>
 *   <li>{@code callback}: lock-core's callback level, the floor the adapter is built on;</li>
 *   <li>{@code monoFromFuture}: {@code Mono.fromFuture(mutex.lockAsync())}, the obvious do-it-yourself
 *       adapter;</li>
 *   <li>{@code ibmThroughMono}: IBM async-util {@code FairAsyncLock} through
 *       {@code Mono.fromCompletionStage};</li>
 *   <li>{@code monoNoLock}: the same subscription with no lock at all
 *       ({@code Mono.fromSupplier(…).subscribe(…)}), the ceiling that the shape and Reactor put on
 *       every row.</li>
 * </ul>
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar ReactorContended -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ReactorContendedBenchmark {
    static final int TASKS = 4;
    static final int PER_TASK = 250;
    static final int ACQUISITIONS = TASKS * PER_TASK;
    static final long STUCK_AFTER_SECONDS = 30;

    /** Threads of the fixed pool that runs the tasks. */
    @Param({"4"})
    public int poolThreads;

    private ExecutorService pool;
    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    private final FairAsyncLock fairAsyncLock = new FairAsyncLock();
    private final long[] peerCounter = new long[1];

    @Setup(Level.Trial)
    public void start() {
        pool = Executors.newFixedThreadPool(poolThreads);
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    // ---------------------------------------------------------------- one acquisition per idiom

    private void reactorLock(Runnable then) {
        ReactorLocks.lock(mutex).subscribe(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void reactorWithLock(Runnable then) {
        ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0])).subscribe(v -> then.run());
    }

    private void callback(Runnable then) {
        mutex.lockAsync(new LockCallback<MutexGuard<long[]>>() {
            @Override
            public void onLocked(MutexGuard<long[]> g) {
                g.get()[0]++;
                g.close();
                then.run();
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        });
    }

    private void monoFromFuture(Runnable then) {
        Mono.fromFuture(mutex.lockAsync()).subscribe(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void ibmThroughMono(Runnable then) {
        Mono.fromCompletionStage(fairAsyncLock.acquireLock()).subscribe(token -> {
            peerCounter[0]++;
            token.releaseLock();
            then.run();
        });
    }

    private void monoNoLock(Runnable then) {
        Mono.fromSupplier(() -> ++peerCounter[0]).subscribe(v -> then.run());
    }

    // ---------------------------------------------------------------- chains

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainReactorLock() throws InterruptedException {
        chain(this::reactorLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainReactorWithLock() throws InterruptedException {
        chain(this::reactorWithLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainCallback() throws InterruptedException {
        chain(this::callback);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainMonoFromFuture() throws InterruptedException {
        chain(this::monoFromFuture);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainIbmThroughMono() throws InterruptedException {
        chain(this::ibmThroughMono);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainMonoNoLock() throws InterruptedException {
        chain(this::monoNoLock);
    }

    // ---------------------------------------------------------------- bursts

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstReactorLock() throws InterruptedException {
        burst(this::reactorLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstReactorWithLock() throws InterruptedException {
        burst(this::reactorWithLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstCallback() throws InterruptedException {
        burst(this::callback);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstMonoFromFuture() throws InterruptedException {
        burst(this::monoFromFuture);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstIbmThroughMono() throws InterruptedException {
        burst(this::ibmThroughMono);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstMonoNoLock() throws InterruptedException {
        burst(this::monoNoLock);
    }

    // ---------------------------------------------------------------- drivers

    private void chain(Consumer<Runnable> acquire) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(TASKS);
        for (int t = 0; t < TASKS; t++) {
            pool.execute(new Runnable() {
                private int left = PER_TASK;

                @Override
                public void run() {
                    acquire.accept(() -> {
                        if (--left == 0) {
                            done.countDown();
                        } else {
                            pool.execute(this);
                        }
                    });
                }
            });
        }
        await(done);
    }

    private void burst(Consumer<Runnable> acquire) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(ACQUISITIONS);
        Runnable countDown = done::countDown;
        for (int t = 0; t < TASKS; t++) {
            pool.execute(() -> {
                for (int i = 0; i < PER_TASK; i++) {
                    acquire.accept(countDown);
                }
            });
        }
        await(done);
    }

    private static void await(CountDownLatch done) throws InterruptedException {
        if (!done.await(STUCK_AFTER_SECONDS, TimeUnit.SECONDS)) {
            throw new IllegalStateException(done.getCount() + " acquisitions never completed");
        }
    }
}
