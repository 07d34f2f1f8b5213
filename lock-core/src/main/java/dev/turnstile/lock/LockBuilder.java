package dev.turnstile.lock;

import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.LockTracking;
import java.time.Duration;
import java.util.Objects;

/**
 * The settings every Turnstile lock shares: fairness policy, name, clock and statistics, and the opt-in
 * lock ranks and deadlock detection. Each lock type has its own builder that adds {@code build(value)}.
 *
 * @param <B> the concrete builder, returned by every setter for chaining
 */
public abstract class LockBuilder<B extends LockBuilder<B>> {
    private Fairness fairness = Fairness.EVENTUAL;
    private String name;
    private NanoClock clock = NanoClock.SYSTEM;
    private long handOffMeanNanos = LockConfig.DEFAULT_HAND_OFF_MEAN_NANOS;
    private long longHoldNanos = LockConfig.DEFAULT_LONG_HOLD_NANOS;
    private boolean statistics = LockConfig.STATISTICS_BY_DEFAULT;
    private int rank = LockTracking.UNRANKED;
    private String rankName;
    private boolean detectDeadlocks;

    LockBuilder() {
    }

    /**
     * The fairness policy; {@link Fairness#EVENTUAL} by default.
     *
     * @param fairness the policy
     * @return this builder
     * @throws NullPointerException if {@code fairness} is null
     */
    public final B fairness(Fairness fairness) {
        this.fairness = Objects.requireNonNull(fairness, "fairness");
        return self();
    }

    /**
     * A name for diagnostics and exception messages; none by default.
     *
     * @param name the lock's name, shown by {@code toString()}, in exception messages and in thread dumps
     * @return this builder
     * @throws NullPointerException if {@code name} is null
     */
    public final B name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return self();
    }

    /**
     * The clock fairness decisions and statistics read; {@link NanoClock#SYSTEM} by default. For tests.
     *
     * @param clock the time source of the fairness timer and of statistics (timeouts always use
     *              {@link System#nanoTime()})
     * @return this builder
     * @throws NullPointerException if {@code clock} is null
     */
    public final B clock(NanoClock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        return self();
    }

    /**
     * The mean interval of the {@link Fairness#EVENTUAL} fairness timer (0.5 ms by default): the
     * shorter, the more often a contended release hands off, trading throughput for tail latency.
     * Intervals beyond about 36 years are treated as that long (in effect, never).
     *
     * @param meanInterval the mean time between two fairness hand-offs
     * @return this builder
     * @throws NullPointerException     if {@code meanInterval} is null
     * @throws IllegalArgumentException if not positive
     */
    public final B handOffEvery(Duration meanInterval) {
        this.handOffMeanNanos = positiveNanos(meanInterval, "hand-off interval");
        return self();
    }

    /**
     * Under {@link Fairness#EVENTUAL}, a critical section that held the lock longer than this (1 ms by
     * default) ends with a hand-off, so long holders cannot starve those queued behind them.
     *
     * @param threshold the hold time beyond which a release hands the lock to the longest waiter
     * @return this builder
     * @throws NullPointerException     if {@code threshold} is null
     * @throws IllegalArgumentException if not positive
     */
    public final B handOffAfterHolding(Duration threshold) {
        this.longHoldNanos = positiveNanos(threshold, "long-hold threshold");
        return self();
    }

    /**
     * Whether the lock keeps statistics: acquisitions, contended acquisitions, wait and hold time
     * distributions, the longest queue (read them with {@code statistics()} on the lock). Off by
     * default, or as the system property {@code dev.turnstile.lock.statistics} says; off, they cost
     * nothing. On, every acquisition and release takes the core's slower path and exclusive holds
     * read the {@link #clock(NanoClock) clock} twice; see {@code docs/diagnostics.md} for the measured
     * cost and the histograms' precision.
     *
     * @param on whether to keep statistics
     * @return this builder
     */
    public final B statistics(boolean on) {
        this.statistics = on;
        return self();
    }

    // ---------------------------------------------------------------- diagnostics (lock ranks, deadlocks)

    /**
     * Gives the lock a rank: an acquirer (a thread, or an asynchronous task's {@link LockOwner}) may
     * only acquire it while every ranked lock it holds ranks below it; otherwise the acquisition is
     * refused before it queues, as {@link LockRanks} says. Locks of equal rank are never held together.
     * A ranked lock also takes part in deadlock detection ({@link #detectDeadlocks()}).
     *
     * @param rank the rank; any {@code int} but {@link Integer#MIN_VALUE}
     * @return this builder
     * @throws IllegalArgumentException if {@code rank} is {@link Integer#MIN_VALUE}
     */
    public final B rank(int rank) {
        if (rank == LockTracking.UNRANKED) {
            throw new IllegalArgumentException("Integer.MIN_VALUE is not a rank");
        }
        this.rank = rank;
        this.rankName = null;
        return self();
    }

    /**
     * Gives the lock the rank of an enum constant: its ordinal, so the constants of one enum, declared
     * in acquisition order, rank the locks (and messages name the constant). See {@link #rank(int)}.
     *
     * <pre>{@code
     * enum Rank { ACCOUNTS, LEDGER, AUDIT }   // acquire in this order
     * Mutex<Ledger> ledger = Mutex.builder().name("ledger").rank(Rank.LEDGER).build(new Ledger());
     * }</pre>
     *
     * @param rank the constant whose ordinal is the rank
     * @return this builder
     * @throws NullPointerException if {@code rank} is null
     */
    public final B rank(Enum<?> rank) {
        Objects.requireNonNull(rank, "rank");
        this.rank = rank.ordinal();
        this.rankName = rank.name();
        return self();
    }

    /**
     * Makes the lock take part in deadlock detection ({@link Deadlocks}): its acquisitions record who
     * holds it and who waits for it. Off by default (then it records nothing), unless
     * {@link Deadlocks#setEnabledByDefault detection is on for every lock}.
     *
     * @return this builder
     */
    public final B detectDeadlocks() {
        this.detectDeadlocks = true;
        return self();
    }

    final LockConfig config() {
        return new LockConfig(fairness, name, clock, handOffMeanNanos, longHoldNanos, statistics);
    }

    /** The diagnostic settings: {@code null} for the default (see {@link LockTracking#byDefault()}). */
    final LockTracking tracking() {
        return rank != LockTracking.UNRANKED || detectDeadlocks ? LockTracking.of(rank, rankName) : null;
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    private static long positiveNanos(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + d);
        }
        return Math.min(Timeouts.saturatedNanos(d), LockConfig.MAX_INTERVAL_NANOS);
    }
}
