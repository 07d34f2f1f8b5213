package dev.turnstile.lock.stress;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.PendingLock;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A seeded fuzzer that mixes every kind of acquisition on one {@link Mutex} with its {@link Condvar}
 * and one {@link RwLock}, from platform and virtual worker threads at once, and checks what must hold
 * whatever the interleaving:
 * <ul>
 *   <li><b>exclusion</b>: counters entered and left inside every hold (never two mutex holders, never
 *       two writers, never a reader beside a writer, never two upgradable readers), and the guarded
 *       values, incremented by read-modify-write with a yield in between, lose no update;</li>
 *   <li><b>progress</b>: every asynchronous acquisition settles (its callback runs, or it fails, or a
 *       cancel wins) within a bound, and every worker finishes within the budget plus that bound;</li>
 *   <li><b>a clean end</b>: both locks free with empty queues, no condvar waiter left, every guard
 *       delivered closed exactly once, no callback after a successful {@code cancel()}, and at most
 *       one outcome per callback.</li>
 * </ul>
 *
 * <h2>What is mixed</h2>
 * Blocking, timed, interruptible (a separate thread interrupts the workers at random) and try
 * acquisitions; {@code with…} scopes; the {@code Lock} views; futures ({@code lockAsync},
 * {@code tryLockAsync}, {@code with…Async}, {@code readAsync}, {@code writeAsync},
 * {@code upgradableReadAsync}, {@code upgradeAsync}, {@code awaitAsync}) each randomly cancelled at
 * once or a little later, timed out with {@code orTimeout}, or completed with {@code completeOnTimeout};
 * the callback level ({@link PendingLock}) with random {@link PendingLock#cancel()}; executors that
 * run inline, on a pool, on virtual threads, behind a contended {@code ReentrantLock} (issue #8.2's
 * shape), that always reject, that throw something else (issue #8.3), or that reject at random;
 * condvar waits of every kind (blocking untimed, timed, deadline, interruptible; asynchronous untimed
 * and timed, future and callback) with {@code notifyOne}/{@code notifyAllWaiters} from holders and from
 * a notifier thread; upgrades (blocking, try, timed, asynchronous, and the try-with-resources pattern
 * of issue #8.5) and downgrades.
 *
 * <p>Each worker draws its operations from a {@link Random} seeded from the run's seed and its index,
 * so a seed reproduces the sequence of operations of each worker (not the interleaving). The test
 * prints the seed; pass {@code -Dturnstile.fuzz.seed=…} to replay it.
 */
final class AcquisitionFuzz {
    /** What to run. */
    record Settings(long seed, int platformWorkers, int virtualWorkers, Duration budget, Duration stallBound) {
        @Override
        public String toString() {
            return "seed=" + seed + " (replay with -Dturnstile.fuzz.seed=" + seed + "), " + platformWorkers
                    + " platform + " + virtualWorkers + " virtual workers, budget " + budget + ", carriers "
                    + System.getProperty("jdk.virtualThreadScheduler.parallelism", "default");
        }
    }

    /** What a run saw; {@code violations} is empty if every check held. */
    record Outcome(Settings settings, List<String> violations, Map<Op, Long> operations, String statistics) {
        String report() {
            return settings + System.lineSeparator() + statistics + System.lineSeparator()
                    + "operations: " + operations + System.lineSeparator()
                    + (violations.isEmpty() ? "no violation"
                            : violations.size() + " violation(s):" + System.lineSeparator()
                            + String.join(System.lineSeparator(), violations));
        }
    }

    /** Every kind of operation a worker draws. */
    enum Op {
        MUTEX_LOCK, MUTEX_TRY, MUTEX_TRY_TIMED, MUTEX_INTERRUPTIBLY, MUTEX_WITH_LOCK, MUTEX_VIEW,
        MUTEX_ASYNC, MUTEX_ASYNC_ON_EXECUTOR, MUTEX_TRY_ASYNC, MUTEX_CALLBACK, MUTEX_WITH_LOCK_ASYNC,
        CONDVAR_ASYNC_FROM_CONTINUATION,
        RW_READ, RW_TRY_READ_TIMED, RW_READ_INTERRUPTIBLY, RW_WITH_READ, RW_WRITE, RW_TRY_WRITE_TIMED,
        RW_WRITE_INTERRUPTIBLY, RW_UPDATE, RW_UPGRADABLE, RW_TRY_UPGRADABLE_TIMED, RW_VIEW,
        RW_READ_ASYNC, RW_WRITE_ASYNC, RW_UPGRADABLE_ASYNC, RW_CALLBACK, RW_WITH_ASYNC,
        RW_UPGRADE_ASYNC_IN_SCOPE
    }

    /** All operations, or those named in {@code -Dturnstile.fuzz.ops=A,B,…} to narrow a hunt down. */
    private static final Op[] OPS = System.getProperty("turnstile.fuzz.ops", "").isBlank() ? Op.values()
            : java.util.Arrays.stream(System.getProperty("turnstile.fuzz.ops").split(","))
                    .map(String::trim).map(Op::valueOf).toArray(Op[]::new);
    private static final int MAX_VIOLATIONS = 20;

    private final Settings settings;
    private final Mutex<long[]> mutex;
    private final Condvar condvar = new Condvar();
    private final RwLock<long[]> rw;

    // exclusion monitors: entered after acquiring, left before releasing
    private final AtomicInteger mutexHolders = new AtomicInteger();
    private final AtomicInteger writers = new AtomicInteger();
    private final AtomicInteger readers = new AtomicInteger();
    private final AtomicInteger upgradables = new AtomicInteger();
    private final AtomicLong mutexIncrements = new AtomicLong();
    private final AtomicLong rwIncrements = new AtomicLong();

    // bookkeeping
    private final ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
    private final AtomicInteger violationCount = new AtomicInteger();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder closed = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final EnumMap<Op, LongAdder> operations = new EnumMap<>(Op.class);
    private final LongAdder interrupts = new LongAdder();
    private final LongAdder rejections = new LongAdder();
    private final LongAdder cancellations = new LongAdder();
    private final LongAdder timeouts = new LongAdder();
    private final LongAdder condvarWaits = new LongAdder();
    private final LongAdder upgrades = new LongAdder();
    private final LongAdder downgrades = new LongAdder();

    // executors
    private final ExecutorService pool =
            Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("fuzz-pool-", 0).factory());
    private final ExecutorService virtualTasks =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fuzz-task-", 0).factory());
    private final ReentrantLock executorQueue = new ReentrantLock();
    private final Executor[] executors;
    private final Executor[] deliveringExecutors;

    private AcquisitionFuzz(Settings settings) {
        this.settings = settings;
        Random setup = new Random(settings.seed());
        Fairness[] fairness = Fairness.values();
        this.mutex = Mutex.builder().name("fuzz-mutex")
                .fairness(fairness[setup.nextInt(fairness.length)]).build(new long[1]);
        this.rw = RwLock.builder().name("fuzz-rw")
                .fairness(fairness[setup.nextInt(fairness.length)]).build(new long[1]);
        for (Op op : OPS) {
            operations.put(op, new LongAdder());
        }
        Executor inline = Runnable::run;
        Executor contended = task -> {
            executorQueue.lock(); // like a ThreadPoolExecutor's queue or a logger: a j.u.c lock in the way
            try {
                task.run();
            } finally {
                executorQueue.unlock();
            }
        };
        Executor rejecting = task -> {
            throw new RejectedExecutionException("fuzz: always rejects");
        };
        Executor broken = task -> {
            throw new BrokenExecutorException();
        };
        Executor flaky = task -> {
            if (ThreadLocalRandom.current().nextInt(3) == 0) {
                throw new RejectedExecutionException("fuzz: rejects at random");
            }
            pool.execute(task);
        };
        this.deliveringExecutors = new Executor[] {null, inline, pool, virtualTasks, contended};
        this.executors = new Executor[] {null, inline, pool, virtualTasks, contended, rejecting, broken, flaky};
    }

    /** Runs the fuzzer once with {@code settings}. */
    static Outcome run(Settings settings) throws InterruptedException {
        return new AcquisitionFuzz(settings).execute();
    }

    // ------------------------------------------------------------------ the run

    private Outcome execute() throws InterruptedException {
        long start = System.nanoTime();
        long end = start + settings.budget().toNanos();
        List<Thread> workers = new ArrayList<>();
        int total = settings.platformWorkers() + settings.virtualWorkers();
        for (int i = 0; i < total; i++) {
            boolean virtual = i >= settings.platformWorkers();
            Random rnd = new Random(settings.seed() * 1_000_003L + i);
            String name = (virtual ? "fuzz-virtual-" : "fuzz-platform-") + i;
            Runnable body = () -> work(rnd, end);
            workers.add(virtual ? Thread.ofVirtual().name(name).unstarted(body)
                    : Thread.ofPlatform().name(name).daemon().unstarted(body));
        }
        AtomicBoolean stopping = new AtomicBoolean();
        Thread interrupter = Thread.ofPlatform().name("fuzz-interrupter").daemon()
                .start(() -> interruptAtRandom(workers, stopping, new Random(settings.seed() ^ 0x5DEECE66DL)));
        AtomicBoolean quiet = new AtomicBoolean();
        Thread notifier = Thread.ofPlatform().name("fuzz-notifier").daemon().start(() -> notifyUntil(quiet));
        workers.forEach(Thread::start);

        long deadline = end + settings.stallBound().toNanos();
        for (Thread worker : workers) {
            worker.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
        stopping.set(true);
        interrupter.join();
        List<Thread> stuck = workers.stream().filter(Thread::isAlive).toList();
        for (Thread t : stuck) {
            violation("stall: " + t.getName() + " did not finish within the budget plus "
                    + settings.stallBound() + "; " + state() + System.lineSeparator() + stackOf(t));
        }
        long quietBy = System.nanoTime() + settings.stallBound().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() - quietBy < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        if (inFlight.get() > 0) {
            violation("stall: " + inFlight.get() + " asynchronous outcomes never settled; " + state());
        }
        quiet.set(true);
        notifier.join();
        pool.shutdown();
        virtualTasks.shutdown();
        if (!pool.awaitTermination(10, TimeUnit.SECONDS) || !virtualTasks.awaitTermination(10, TimeUnit.SECONDS)) {
            violation("the executors did not drain");
        }
        if (stuck.isEmpty()) {
            checkCleanEnd();
        }
        Map<Op, Long> counts = new EnumMap<>(Op.class);
        operations.forEach((op, n) -> counts.put(op, n.sum()));
        String statistics = String.format(
                "%.1f s; delivered %d, closed %d, interrupts %d, rejections %d, cancellations %d, timeouts %d,"
                        + " condvar waits %d, upgrades %d, downgrades %d; mutex %s, rw %s",
                (System.nanoTime() - start) / 1e9, delivered.sum(), closed.sum(), interrupts.sum(), rejections.sum(),
                cancellations.sum(), timeouts.sum(), condvarWaits.sum(), upgrades.sum(), downgrades.sum(),
                mutex.fairness(), rw.fairness());
        return new Outcome(settings, List.copyOf(violations), counts, statistics);
    }

    private void checkCleanEnd() {
        if (mutex.isLocked() || mutex.queueLength() != 0) {
            violation("end: " + mutex + " is not free");
        }
        if (rw.isWriteLocked() || rw.readHolds() != 0 || rw.isUpgradableLocked() || rw.queueLength() != 0) {
            violation("end: " + rw + " is not free (upgradable " + rw.isUpgradableLocked() + ")");
        }
        if (condvar.waiterCount() != 0) {
            violation("end: " + condvar + " still has waiters");
        }
        if (delivered.sum() != closed.sum()) {
            violation("end: " + delivered.sum() + " guards delivered but " + closed.sum() + " closed");
        }
        if (mutexHolders.get() != 0 || writers.get() != 0 || readers.get() != 0 || upgradables.get() != 0) {
            violation("end: monitors not back to zero: " + state());
        }
        // Never block here: a lock that is not free has been reported above.
        mutex.tryLock().ifPresent(g -> {
            try (g) {
                if (g.get()[0] != mutexIncrements.get()) {
                    violation("end: the mutex's value is " + g.get()[0] + " after " + mutexIncrements.get()
                            + " increments (lost updates)");
                }
            }
        });
        rw.tryWrite().ifPresent(w -> {
            try (w) {
                if (w.get()[0] != rwIncrements.get()) {
                    violation("end: the rw lock's value is " + w.get()[0] + " after " + rwIncrements.get()
                            + " increments (lost updates)");
                }
            }
        });
    }

    private String state() {
        return "monitors mutex=" + mutexHolders + " writers=" + writers + " readers=" + readers + " upgradables="
                + upgradables + "; " + mutex + ", " + rw + ", " + condvar + ", in flight " + inFlight;
    }

    private void work(Random rnd, long end) {
        try {
            while (System.nanoTime() - end < 0 && violationCount.get() < MAX_VIOLATIONS) {
                if (rnd.nextInt(4) != 0) {
                    Thread.interrupted(); // sometimes an interrupt is still pending when the next call starts
                }
                Op op = OPS[rnd.nextInt(OPS.length)];
                operations.get(op).increment();
                try {
                    perform(op, rnd);
                } catch (Stall stall) {
                    violation(stall.getMessage());
                    return;
                } catch (RuntimeException | Error e) {
                    violation(op + " threw " + describe(e));
                    return;
                }
            }
        } finally {
            Thread.interrupted();
        }
    }

    private void interruptAtRandom(List<Thread> workers, AtomicBoolean stopping, Random rnd) {
        while (!stopping.get()) {
            Thread victim = workers.get(rnd.nextInt(workers.size()));
            if (victim.isAlive()) {
                victim.interrupt();
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200 + rnd.nextInt(800)));
        }
    }

    /** Untimed condvar waits need a notification eventually, also when every worker has moved on. */
    private void notifyUntil(AtomicBoolean quiet) {
        while (!quiet.get()) {
            condvar.notifyAllWaiters();
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(500));
        }
        condvar.notifyAllWaiters();
    }

    // ------------------------------------------------------------------ operations

    private void perform(Op op, Random rnd) {
        switch (op) {
            case MUTEX_LOCK -> holdMutex(mutex.lock(), rnd, "lock()");
            case MUTEX_TRY -> mutex.tryLock().ifPresent(g -> holdMutex(g, rnd, "tryLock()"));
            case MUTEX_TRY_TIMED -> mutex.tryLock(shortWait(rnd)).ifPresent(g -> holdMutex(g, rnd, "tryLock(d)"));
            case MUTEX_INTERRUPTIBLY -> {
                try {
                    holdMutex(mutex.lockInterruptibly(), rnd, "lockInterruptibly()");
                } catch (InterruptedException e) {
                    interrupts.increment();
                }
            }
            case MUTEX_WITH_LOCK -> mutex.withLock(v -> {
                enterMutex("withLock");
                bump(v, rnd, true);
                mutexIncrements.incrementAndGet();
                exitMutex();
                return null;
            });
            case MUTEX_VIEW -> lockView(rnd);
            case MUTEX_ASYNC -> onFuture(mutex.lockAsync(), rnd, "lockAsync()", g -> holdMutexAsync(g, "lockAsync()"));
            case MUTEX_ASYNC_ON_EXECUTOR -> onFuture(mutex.lockAsync(anyExecutor(rnd, false)), rnd, "lockAsync(e)",
                    g -> holdMutexAsync(g, "lockAsync(e)"));
            case MUTEX_TRY_ASYNC -> {
                Duration wait = shortWait(rnd);
                CompletableFuture<MutexGuard<long[]>> f = rnd.nextBoolean() ? mutex.tryLockAsync(wait)
                        : mutex.tryLockAsync(wait, anyExecutor(rnd, false));
                onFuture(f, rnd, "tryLockAsync", g -> holdMutexAsync(g, "tryLockAsync"));
            }
            case MUTEX_CALLBACK -> {
                Executor executor = anyExecutor(rnd, true);
                this.<MutexGuard<long[]>>onCallback(cb -> executor == null ? mutex.lockAsync(cb) : mutex.lockAsync(cb, executor), rnd,
                        "lockAsync(cb)", g -> holdMutexAsync(g, "lockAsync(cb)"));
            }
            case MUTEX_WITH_LOCK_ASYNC -> {
                Function<MutexGuard<long[]>, CompletableFuture<Integer>> body = g -> scopedBody(
                        () -> enterMutex("withLockAsync"), () -> {
                            bump(g.get(), null, false);
                            mutexIncrements.incrementAndGet();
                            exitMutex();
                        });
                CompletableFuture<Integer> f = rnd.nextBoolean() ? mutex.withLockAsync(body)
                        : mutex.withLockAsync(body, anyExecutor(rnd, false));
                onFuture(f, rnd, "withLockAsync", value -> { });
            }
            case CONDVAR_ASYNC_FROM_CONTINUATION -> onFuture(mutex.lockAsync(), rnd, "lockAsync()+awaitAsync",
                    g -> {
                        delivered(g, "lockAsync() before awaitAsync");
                        enterMutex("lockAsync() before awaitAsync");
                        awaitAsyncThenHold(g, ThreadLocalRandom.current().nextBoolean());
                    });
            case RW_READ -> holdRead(rnd.nextBoolean() ? rw.read() : rw.readRecursive(), rnd, "read()");
            case RW_TRY_READ_TIMED -> (rnd.nextBoolean() ? rw.tryRead(shortWait(rnd)) : rw.tryRead())
                    .ifPresent(r -> holdRead(r, rnd, "tryRead(d)"));
            case RW_READ_INTERRUPTIBLY -> {
                try {
                    holdRead(rw.readInterruptibly(), rnd, "readInterruptibly()");
                } catch (InterruptedException e) {
                    interrupts.increment();
                }
            }
            case RW_WITH_READ -> rw.withRead(v -> {
                enterRead("withRead");
                exitRead();
                return v[0];
            });
            case RW_WRITE -> holdWrite(rw.write(), rnd, "write()");
            case RW_TRY_WRITE_TIMED -> (rnd.nextBoolean() ? rw.tryWrite(shortWait(rnd)) : rw.tryWrite())
                    .ifPresent(w -> holdWrite(w, rnd, "tryWrite(d)"));
            case RW_WRITE_INTERRUPTIBLY -> {
                try {
                    holdWrite(rw.writeInterruptibly(), rnd, "writeInterruptibly()");
                } catch (InterruptedException e) {
                    interrupts.increment();
                }
            }
            case RW_UPDATE -> rw.update(v -> {
                enterWrite("update");
                bump(v, rnd, true);
                rwIncrements.incrementAndGet();
                exitWrite();
                return v;
            });
            case RW_UPGRADABLE -> holdUpgradable(rw.upgradableRead(), rnd, "upgradableRead()");
            case RW_TRY_UPGRADABLE_TIMED -> {
                Optional<UpgradableGuard<long[]>> u;
                try {
                    u = switch (rnd.nextInt(3)) {
                        case 0 -> rw.tryUpgradableRead();
                        case 1 -> rw.tryUpgradableRead(shortWait(rnd));
                        default -> Optional.of(rw.upgradableReadInterruptibly());
                    };
                } catch (InterruptedException e) {
                    interrupts.increment();
                    u = Optional.empty();
                }
                u.ifPresent(g -> holdUpgradable(g, rnd, "tryUpgradableRead"));
            }
            case RW_VIEW -> rwView(rnd);
            case RW_READ_ASYNC -> onFuture(rnd.nextBoolean() ? rw.readAsync() : rw.readAsync(anyExecutor(rnd, false)),
                    rnd, "readAsync", r -> holdReadAsync(r, "readAsync"));
            case RW_WRITE_ASYNC -> onFuture(rnd.nextBoolean() ? rw.writeAsync() : rw.writeAsync(anyExecutor(rnd, false)),
                    rnd, "writeAsync", w -> holdWriteAsync(w, "writeAsync"));
            case RW_UPGRADABLE_ASYNC -> {
                // Delivered to the worker (the future's value is handed over), which then holds it here.
                CompletableFuture<UpgradableGuard<long[]>> handover = new CompletableFuture<>();
                CompletableFuture<UpgradableGuard<long[]>> f = rnd.nextBoolean() ? rw.upgradableReadAsync()
                        : rw.upgradableReadAsync(anyExecutor(rnd, false));
                onFuture(f, rnd, "upgradableReadAsync", handover::complete);
                UpgradableGuard<long[]> u = handover.getNow(null);
                if (u != null) {
                    holdUpgradable(u, rnd, "upgradableReadAsync");
                }
            }
            case RW_CALLBACK -> {
                switch (rnd.nextInt(3)) {
                    case 0 -> this.<ReadGuard<long[]>>onCallback(cb -> rw.readAsync(cb, anyExecutor(rnd, true)), rnd, "readAsync(cb)",
                            r -> holdReadAsync(r, "readAsync(cb)"));
                    case 1 -> this.<WriteGuard<long[]>>onCallback(cb -> rw.writeAsync(cb, anyExecutor(rnd, true)), rnd, "writeAsync(cb)",
                            w -> holdWriteAsync(w, "writeAsync(cb)"));
                    default -> {
                        CompletableFuture<UpgradableGuard<long[]>> handover = new CompletableFuture<>();
                        this.<UpgradableGuard<long[]>>onCallback(cb -> rw.upgradableReadAsync(cb, anyExecutor(rnd, true)), rnd,
                                "upgradableReadAsync(cb)", handover::complete);
                        UpgradableGuard<long[]> u = handover.getNow(null);
                        if (u != null) {
                            holdUpgradable(u, rnd, "upgradableReadAsync(cb)");
                        }
                    }
                }
            }
            case RW_WITH_ASYNC -> {
                CompletableFuture<Integer> f = rnd.nextBoolean()
                        ? rw.withReadAsync(r -> scopedBody(() -> enterRead("withReadAsync"), this::exitRead))
                        : rw.withWriteAsync(w -> scopedBody(() -> enterWrite("withWriteAsync"), () -> {
                            bump(w.get(), null, false);
                            rwIncrements.incrementAndGet();
                            exitWrite();
                        }));
                onFuture(f, rnd, "with…Async(rw)", value -> { });
            }
            case RW_UPGRADE_ASYNC_IN_SCOPE -> upgradeAsyncInsideTryWithResources(rnd);
        }
    }

    // ------------------------------------------------------------------ mutex holds

    /** A hold on the worker's thread: may notify, or wait on the condvar in any of its ways. */
    private void holdMutex(MutexGuard<long[]> g, Random rnd, String via) {
        delivered(g, via);
        enterMutex(via);
        bump(g.get(), rnd, true);
        mutexIncrements.incrementAndGet();
        switch (rnd.nextInt(12)) {
            case 0 -> condvar.notifyOne();
            case 1 -> condvar.notifyAllWaiters();
            case 2, 3, 4, 5, 6 -> {
                if (!waitOnCondvar(g, rnd, via)) {
                    return; // the guard went to an asynchronous wait, which settles the rest
                }
            }
            default -> {
            }
        }
        exitMutex();
        closeMutex(g, rnd);
    }

    /**
     * Waits on the condvar with {@code g} (held and entered). Blocking waits come back holding it
     * again ({@code true}); asynchronous ones consume it ({@code false}).
     */
    private boolean waitOnCondvar(MutexGuard<long[]> g, Random rnd, String via) {
        condvarWaits.increment();
        int kind = rnd.nextInt(9);
        if (kind >= 6) {
            awaitAsyncFromWorker(g, rnd, kind);
            return false;
        }
        exitMutex();
        try {
            switch (kind) {
                case 0 -> condvar.awaitUninterruptibly(g);
                case 1 -> condvar.await(g, shortWait(rnd));
                case 2 -> condvar.awaitUntil(g, Instant.now().plusNanos(shortWait(rnd).toNanos()));
                case 3 -> condvar.await(g);
                case 4 -> condvar.await(g, shortWait(rnd).negated()); // a negative wait: one release and re-acquire
                default -> condvar.await(g, Duration.ZERO);
            }
        } catch (InterruptedException e) {
            interrupts.increment(); // the mutex is held again all the same
        }
        if (!g.isHeld()) {
            violation("a blocking condvar wait via " + via + " returned without the mutex");
        }
        enterMutex(via + " after await");
        return true;
    }

    private void awaitAsyncFromWorker(MutexGuard<long[]> g, Random rnd, int kind) {
        exitMutex();
        closed.increment(); // awaitAsync consumes (closes) the guard
        switch (kind) {
            case 6 -> onFuture(condvar.awaitAsync(g), rnd, "awaitAsync(g)", n -> holdMutexAsync(n, "awaitAsync(g)"));
            case 7 -> onFuture(condvar.awaitAsync(g, shortWait(rnd)), rnd, "awaitAsync(g, d)",
                    w -> holdMutexAsync(w.guard(), "awaitAsync(g, d)"));
            default -> {
                if (rnd.nextBoolean()) {
                    this.<MutexGuard<long[]>>onCallback(cb -> condvar.awaitAsync(g, cb, anyExecutor(rnd, true)), rnd, "awaitAsync(g, cb)",
                            n -> holdMutexAsync(n, "awaitAsync(g, cb)"));
                } else {
                    Duration wait = shortWait(rnd);
                    this.<Condvar.Wakeup<long[]>>onCallback(cb -> condvar.awaitAsync(g, wait, cb, anyExecutor(rnd, true)), rnd,
                            "awaitAsync(g, d, cb)", w -> holdMutexAsync(w.guard(), "awaitAsync(g, d, cb)"));
                }
            }
        }
    }

    /** A hold delivered to a continuation (any thread): never blocks. */
    private void holdMutexAsync(MutexGuard<long[]> g, String via) {
        delivered(g, via);
        enterMutex(via);
        bump(g.get(), null, false);
        mutexIncrements.incrementAndGet();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        if (rnd.nextInt(4) == 0) {
            condvar.notifyOne();
        }
        exitMutex();
        closeMutex(g, null);
    }

    /** From a continuation: wait on the condvar asynchronously (not awaited by any worker), then hold again. */
    private void awaitAsyncThenHold(MutexGuard<long[]> g, boolean timed) {
        condvarWaits.increment();
        exitMutex();
        closed.increment();
        inFlight.incrementAndGet();
        CompletableFuture<MutexGuard<long[]>> next = timed
                ? condvar.awaitAsync(g, Duration.ofMillis(1)).thenApply(Condvar.Wakeup::guard)
                : condvar.awaitAsync(g);
        next.whenComplete((n, failure) -> {
            try {
                if (n != null) {
                    holdMutexAsync(n, "awaitAsync from a continuation");
                } else if (failure != null) {
                    expectedFailure(failure, "awaitAsync from a continuation");
                }
            } finally {
                inFlight.decrementAndGet();
            }
        });
    }

    private void closeMutex(MutexGuard<long[]> g, Random rnd) {
        closed.increment();
        if (rnd != null && rnd.nextInt(8) == 0) {
            g.unlockFair();
        } else {
            g.close();
        }
    }

    private void lockView(Random rnd) {
        Lock view = mutex.asLock();
        try {
            boolean locked = switch (rnd.nextInt(3)) {
                case 0 -> {
                    view.lock();
                    yield true;
                }
                case 1 -> view.tryLock(shortWait(rnd).toNanos(), TimeUnit.NANOSECONDS);
                default -> {
                    view.lockInterruptibly();
                    yield true;
                }
            };
            if (locked) {
                enterMutex("asLock()");
                if (rnd.nextInt(4) == 0) {
                    Thread.yield();
                }
                exitMutex();
                view.unlock();
            }
        } catch (InterruptedException e) {
            interrupts.increment();
        }
    }

    // ------------------------------------------------------------------ rw holds

    private void holdRead(ReadGuard<long[]> r, Random rnd, String via) {
        delivered(r, via);
        enterRead(via);
        if (rnd != null && rnd.nextInt(4) == 0) {
            Thread.yield();
        }
        r.get();
        exitRead();
        closeRw(r);
    }

    private void holdReadAsync(ReadGuard<long[]> r, String via) {
        holdRead(r, null, via);
    }

    private void holdWrite(WriteGuard<long[]> w, Random rnd, String via) {
        delivered(w, via);
        enterWrite(via);
        bump(w.get(), rnd, rnd != null);
        rwIncrements.incrementAndGet();
        int next = rnd == null ? ThreadLocalRandom.current().nextInt(8) : rnd.nextInt(8);
        if (next == 0) {
            downgrades.increment();
            exitWrite();
            readers.incrementAndGet(); // the read hold the downgrade turns into, counted before others can join it
            ReadGuard<long[]> r = w.downgrade();
            closeRw(w); // consumed: closing does nothing
            delivered(r, via + " downgraded");
            r.get();
            exitRead();
            closeRw(r);
            return;
        }
        if (next == 1 && rnd != null) {
            downgrades.increment();
            exitWrite();
            enterUpgradable(via + " downgraded to upgradable");
            UpgradableGuard<long[]> u = w.downgradeToUpgradable();
            closeRw(w);
            holdUpgradableEntered(u, rnd, via + " downgraded to upgradable");
            return;
        }
        exitWrite();
        closed.increment();
        if (next == 2) {
            w.unlockFair();
        } else {
            w.close();
        }
    }

    private void holdWriteAsync(WriteGuard<long[]> w, String via) {
        holdWrite(w, null, via);
    }

    /** An upgradable hold on the worker's thread: upgraded (every way), downgraded, or released. */
    private void holdUpgradable(UpgradableGuard<long[]> u, Random rnd, String via) {
        enterUpgradable(via);
        holdUpgradableEntered(u, rnd, via);
    }

    /** An upgradable hold already entered (counted as a reader and the upgradable reader) and delivered or not. */
    private void holdUpgradableEntered(UpgradableGuard<long[]> u, Random rnd, String via) {
        delivered(u, via);
        switch (rnd.nextInt(7)) {
            case 0 -> {
                WriteGuard<long[]> w = u.upgrade();
                upgraded(u, w, rnd, via + " upgrade()");
            }
            case 1 -> {
                Optional<WriteGuard<long[]>> w = rnd.nextBoolean() ? u.tryUpgrade() : u.tryUpgrade(shortWait(rnd));
                if (w.isPresent()) {
                    upgraded(u, w.get(), rnd, via + " tryUpgrade");
                } else {
                    endUpgradable(u);
                }
            }
            case 2 -> {
                downgrades.increment();
                upgradables.decrementAndGet(); // stays a reader
                ReadGuard<long[]> r = u.downgrade();
                closeRw(u);
                delivered(r, via + " downgrade()");
                r.get();
                exitRead();
                closeRw(r);
            }
            case 3, 4 -> upgradeAsync(u, rnd, via);
            default -> endUpgradable(u);
        }
    }

    private void upgraded(UpgradableGuard<long[]> u, WriteGuard<long[]> w, Random rnd, String via) {
        upgrades.increment();
        exitUpgradable();
        closeRw(u); // consumed: closing does nothing
        holdWrite(w, rnd, via);
    }

    private void endUpgradable(UpgradableGuard<long[]> u) {
        exitUpgradable();
        closeRw(u);
    }

    /**
     * {@code upgradeAsync}, future or callback, with a random cancellation; the upgradable guard is
     * closed here once it is settled. The upgradable hold is left in the monitors exactly once: by a
     * delivered write hold, or here.
     */
    private void upgradeAsync(UpgradableGuard<long[]> u, Random rnd, String via) {
        UpgradableExit leftUpgradable = new UpgradableExit();
        Consumer<WriteGuard<long[]>> onWrite = w -> {
            upgrades.increment();
            leftUpgradable.run();
            holdWriteAsync(w, via + " upgradeAsync");
        };
        if (rnd.nextBoolean()) {
            onFuture(u.upgradeAsync(), rnd, via + " upgradeAsync()", onWrite);
        } else {
            this.<WriteGuard<long[]>>onCallback(cb -> u.upgradeAsync(cb, deliveringExecutor(rnd)), rnd, via + " upgradeAsync(cb)", onWrite);
        }
        leftUpgradable.run(); // if not upgraded, the guard holds its upgradable hold again
        closeRw(u);
    }

    /**
     * issue #8.5's pattern: the upgradable guard's try-with-resources block ends while its
     * {@code upgradeAsync} is pending, and the future is then cancelled or timed out (or completes).
     */
    private void upgradeAsyncInsideTryWithResources(Random rnd) {
        UpgradableGuard<long[]> u = rw.upgradableRead();
        enterUpgradable("upgradableRead() for upgradeAsync in scope");
        delivered(u, "upgradableRead() for upgradeAsync in scope");
        UpgradableExit leftUpgradable = new UpgradableExit();
        CompletableFuture<Void> settled = new CompletableFuture<>();
        inFlight.incrementAndGet();
        CompletableFuture<WriteGuard<long[]>> f = u.upgradeAsync();
        f.whenComplete((w, failure) -> {
            try {
                if (w != null) {
                    upgrades.increment();
                    leftUpgradable.run();
                    holdWriteAsync(w, "upgradeAsync in scope");
                } else if (failure != null) {
                    expectedFailure(failure, "upgradeAsync in scope");
                }
            } catch (RuntimeException | Error e) {
                violation("upgradeAsync in scope: continuation threw " + describe(e));
            } finally {
                inFlight.decrementAndGet();
                settled.complete(null);
            }
        });
        cancelAtRandom(f, rnd);
        leftUpgradable.run(); // leaving the scope: the hold is the upgrade's, or released once it comes back
        closeRw(u);
        awaitSettled(settled, "upgradeAsync in scope");
    }

    private void closeRw(AutoCloseable guard) {
        closed.increment();
        try {
            guard.close();
        } catch (IllegalStateException e) {
            violation("closing " + guard + " threw " + describe(e));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void rwView(Random rnd) {
        ReadWriteLock view = rw.asReadWriteLock();
        if (rnd.nextBoolean()) {
            if (view.readLock().tryLock()) {
                enterRead("readLock().tryLock()");
                exitRead();
                view.readLock().unlock();
            }
            return;
        }
        Lock write = view.writeLock();
        try {
            if (!write.tryLock(shortWait(rnd).toNanos(), TimeUnit.NANOSECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            interrupts.increment();
            return;
        }
        enterWrite("writeLock()");
        exitWrite();
        write.unlock();
    }

    // ------------------------------------------------------------------ asynchronous plumbing

    /**
     * Handles a future's outcome in a continuation (a delivered value goes to {@code onValue}; a failure
     * must be one the fuzzer provoked), applies a random cancellation, and waits (bounded) until it
     * settled.
     */
    private <V> void onFuture(CompletableFuture<V> f, Random rnd, String what, Consumer<V> onValue) {
        CompletableFuture<Void> settled = new CompletableFuture<>();
        inFlight.incrementAndGet();
        f.whenComplete((value, failure) -> {
            try {
                if (value != null) {
                    onValue.accept(value);
                } else if (failure != null) {
                    expectedFailure(failure, what);
                }
            } catch (RuntimeException | Error e) {
                violation(what + ": continuation threw " + describe(e));
            } finally {
                inFlight.decrementAndGet();
                settled.complete(null);
            }
        });
        cancelAtRandom(f, rnd);
        awaitSettled(settled, what);
    }

    private void cancelAtRandom(CompletableFuture<?> f, Random rnd) {
        switch (rnd.nextInt(10)) {
            case 0 -> f.cancel(false);
            case 1 -> {
                Thread.yield();
                f.cancel(false);
            }
            case 2 -> f.orTimeout(1 + rnd.nextInt(300), TimeUnit.MICROSECONDS);
            case 3 -> f.completeOnTimeout(null, 1 + rnd.nextInt(300), TimeUnit.MICROSECONDS);
            default -> {
            }
        }
    }

    /** The callback level: at most one outcome, none after a successful cancel, and it settles in time. */
    private <G> void onCallback(Function<LockCallback<G>, PendingLock> submit, Random rnd, String what, Consumer<G> onGuard) {
        Probe<G> probe = new Probe<>(what, onGuard);
        inFlight.incrementAndGet();
        PendingLock pending = submit.apply(probe);
        int choice = rnd.nextInt(5);
        if (choice < 2) {
            if (choice == 1) {
                Thread.yield();
            }
            if (pending.cancel()) {
                cancellations.increment();
                probe.cancelled();
            }
        }
        awaitSettled(probe.settled, what);
    }

    /** A {@link LockCallback} that checks the contract and records how it settled. */
    private final class Probe<G> implements LockCallback<G> {
        private static final int OPEN = 0;
        private static final int LOCKED = 1;
        private static final int FAILED = 2;
        private static final int CANCELLED = 3;

        private final String what;
        private final Consumer<G> onGuard;
        private final AtomicInteger state = new AtomicInteger(OPEN);
        final CompletableFuture<Void> settled = new CompletableFuture<>();

        Probe(String what, Consumer<G> onGuard) {
            this.what = what;
            this.onGuard = onGuard;
        }

        @Override
        public void onLocked(G guard) {
            int was = state.compareAndExchange(OPEN, LOCKED);
            if (was != OPEN) {
                violation(what + ": onLocked after " + name(was));
            }
            try {
                onGuard.accept(guard); // hold and release it all the same, so one bug is reported once
            } catch (RuntimeException | Error e) {
                violation(what + ": onLocked threw " + describe(e));
            } finally {
                settle(was);
            }
        }

        @Override
        public void onFailed(Throwable cause) {
            int was = state.compareAndExchange(OPEN, FAILED);
            if (was != OPEN) {
                violation(what + ": onFailed after " + name(was));
            }
            expectedFailure(cause, what);
            settle(was);
        }

        void cancelled() {
            int was = state.compareAndExchange(OPEN, CANCELLED);
            if (was != OPEN) {
                violation(what + ": cancel() returned true after " + name(was));
            }
            settle(was);
        }

        private void settle(int was) {
            if (was == OPEN) {
                inFlight.decrementAndGet();
            }
            settled.complete(null);
        }

        private String name(int s) {
            return switch (s) {
                case LOCKED -> "onLocked";
                case FAILED -> "onFailed";
                case CANCELLED -> "a successful cancel()";
                default -> "nothing";
            };
        }
    }

    /**
     * The body of a {@code with…Async}: enters at once, then leaves and completes its stage at once, on
     * the pool, or fails (thrown, failed stage, or null stage), always leaving before the scope releases.
     */
    private CompletableFuture<Integer> scopedBody(Runnable enter, Runnable exit) {
        enter.run();
        inFlight.incrementAndGet();
        Runnable leave = () -> {
            exit.run();
            inFlight.decrementAndGet();
        };
        switch (ThreadLocalRandom.current().nextInt(6)) {
            case 0 -> {
                leave.run();
                throw new BodyFailure();
            }
            case 1 -> {
                leave.run();
                return CompletableFuture.failedFuture(new BodyFailure());
            }
            case 2 -> {
                leave.run();
                return null;
            }
            case 3, 4 -> {
                return CompletableFuture.supplyAsync(() -> {
                    leave.run();
                    return 1;
                }, pool);
            }
            default -> {
                leave.run();
                return CompletableFuture.completedFuture(1);
            }
        }
    }

    private void awaitSettled(CompletableFuture<Void> settled, String what) {
        long deadline = System.nanoTime() + settings.stallBound().toNanos();
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    settled.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (TimeoutException e) {
                    throw new Stall("stall: " + what + " did not settle within " + settings.stallBound() + "; " + state());
                } catch (ExecutionException impossible) {
                    throw new AssertionError(impossible);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The failures the fuzzer provokes; anything else is a violation. */
    private void expectedFailure(Throwable failure, String what) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (cause instanceof CancellationException) {
            cancellations.increment();
        } else if (cause instanceof TimeoutException || cause instanceof LockTimeoutException) {
            timeouts.increment();
        } else if (cause instanceof RejectedExecutionException || cause instanceof BrokenExecutorException) {
            rejections.increment();
        } else if (!(cause instanceof BodyFailure || cause instanceof NullPointerException && what.contains("with"))) {
            violation(what + ": unexpected failure " + describe(cause));
        }
    }

    // ------------------------------------------------------------------ monitors

    private void delivered(Object guard, String via) {
        delivered.increment();
        boolean held = switch (guard) {
            case MutexGuard<?> g -> g.isHeld();
            case ReadGuard<?> g -> g.isHeld();
            case WriteGuard<?> g -> g.isHeld();
            case UpgradableGuard<?> g -> g.isHeld();
            default -> true;
        };
        if (!held) {
            violation(via + " delivered a guard that does not hold its lock: " + guard);
        }
    }

    private void enterMutex(String via) {
        int n = mutexHolders.incrementAndGet();
        if (n != 1) {
            violation("exclusion: " + n + " mutex holders, entering via " + via);
        }
    }

    private void exitMutex() {
        mutexHolders.decrementAndGet();
    }

    private void enterWrite(String via) {
        int w = writers.incrementAndGet();
        int r = readers.get();
        if (w != 1 || r != 0) {
            violation("exclusion: " + w + " writers and " + r + " readers, entering via " + via + "; " + state());
        }
    }

    private void exitWrite() {
        writers.decrementAndGet();
    }

    private void enterRead(String via) {
        readers.incrementAndGet();
        int w = writers.get();
        if (w != 0) {
            violation("exclusion: a reader beside " + w + " writer(s), entering via " + via + "; " + state());
        }
    }

    private void exitRead() {
        readers.decrementAndGet();
    }

    private void enterUpgradable(String via) {
        enterRead(via);
        int u = upgradables.incrementAndGet();
        if (u != 1) {
            violation("exclusion: " + u + " upgradable readers, entering via " + via);
        }
    }

    private void exitUpgradable() {
        upgradables.decrementAndGet();
        readers.decrementAndGet();
    }

    /** A read-modify-write of the guarded value, with a yield in between on worker threads now and then. */
    private static void bump(long[] value, Random rnd, boolean mayYield) {
        long seen = value[0];
        if (mayYield && rnd != null && rnd.nextInt(4) == 0) {
            Thread.yield();
        }
        value[0] = seen + 1;
    }

    private Executor anyExecutor(Random rnd, boolean nullAllowed) {
        Executor e = executors[rnd.nextInt(executors.length)];
        return e == null && !nullAllowed ? Runnable::run : e;
    }

    /** For upgrades: a refused delivery would drop the caller's upgradable hold before the monitors see it. */
    private Executor deliveringExecutor(Random rnd) {
        return deliveringExecutors[rnd.nextInt(deliveringExecutors.length)];
    }

    private static Duration shortWait(Random rnd) {
        return switch (rnd.nextInt(4)) {
            case 0 -> Duration.ZERO;
            case 1 -> Duration.ofNanos(1 + rnd.nextInt(50_000));
            case 2 -> Duration.ofNanos(50_000 + rnd.nextInt(450_000));
            default -> Duration.ofNanos(500_000 + rnd.nextInt(1_500_000));
        };
    }

    private void violation(String text) {
        if (violationCount.incrementAndGet() <= MAX_VIOLATIONS) {
            violations.add(text + " [" + Thread.currentThread().getName() + "]");
        }
    }

    private static String describe(Throwable t) {
        StringBuilder text = new StringBuilder(t.toString());
        StackTraceElement[] frames = t.getStackTrace();
        for (int i = 0; i < Math.min(12, frames.length); i++) {
            text.append(System.lineSeparator()).append("\tat ").append(frames[i]);
        }
        return text.toString();
    }

    private static String stackOf(Thread t) {
        StringBuilder text = new StringBuilder();
        for (StackTraceElement frame : t.getStackTrace()) {
            text.append("\tat ").append(frame).append(System.lineSeparator());
        }
        return text.toString();
    }

    /**
     * Leaves an upgradable hold in the monitors once, from whichever comes first: the worker, or the
     * continuation of a write hold the upgrade delivered. The second waits until the first is done, so
     * the write hold never enters while the upgradable reader is still counted.
     */
    private final class UpgradableExit implements Runnable {
        private final AtomicInteger state = new AtomicInteger(); // 0 in, 1 leaving, 2 left

        @Override
        public void run() {
            if (state.compareAndSet(0, 1)) {
                exitUpgradable();
                state.set(2);
                return;
            }
            while (state.get() != 2) {
                Thread.onSpinWait(); // two decrements on the other thread, never a blocking call
            }
        }
    }

    /** Raised when an operation did not settle in time; ends the worker. */
    private static final class Stall extends RuntimeException {
        Stall(String message) {
            super(message, null, false, false);
        }
    }

    /** What the "broken" executor throws: not a {@link RejectedExecutionException} (issue #8.3). */
    private static final class BrokenExecutorException extends IllegalStateException {
        BrokenExecutorException() {
            super("fuzz: executor is broken");
        }
    }

    /** What a failing {@code with…Async} body throws or fails with. */
    private static final class BodyFailure extends RuntimeException {
        BodyFailure() {
            super("fuzz: the body failed", null, false, false);
        }
    }
}
