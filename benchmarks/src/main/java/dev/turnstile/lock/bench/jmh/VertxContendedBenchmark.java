package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.vertx.LocalLocks;
import dev.turnstile.lock.vertx.VertxLocks;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.SharedData;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 * Asynchronous locking from Vert.x event-loop contexts, in acquisitions per microsecond: Turnstile's
 * {@code LocalLocks} and {@code VertxLocks.lock} against Vert.x's own local lock
 * ({@code getLocalLockWithTimeout} with an hour's timeout, since {@code getLocalLock} gives up after
 * 10 s), with lock-core's {@code lockAsync()} as the reference. Three shapes:
 * <ul>
 *   <li>{@code sequential…}: one event-loop task acquiring and releasing a free lock
 *       {@link #ACQUISITIONS} times (no contention; the cost of one acquisition on an event loop).
 *       {@code sequentialNoLock} is the same task without a lock (the increment and the latch only):
 *       the ceiling that the task's {@code runOnContext} and the benchmark thread's wake-up put on
 *       every row of this shape;</li>
 *   <li>{@code chain…}: {@link #CONTEXTS} event-loop verticles, each a chain of {@link #PER_CONTEXT}
 *       acquisitions of one of {@code locks} names (each continuation increments, releases and
 *       requests the next), so at most {@link #CONTEXTS} are outstanding; {@code chainNoLock} is
 *       the same chains without a lock, their ceiling, and {@code chainHopNoLock} the same with
 *       one {@code runOnContext} to another verticle's event loop per step and no lock: the ceiling
 *       of a lock whose every grant resumes a waiter on its own context (at {@code locks = 1} a
 *       release grants the next verticle's waiter, with either library);</li>
 *   <li>{@code burst…}: each verticle fires its {@link #PER_CONTEXT} acquisitions at once. Vert.x
 *       5.2.3's local lock loses acquisitions in this shape (see {@code docs/benchmarks.md}), so it
 *       has no burst row.</li>
 * </ul>
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar VertxContended -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VertxContendedBenchmark {
    static final int CONTEXTS = 4;
    static final int PER_CONTEXT = 250;
    static final int ACQUISITIONS = CONTEXTS * PER_CONTEXT;
    static final long STUCK_AFTER_SECONDS = 30;
    static final long VERTX_TIMEOUT_MS = TimeUnit.HOURS.toMillis(1);

    /** How many names (or mutexes) the acquisitions spread over: 1 is full contention. */
    @Param({"1", "64"})
    public int locks;

    /** One acquisition: increments the guarded counter, releases, then runs {@code then}. */
    interface Acquirer {
        void acquire(int slot, Runnable then);
    }

    private Vertx vertx;
    private SharedData sharedData;
    private LocalLocks localLocks;
    private final Context[] contexts = new Context[CONTEXTS];
    private Mutex<long[]>[] mutexes;
    private String[] names;
    private long[] counters;
    /** Which context the next {@link #noLockHop} step runs on (racy: only spreads the hops). */
    private long hops;

    @Setup(Level.Trial)
    @SuppressWarnings("unchecked")
    public void start() throws Exception {
        vertx = Vertx.vertx();
        sharedData = vertx.sharedData();
        localLocks = LocalLocks.of(vertx);
        for (int i = 0; i < CONTEXTS; i++) {
            CompletableFuture<Context> started = new CompletableFuture<>();
            vertx.deployVerticle(new AbstractVerticle() {
                @Override
                public void start() {
                    started.complete(context);
                }
            });
            contexts[i] = started.get(10, TimeUnit.SECONDS);
        }
        mutexes = new Mutex[locks];
        names = new String[locks];
        counters = new long[locks];
        for (int i = 0; i < locks; i++) {
            mutexes[i] = new Mutex<>(new long[1]);
            names[i] = "bench-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    // ---------------------------------------------------------------- one acquisition per API

    private void lockAsync(int slot, Runnable then) {
        mutexes[slot].lockAsync().thenAccept(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void vertxLocks(int slot, Runnable then) {
        VertxLocks.lock(mutexes[slot]).onSuccess(g -> {
            g.get()[0]++;
            g.close();
            then.run();
        });
    }

    private void localLocks(int slot, Runnable then) {
        localLocks.getLocalLock(names[slot]).onSuccess(lock -> {
            counters[slot]++;
            lock.release();
            then.run();
        });
    }

    private void noLock(int slot, Runnable then) {
        counters[slot]++;
        then.run();
    }

    /** No lock: the step continues on the next verticle's event loop, as a grant to another verticle does. */
    private void noLockHop(int slot, Runnable then) {
        counters[slot]++;
        contexts[(int) (hops++ & (CONTEXTS - 1))].runOnContext(v -> then.run());
    }

    private void vertxLocalLock(int slot, Runnable then) {
        sharedData.getLocalLockWithTimeout(names[slot], VERTX_TIMEOUT_MS).onSuccess(lock -> {
            counters[slot]++;
            lock.release();
            then.run();
        });
    }

    // ---------------------------------------------------------------- sequential: one event loop, no contention

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void sequentialNoLock() throws InterruptedException {
        sequential(this::noLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void sequentialLockAsync() throws InterruptedException {
        sequential(this::lockAsync);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void sequentialVertxLocks() throws InterruptedException {
        sequential(this::vertxLocks);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void sequentialLocalLocks() throws InterruptedException {
        sequential(this::localLocks);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void sequentialVertxLocalLock() throws InterruptedException {
        sequential(this::vertxLocalLock);
    }

    // ---------------------------------------------------------------- chains: CONTEXTS outstanding at most

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainLockAsync() throws InterruptedException {
        chain(this::lockAsync);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainVertxLocks() throws InterruptedException {
        chain(this::vertxLocks);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainLocalLocks() throws InterruptedException {
        chain(this::localLocks);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainVertxLocalLock() throws InterruptedException {
        chain(this::vertxLocalLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainNoLock() throws InterruptedException {
        chain(this::noLock);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void chainHopNoLock() throws InterruptedException {
        chain(this::noLockHop);
    }

    // ---------------------------------------------------------------- bursts: ACQUISITIONS outstanding at most

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstVertxLocks() throws InterruptedException {
        burst(this::vertxLocks);
    }

    @Benchmark
    @OperationsPerInvocation(ACQUISITIONS)
    public void burstLocalLocks() throws InterruptedException {
        burst(this::localLocks);
    }

    // ---------------------------------------------------------------- drivers

    /** {@link #ACQUISITIONS} acquisitions one after another, in one task of one event loop. */
    private void sequential(Acquirer acquirer) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(ACQUISITIONS);
        Runnable countDown = done::countDown;
        contexts[0].runOnContext(v -> {
            for (int i = 0; i < ACQUISITIONS; i++) {
                acquirer.acquire(i % locks, countDown);
            }
        });
        await(done);
    }

    private void chain(Acquirer acquirer) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(CONTEXTS);
        for (int c = 0; c < CONTEXTS; c++) {
            int first = c;
            contexts[c].runOnContext(v -> acquirer.acquire(first % locks, new Runnable() {
                private int left = PER_CONTEXT;
                private int slot = first;

                @Override
                public void run() {
                    if (--left == 0) {
                        done.countDown();
                    } else {
                        slot = (slot + CONTEXTS + 1) % locks;
                        acquirer.acquire(slot, this);
                    }
                }
            }));
        }
        await(done);
    }

    private void burst(Acquirer acquirer) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(ACQUISITIONS);
        Runnable countDown = done::countDown;
        for (int c = 0; c < CONTEXTS; c++) {
            int first = c;
            contexts[c].runOnContext(v -> {
                for (int i = 0; i < PER_CONTEXT; i++) {
                    acquirer.acquire((first + i) % locks, countDown);
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
