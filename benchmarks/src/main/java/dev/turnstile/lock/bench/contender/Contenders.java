package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.stream.Stream;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * The lockbench line-up. Adding a contender is one entry here (plus, for a lock with a new shape, one
 * {@link LockTable} or {@link AsyncLockTable} class).
 *
 * <p>{@link #FRONTIER} is the line-up of {@code --frontier}: the Turnstile {@code Mutex} from FIFO
 * through EVENTUAL at several hand-off intervals to BARGING, beside fair and nonfair
 * {@code ReentrantLock}. The hand-off-interval entries exist only there (and by id).
 */
public final class Contenders {
    private Contenders() {
    }

    /** Every contender, in report order. */
    public static final List<Contender> ALL = List.of(
            exclusive("mutex-eventual", "Turnstile Mutex (EVENTUAL)", true,
                    n -> new MutexGuardTable(n, mutexFactory(Fairness.EVENTUAL))),
            exclusive("mutex-fifo", "Turnstile Mutex (FIFO)", true, n -> new MutexGuardTable(n, mutexFactory(Fairness.FIFO))),
            exclusive("mutex-barging", "Turnstile Mutex (BARGING)", true,
                    n -> new MutexGuardTable(n, mutexFactory(Fairness.BARGING))),
            exclusive("mutex-eventual-view", "Turnstile Mutex (EVENTUAL, asLock)", true,
                    n -> new ProbedLockTable<Mutex<?>>(n, mutexFactory(Fairness.EVENTUAL), Mutex::asLock, Mutex::isLocked)),
            exclusive("reentrant", "ReentrantLock (nonfair)", false,
                    n -> new ProbedLockTable<ReentrantLock>(n, i -> new ReentrantLock(), l -> l, ReentrantLock::isLocked)),
            exclusive("reentrant-fair", "ReentrantLock (fair)", false,
                    n -> new ProbedLockTable<ReentrantLock>(n, i -> new ReentrantLock(true), l -> l, ReentrantLock::isLocked)),
            exclusive("synchronized", "synchronized", false, MonitorLockTable::new),
            exclusive("stamped", "StampedLock (write)", false,
                    n -> new ProbedLockTable<StampedLock>(n, i -> new StampedLock(), StampedLock::asWriteLock,
                            StampedLock::isWriteLocked)),
            exclusive("ttas", "TTAS spin lock", false,
                    n -> new ProbedLockTable<TtasSpinLock>(n, i -> new TtasSpinLock(), l -> l, TtasSpinLock::isLocked)),
            readWrite("rwlock", "Turnstile RwLock (guards)", true, RwLockGuardTable::new),
            readWrite("rwlock-view", "Turnstile RwLock (asReadWriteLock)", true,
                    n -> new ProbedReadWriteLockTable<RwLock<?>>(n, i -> new RwLock<>(null), RwLock::asReadWriteLock,
                            RwLock::isWriteLocked, RwLockGuardTable::isHeld)),
            readWrite("rrwl", "ReentrantReadWriteLock (nonfair)", false,
                    n -> new ProbedReadWriteLockTable<ReentrantReadWriteLock>(n, i -> new ReentrantReadWriteLock(), l -> l,
                            ReentrantReadWriteLock::isWriteLocked, l -> l.isWriteLocked() || l.getReadLockCount() > 0)),
            readWrite("stamped-rw", "StampedLock (read/write)", false,
                    n -> new ProbedReadWriteLockTable<StampedLock>(n, i -> new StampedLock(), StampedLock::asReadWriteLock,
                            StampedLock::isWriteLocked, l -> l.isWriteLocked() || l.isReadLocked())),
            async("mutex-async", "Turnstile Mutex.lockAsync()", true, MutexAsyncTable::new),
            async("ibm-fair-async", "IBM async-util FairAsyncLock", false, FairAsyncLockTable::new),
            async("vertx-local", "Vert.x local lock", false, VertxLocalLockTable::new));

    /** The hand-off intervals of the EVENTUAL points of the frontier, in milliseconds. */
    public static final List<Double> FRONTIER_HAND_OFF_MS = List.of(0.1, 0.5, 1.0, 5.0);

    /**
     * The fairness/throughput frontier, from the fairest to the least fair Turnstile configuration,
     * then the two {@code ReentrantLock}s.
     */
    public static final List<Contender> FRONTIER = Stream.of(
            Stream.of(named(ALL, "mutex-fifo")),
            FRONTIER_HAND_OFF_MS.stream().map(Contenders::handOffEvery),
            Stream.of(named(ALL, "mutex-barging"), named(ALL, "reentrant-fair"), named(ALL, "reentrant")))
            .flatMap(c -> c).toList();

    /** The contender called {@code name}, from {@link #ALL} or {@link #FRONTIER}. */
    public static Contender named(String name) {
        List<Contender> known = Stream.concat(ALL.stream(), FRONTIER.stream()).distinct().toList();
        return named(known, name);
    }

    private static Contender named(List<Contender> known, String name) {
        return known.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no contender named '" + name + "'; known: "
                        + known.stream().map(Contender::name).toList()));
    }

    /** An EVENTUAL mutex whose fairness timer fires every {@code ms} milliseconds on average. */
    private static Contender handOffEvery(double ms) {
        String text = ms == Math.rint(ms) ? String.format(Locale.ROOT, "%.0f", ms) : String.format(Locale.ROOT, "%s", ms);
        Duration interval = Duration.ofNanos(Math.round(ms * 1_000_000));
        return exclusive("mutex-handoff-" + text + "ms", "Turnstile Mutex (EVENTUAL, hand-off every " + text + " ms)", true,
                n -> new MutexGuardTable(n, i -> Mutex.builder().handOffEvery(interval).build(null)));
    }

    /**
     * Makes mutexes guarding nothing (the counters live beside them, as for every contender). With the
     * default policy {@code new Mutex<>(null)} shares the default configuration; a builder gives each
     * mutex a configuration object of its own.
     */
    private static IntFunction<Mutex<?>> mutexFactory(Fairness fairness) {
        if (fairness == Fairness.EVENTUAL) {
            return i -> new Mutex<>(null);
        }
        return i -> Mutex.builder().fairness(fairness).build(null);
    }

    private static Contender exclusive(String name, String label, boolean turnstile,
                                       IntFunction<LockTable> factory) {
        return new Contender(name, label, Contender.Role.EXCLUSIVE, factory, null, turnstile);
    }

    private static Contender readWrite(String name, String label, boolean turnstile,
                                       IntFunction<LockTable> factory) {
        return new Contender(name, label, Contender.Role.READ_WRITE, factory, null, turnstile);
    }

    private static Contender async(String name, String label, boolean turnstile,
                                   IntFunction<AsyncLockTable> factory) {
        return new Contender(name, label, Contender.Role.ASYNC, null, factory, turnstile);
    }
}
