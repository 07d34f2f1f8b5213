package dev.turnstile.lock.bench.jmh;

import com.ibm.asyncutil.locks.FairAsyncLock;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.SharedData;
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

/**
 * Contended asynchronous throughput on a fixed pool of {@code poolThreads} threads, in acquisitions
 * per microsecond (queueing, grant, continuation and release included). Two shapes:
 * <ul>
 *   <li>{@code chain…}: {@link #TASKS} tasks, each a sequence of {@link #PER_TASK} acquisitions; a
 *       continuation increments, releases, and resubmits its task to the pool for the next one
 *       (at most {@link #TASKS} acquisitions outstanding, like the lockbench async round);</li>
 *   <li>{@code burst…}: the same tasks fire all their acquisitions at once without waiting, so up to
 *       {@link #ACQUISITIONS} waiters queue on the lock at a time.</li>
 * </ul>
 * Each lock is used in its natural idiom: Turnstile {@code lockAsync().thenAccept(…)} (continuations
 * on the releasing thread through the trampoline), {@code lockAsync(pool)} (dispatched to the pool)
 * and the callback level under the future; IBM async-util {@code FairAsyncLock.acquireLock()}
 * (continuations on the releasing thread); Vert.x {@code getLocalLockWithTimeout} (continuations on
 * event-loop contexts, since the pool threads have none; an hour's timeout because
 * {@code getLocalLock} gives up after 10 s, and every Vert.x waiter arms a timer for it).
 *
 * <p>Vert.x has no {@code burst} row: with 1,000 acquisitions fired from four pool threads at once,
 * Vert.x 5.2.3's local lock lost some of them (never completed, no timeout, no error) within a few
 * rounds here, so the invocation would never end. Every invocation waits at most
 * {@link #STUCK_AFTER_SECONDS} and fails rather than hanging the run.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar AsyncContended -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AsyncContendedBenchmark {
    static final int TASKS = 4;
    static final int PER_TASK = 250;
    static final int ACQUISITIONS = TASKS * PER_TASK;
    static final long STUCK_AFTER_SECONDS = 30;

    /** Threads of the fixed pool that runs the tasks. */
    @Param({"4"})
    public int poolThreads;

    private ExecutorService pool;
    private Vertx vertx;
    private SharedData sharedData;
    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    private final FairAsyncLock fairAsyncLock = new FairAsyncLock();
    private final long[] peerCounter = new long[1];

    @Setup(Level.Trial)
    public void start() {
        pool = Executors.newFixedThreadPool(poolThreads);
        vertx = Vertx.vertx();
        sharedData = vertx.sharedData();
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        pool.shutdown();
        pool.awaitTermination(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    // ---------------------------------------------------------------- one acquisition per lock, per idiom

    /** Acquires once and, in the continuation, increments, releases and runs {@code then}. */
    private void turnstileFuture(Runnable then) {
        mutex.lockAsync().thenAccept(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void turnstileFutureOnPool(Runnable then) {
        mutex.lockAsync(pool).thenAccept(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void turnstileCallback(Runnable then) {
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

    private void ibmFairAsyncLock(Runnable then) {
        fairAsyncLock.acquireLock().thenAccept(token -> {
            peerCounter[0]++;
            token.releaseLock();
            then.run();
        });
    }

    private void vertxLocalLock(Runnable then) {
        sharedData.getLocalLockWithTimeout("bench", TimeUnit.HOURS.toMillis(1)).onSuccess(lock -> {
            peerCounter[0]++;
            lock.release();
            then.run();
        });
    }

    // ---------------------------------------------------------------- chains: TASKS outstanding at most

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainTurnstileFuture() throws InterruptedException {
        chain(this::turnstileFuture);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainTurnstileFutureOnPool() throws InterruptedException {
        chain(this::turnstileFutureOnPool);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainTurnstileCallback() throws InterruptedException {
        chain(this::turnstileCallback);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainIbmFairAsyncLock() throws InterruptedException {
        chain(this::ibmFairAsyncLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainVertxLocalLock() throws InterruptedException {
        chain(this::vertxLocalLock);
    }

    // ---------------------------------------------------------------- bursts: ACQUISITIONS outstanding at most

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstTurnstileFuture() throws InterruptedException {
        burst(this::turnstileFuture);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstTurnstileCallback() throws InterruptedException {
        burst(this::turnstileCallback);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstIbmFairAsyncLock() throws InterruptedException {
        burst(this::ibmFairAsyncLock);
    }

    // ---------------------------------------------------------------- drivers

    /** {@link #TASKS} sequential chains of {@link #PER_TASK} acquisitions; each step resubmits to the pool. */
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

    /** {@link #TASKS} pool tasks each firing {@link #PER_TASK} acquisitions without waiting. */
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
