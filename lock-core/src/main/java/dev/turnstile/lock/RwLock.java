package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.LockTracking;
import dev.turnstile.lock.park.RawLock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A reader-writer lock that guards a value: any number of readers, or one writer, plus at most one
 * <em>upgradable</em> reader that can turn into the writer without letting another writer in first.
 * Task-fair and fair on average, for platform and virtual threads.
 *
 * <pre>{@code
 * RwLock<Map<String, Integer>> prices = new RwLock<>(new HashMap<>());
 *
 * try (ReadGuard<Map<String, Integer>> r = prices.read()) {        // shared
 *     total += r.get().getOrDefault("tea", 0);
 * }
 * try (WriteGuard<Map<String, Integer>> w = prices.write()) {      // exclusive
 *     w.get().put("tea", 3);
 * }
 * int n = prices.withRead(Map::size);                              // allocation-free
 *
 * try (UpgradableGuard<Map<String, Integer>> u = prices.upgradableRead()) {
 *     if (!u.get().containsKey("tea")) {                           // read while others read too
 *         try (WriteGuard<Map<String, Integer>> w = u.upgrade()) { // waits only for current readers
 *             w.get().put("tea", 3);                               // nobody wrote in between
 *         }
 *     }
 * }
 * }</pre>
 *
 * <h2>Policy</h2>
 * <ul>
 *   <li><b>Writers are not starved.</b> A reader never takes the lock past a queued waiter: once a
 *       writer waits, new readers queue behind it, and the writer gets the lock when the readers
 *       already inside leave. A writer may barge past queued waiters like a {@link Mutex} arrival,
 *       under the lock's {@link Fairness} policy.</li>
 *   <li><b>Readers are not starved.</b> The fairness policy hands the lock to the longest waiter
 *       often enough (see {@link Fairness#EVENTUAL}); when that waiter is a reader, every reader queued
 *       before the next writer is admitted with it, in one step. Between hand-offs a release wakes the
 *       first queued reader, and each reader, once in, wakes the next: no read hold is handed to a
 *       thread that is not running, where it would keep writers out until the thread is scheduled.</li>
 *   <li><b>Upgradable read.</b> At most one at a time; it coexists with plain readers and excludes
 *       writers and other upgradable readers. {@link UpgradableGuard#upgrade()} waits only for the
 *       readers present when it is called: from then on new readers queue, and no writer can
 *       acquire in between, because the upgradable hold already excludes writers.</li>
 *   <li><b>Atomic downgrades.</b> {@link WriteGuard#downgrade()}, {@link WriteGuard#downgradeToUpgradable()}
 *       and {@link UpgradableGuard#downgrade()} change the state word in one step: no writer can
 *       acquire between the write and the read that follows it. Waiters that fit alongside the new
 *       hold (queued readers, after a write→read downgrade) are let in from the same step, as after a
 *       release.</li>
 * </ul>
 *
 * <h2>Recursive reads</h2>
 * <b>Not reentrant.</b> A thread that holds a read lock and calls {@link #read()} again deadlocks if
 * a writer queued in between: the writer waits for the first read to end, the second read waits
 * behind the writer, and the first read waits for the second (the deadlock parking_lot's and Tokio's
 * users keep reporting). A holder that must read again uses {@link #readRecursive()}, which takes a
 * read lock whenever no writer <em>holds</em> the lock, past queued writers; used by a thread that
 * holds no read lock, it can delay writers. Re-acquiring the write lock, or an upgradable read,
 * while holding one deadlocks as with every non-reentrant lock.
 *
 * <h2>Ownership, interrupts, timeouts</h2>
 * Each acquisition returns a guard that owns the hold, not the thread: a guard may be closed on any
 * thread, exactly once; every guard method throws {@link IllegalStateException} once the guard is
 * closed (or consumed by an upgrade or downgrade) and leaves the lock as it is. {@code read()},
 * {@code write()}, {@code upgradableRead()} and the timed {@code try…(Duration)} forms are not
 * interruptible and keep an interrupt received while waiting as the thread's interrupt status; the
 * {@code …Interruptibly()} forms throw {@link InterruptedException} and leave no trace in the queue.
 * A timed-out acquisition has left the queue too.
 *
 * <h2>Diagnostics</h2>
 * A thread holding the write lock is the lock's owner for the JVM's tools (thread dumps, the JVM's
 * deadlock detector), as with {@code ReentrantReadWriteLock}; readers, the upgradable reader and
 * asynchronous holders are no single thread's and are not shown there. A thread about to park,
 * without a timeout, on a lock whose write lock it holds is refused after 500 ms (or reported), as
 * {@link Deadlocks#setSelfDeadlockPolicy} says. Lock ranks and Turnstile's own deadlock detection, which see every kind of
 * hold and waiter, are opt-in per lock ({@link #builder()}).
 *
 * <h2>Memory</h2>
 * An unlocked {@code RwLock} is the owner thread field the JVM's tools read, a state word, the value
 * reference and references to shared configuration and diagnostic settings: 32 bytes with compressed
 * references, like a {@link Mutex}. The wait queue is allocated the first time the lock is contended.
 * Uncontended, an acquisition allocates nothing but its guard; {@link #withRead} and
 * {@link #withWrite} allocate nothing at all.
 *
 * @param <T> the type of the guarded value
 */
@SuppressWarnings("serial") // not serializable: see RawLock
public final class RwLock<T> extends RawLock {
    /*
     * Implementation: the state word.
     *
     * The lock is a RawLock (the shared parking core) over these bits of its int; the three top bits,
     * QUEUED ("someone is queued"), SIGNAL ("the head needs a release to act for it") and PROFILED
     * ("diagnostics record this lock"), belong to the core.
     *
     *   bit 31    30       29         28       27          26           25 … 0
     *   QUEUED    SIGNAL   PROFILED   WRITER   UPGRADING   UPGRADABLE   reader count (plain and recursive readers)
     *
     *   lock bits                          meaning
     *   0                                  unlocked
     *   n                                  n readers
     *   UPGRADABLE + n                     an upgradable reader and n plain readers
     *   UPGRADABLE | UPGRADING + n         the upgradable reader is upgrading and waits for the n readers
     *                                      to leave; new plain readers wait (recursive readers may enter)
     *   WRITER                             one writer (an upgrade that completed looks the same)
     *
     * Waiters ask for one of these modes: READ, READ_RECURSIVE, UPGRADABLE, WRITE, and UPGRADE (the
     * upgradable reader waiting for readers: it waits at the head of the queue, since every other
     * waiter is behind its hold anyway). Downgrades, and an upgrade that gives up, are "releases" of a
     * transition mode: the core publishes the new bits and acts for whoever now fits in the same step.
     * Uncontended, every acquisition and release is one compare-and-set (on a lock that is not
     * PROFILED: a profiled lock's fast paths fail on that bit and go through the core, which records).
     */
    static final int READERS_MASK = (1 << 26) - 1;
    static final int ONE_READER = 1;
    static final int UPGRADABLE = 1 << 26;
    static final int UPGRADING = 1 << 27;
    static final int WRITER = 1 << 28;

    // Waiter modes.
    static final int READ = 0;
    static final int READ_RECURSIVE = 1;
    static final int UPGRADABLE_READ = 2;
    static final int WRITE = 3;
    /** The upgradable reader becoming the writer once the readers have left. */
    static final int UPGRADE = 4;

    // Transition modes: "released" only, never waited for.
    static final int WRITE_TO_READ = 5;
    static final int WRITE_TO_UPGRADABLE = 6;
    static final int UPGRADABLE_TO_READ = 7;
    /** An upgrade that timed out: clear UPGRADING and let the readers it held back in. */
    static final int ABANDON_UPGRADE = 8;

    static {
        EagerInit.run(); // no virtual thread waits for a class initializer on its first contention
    }

    /** Guarded by this lock; visibility comes from the acquire/release ordering of the state word. */
    private T value;

    /**
     * A lock guarding {@code value} with the default settings.
     *
     * @param value the guarded value (may be null)
     */
    public RwLock(T value) {
        this(value, LockConfig.DEFAULT, null);
    }

    private RwLock(T value, LockConfig config, LockTracking tracking) {
        super(config, tracking);
        this.value = value;
    }

    /** {@return a builder for a lock with a fairness policy, name or clock of its own} */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- read

    /**
     * Acquires a read lock, waiting behind any queued writer. Not interruptible. Not reentrant: see
     * the class documentation, and {@link #readRecursive()}.
     *
     * @return the guard that owns the read lock until closed
     */
    public ReadGuard<T> read() {
        HeldLocks holds = threadAcquiring(READ);
        acquireRead();
        return new ReadGuard<>(this, recordHold(holds, READ));
    }

    /**
     * Acquires a read lock unless interrupted first.
     *
     * @return the guard that owns the read lock until closed
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public ReadGuard<T> readInterruptibly() throws InterruptedException {
        HeldLocks holds = threadAcquiring(READ);
        acquireInterruptibly(READ);
        return new ReadGuard<>(this, recordHold(holds, READ));
    }

    /**
     * Acquires a read lock only if that needs no waiting: no writer holds the lock, no upgrade is
     * under way, and nobody is queued (a waiting writer is not overtaken, even by a {@code try}).
     *
     * @return the guard that owns the read lock until closed, or empty if that needs waiting
     */
    public Optional<ReadGuard<T>> tryRead() {
        HeldLocks holds = threadAcquiring(READ);
        return tryAcquire(READ, false) ? Optional.of(new ReadGuard<>(this, recordHold(holds, READ))) : Optional.empty();
    }

    /**
     * Acquires a read lock if it becomes available within {@code timeout}. Not interruptible; on
     * timeout the waiter has left the queue. A zero or negative timeout makes one attempt (never an
     * error, as in {@code java.util.concurrent}).
     *
     * @param timeout the longest wait
     * @return the guard, or empty if the timeout elapsed first
     * @throws NullPointerException if {@code timeout} is null
     */
    public Optional<ReadGuard<T>> tryRead(Duration timeout) {
        return tryReadNanos(READ, Timeouts.waitNanos(timeout));
    }

    /**
     * Acquires a read lock if it becomes available before {@code deadline}, a wall-clock instant
     * read once, on entry. A deadline that has passed makes one attempt.
     *
     * @param deadline when to give up
     * @return the guard, or empty if the deadline passed first
     * @throws NullPointerException if {@code deadline} is null
     */
    public Optional<ReadGuard<T>> tryRead(Instant deadline) {
        return tryReadNanos(READ, Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private Optional<ReadGuard<T>> tryReadNanos(int mode, long nanos) {
        HeldLocks holds = threadAcquiring(mode);
        return acquireBlocking(mode, false, nanos) == ACQUIRED
                ? Optional.of(new ReadGuard<>(this, recordHold(holds, READ))) : Optional.empty();
    }

    /**
     * Acquires a read lock for a caller that already holds one: it enters whenever no writer holds
     * the lock, even past a queued writer or a pending upgrade, so a nested read cannot deadlock
     * (see the class documentation). Not interruptible. It does not check that the caller holds a
     * read lock; a caller that does not may delay queued writers.
     *
     * @return the guard that owns this read hold until closed
     */
    public ReadGuard<T> readRecursive() {
        HeldLocks holds = threadAcquiring(READ_RECURSIVE);
        acquireReadRecursive();
        return new ReadGuard<>(this, recordHold(holds, READ));
    }

    /**
     * {@link #readRecursive()} unless interrupted first.
     *
     * @return the guard that owns the read lock until closed
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public ReadGuard<T> readRecursiveInterruptibly() throws InterruptedException {
        HeldLocks holds = threadAcquiring(READ_RECURSIVE);
        acquireInterruptibly(READ_RECURSIVE);
        return new ReadGuard<>(this, recordHold(holds, READ));
    }

    /**
     * {@link #readRecursive()} only if no writer holds the lock now (queued writers and a pending
     * upgrade are passed, as by {@code readRecursive()}).
     *
     * @return the guard, or empty if a writer holds the lock
     */
    public Optional<ReadGuard<T>> tryReadRecursive() {
        HeldLocks holds = threadAcquiring(READ_RECURSIVE);
        return tryAcquire(READ_RECURSIVE, true)
                ? Optional.of(new ReadGuard<>(this, recordHold(holds, READ))) : Optional.empty();
    }

    /**
     * {@link #readRecursive()} if no writer holds the lock within {@code timeout}. Not interruptible;
     * a zero or negative timeout makes one attempt.
     *
     * @param timeout the longest wait
     * @return the guard, or empty if the timeout elapsed first
     * @throws NullPointerException if {@code timeout} is null
     */
    public Optional<ReadGuard<T>> tryReadRecursive(Duration timeout) {
        return tryReadNanos(READ_RECURSIVE, Timeouts.waitNanos(timeout));
    }

    /**
     * {@link #readRecursive()} if no writer holds the lock before {@code deadline} (a wall-clock
     * instant read once, on entry; one attempt if it has passed).
     *
     * @param deadline when to give up
     * @return the guard, or empty if the deadline passed first
     * @throws NullPointerException if {@code deadline} is null
     */
    public Optional<ReadGuard<T>> tryReadRecursive(Instant deadline) {
        return tryReadNanos(READ_RECURSIVE, Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    /**
     * Runs {@code action} on the value under a read lock and returns its result. Allocates nothing
     * when the lock is uncontended.
     *
     * @param action reads the value (other readers may read it at the same time)
     * @param <R>    the type of the result
     * @return what {@code action} returned
     * @throws NullPointerException if {@code action} is null
     */
    public <R> R withRead(Function<? super T, ? extends R> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(READ);
        acquireRead();
        holds = recordHold(holds, READ);
        try {
            return action.apply(value);
        } finally {
            releaseRead(holds);
        }
    }

    /**
     * Runs {@code action} on the value under a read lock: the form of {@link #withRead} for actions
     * that return nothing (named apart for the reason given at {@link Mutex#withLockDo}). Allocates
     * nothing when the lock is uncontended.
     *
     * @param action what to do with the value; it must only read it
     * @throws NullPointerException if {@code action} is null
     */
    public void withReadDo(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(READ);
        acquireRead();
        holds = recordHold(holds, READ);
        try {
            action.accept(value);
        } finally {
            releaseRead(holds);
        }
    }

    // ---------------------------------------------------------------- write

    /**
     * Acquires the write lock, waiting for every reader and writer to leave. Not interruptible.
     *
     * @return the guard that owns the write lock until closed
     */
    public WriteGuard<T> write() {
        HeldLocks holds = threadAcquiring(WRITE);
        acquireWrite();
        return new WriteGuard<>(this, recordHold(holds, WRITE));
    }

    /**
     * Acquires the write lock unless interrupted first.
     *
     * @return the guard that owns the write lock until closed
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public WriteGuard<T> writeInterruptibly() throws InterruptedException {
        HeldLocks holds = threadAcquiring(WRITE);
        acquireInterruptibly(WRITE);
        return new WriteGuard<>(this, recordHold(holds, WRITE));
    }

    /**
     * Acquires the write lock only if it is free now. Like {@code ReentrantLock.tryLock()}, this takes
     * a free lock even when others are queued, whatever the fairness policy.
     *
     * @return the guard that owns the write lock until closed, or empty if the lock is held
     */
    public Optional<WriteGuard<T>> tryWrite() {
        HeldLocks holds = threadAcquiring(WRITE);
        return tryAcquireBarging(WRITE) ? Optional.of(new WriteGuard<>(this, recordHold(holds, WRITE))) : Optional.empty();
    }

    /**
     * Acquires the write lock if it becomes available within {@code timeout}. Not interruptible; on
     * timeout the waiter has left the queue (and readers it held back are admitted). A zero or
     * negative timeout makes one attempt.
     *
     * @param timeout the longest wait
     * @return the guard, or empty if the timeout elapsed first
     * @throws NullPointerException if {@code timeout} is null
     */
    public Optional<WriteGuard<T>> tryWrite(Duration timeout) {
        return tryWriteNanos(Timeouts.waitNanos(timeout));
    }

    /**
     * Acquires the write lock if it becomes available before {@code deadline}, a wall-clock instant
     * read once, on entry. A deadline that has passed makes one attempt.
     *
     * @param deadline when to give up
     * @return the guard, or empty if the deadline passed first
     * @throws NullPointerException if {@code deadline} is null
     */
    public Optional<WriteGuard<T>> tryWrite(Instant deadline) {
        return tryWriteNanos(Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private Optional<WriteGuard<T>> tryWriteNanos(long nanos) {
        HeldLocks holds = threadAcquiring(WRITE);
        return acquireBlocking(WRITE, false, nanos) == ACQUIRED
                ? Optional.of(new WriteGuard<>(this, recordHold(holds, WRITE))) : Optional.empty();
    }

    /**
     * Runs {@code action} on the value under the write lock and returns its result. Allocates
     * nothing when the lock is uncontended.
     *
     * @param action reads or changes the value; it must not let the value escape if it is mutable
     * @param <R>    the type of the result
     * @return what {@code action} returned
     * @throws NullPointerException if {@code action} is null
     */
    public <R> R withWrite(Function<? super T, ? extends R> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(WRITE);
        acquireWrite();
        holds = recordHold(holds, WRITE);
        try {
            return action.apply(value);
        } finally {
            releaseWrite(false, holds);
        }
    }

    /**
     * Runs {@code action} on the value under the write lock: the form of {@link #withWrite} for
     * actions that return nothing, such as {@code cache.withWriteDo(Map::clear)}. Allocates nothing
     * when the lock is uncontended.
     *
     * @param action what to do with the value
     * @throws NullPointerException if {@code action} is null
     */
    public void withWriteDo(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(WRITE);
        acquireWrite();
        holds = recordHold(holds, WRITE);
        try {
            action.accept(value);
        } finally {
            releaseWrite(false, holds);
        }
    }

    /**
     * Replaces the value with {@code update.apply(value)} under the write lock and returns the new
     * value. Allocates nothing of its own when the lock is uncontended.
     *
     * @param update computes the new value from the current one
     * @return the new value
     * @throws NullPointerException if {@code update} is null
     */
    public T update(UnaryOperator<T> update) {
        Objects.requireNonNull(update, "update");
        HeldLocks holds = threadAcquiring(WRITE);
        acquireWrite();
        holds = recordHold(holds, WRITE);
        try {
            T next = update.apply(value);
            value = next;
            return next;
        } finally {
            releaseWrite(false, holds);
        }
    }

    // ---------------------------------------------------------------- upgradable read

    /**
     * Acquires the upgradable read lock: shared with plain readers, exclusive against writers and
     * other upgradable readers. Waits behind queued waiters like a reader. Not interruptible.
     *
     * @return the guard that owns the upgradable read lock until closed, upgraded or downgraded
     */
    public UpgradableGuard<T> upgradableRead() {
        HeldLocks holds = threadAcquiring(UPGRADABLE_READ);
        if (!tryAcquire(UPGRADABLE_READ, false)) {
            acquireBlocking(UPGRADABLE_READ, false, -1L);
        }
        return new UpgradableGuard<>(this, recordHold(holds, UPGRADABLE_READ));
    }

    /**
     * Acquires the upgradable read lock unless interrupted first.
     *
     * @return the guard that owns the upgradable read lock until closed, upgraded or downgraded
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public UpgradableGuard<T> upgradableReadInterruptibly() throws InterruptedException {
        HeldLocks holds = threadAcquiring(UPGRADABLE_READ);
        acquireInterruptibly(UPGRADABLE_READ);
        return new UpgradableGuard<>(this, recordHold(holds, UPGRADABLE_READ));
    }

    /**
     * Acquires the upgradable read lock only if that needs no waiting (see {@link #tryRead()}).
     *
     * @return the guard that owns the upgradable read lock, or empty if that needs waiting
     */
    public Optional<UpgradableGuard<T>> tryUpgradableRead() {
        HeldLocks holds = threadAcquiring(UPGRADABLE_READ);
        return tryAcquire(UPGRADABLE_READ, false)
                ? Optional.of(new UpgradableGuard<>(this, recordHold(holds, UPGRADABLE_READ))) : Optional.empty();
    }

    /**
     * Acquires the upgradable read lock if it becomes available within {@code timeout}. Not
     * interruptible; on timeout the waiter has left the queue. A zero or negative timeout makes one
     * attempt.
     *
     * @param timeout the longest wait
     * @return the guard, or empty if the timeout elapsed first
     * @throws NullPointerException if {@code timeout} is null
     */
    public Optional<UpgradableGuard<T>> tryUpgradableRead(Duration timeout) {
        return tryUpgradableReadNanos(Timeouts.waitNanos(timeout));
    }

    /**
     * Acquires the upgradable read lock if it becomes available before {@code deadline}, a
     * wall-clock instant read once, on entry. A deadline that has passed makes one attempt.
     *
     * @param deadline when to give up
     * @return the guard, or empty if the deadline passed first
     * @throws NullPointerException if {@code deadline} is null
     */
    public Optional<UpgradableGuard<T>> tryUpgradableRead(Instant deadline) {
        return tryUpgradableReadNanos(Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private Optional<UpgradableGuard<T>> tryUpgradableReadNanos(long nanos) {
        HeldLocks holds = threadAcquiring(UPGRADABLE_READ);
        return acquireBlocking(UPGRADABLE_READ, false, nanos) == ACQUIRED
                ? Optional.of(new UpgradableGuard<>(this, recordHold(holds, UPGRADABLE_READ))) : Optional.empty();
    }

    // ---------------------------------------------------------------- asynchronous API
    //
    // Asynchronous acquisitions wait in the same queue, under the same policy, as blocking and
    // virtual-thread waiters; no thread waits. Where continuations run, and what cancelling or
    // completing a returned future does, are as for Mutex.lockAsync(): see there.

    /**
     * Acquires a read lock without blocking any thread, under the same policy as {@link #read()}
     * (behind any queued writer). The future completes with the guard once the read lock is granted,
     * on the granting thread through the per-thread trampoline (before this method returns if it is
     * free now). Cancelling or completing the future withdraws the waiter; a grant that lost the
     * race is released when it arrives (see {@link Mutex#lockAsync()}).
     *
     * @return a future of the guard that owns the read lock until closed
     */
    public CompletableFuture<ReadGuard<T>> readAsync() {
        return submit(new LockFuture<>(RwAcquisition.<T>reads(), null));
    }

    /**
     * As {@link #readAsync()}, completing the future on {@code executor}.
     *
     * @param executor runs the future's completion
     * @return a future of the guard that owns the read lock until closed
     * @throws NullPointerException if {@code executor} is null
     */
    public CompletableFuture<ReadGuard<T>> readAsync(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return submit(new LockFuture<>(RwAcquisition.<T>reads(), executor));
    }

    /**
     * Acquires the write lock without blocking any thread, under the same policy as {@link #write()}.
     * Completion and cancellation as for {@link #readAsync()}.
     *
     * @return a future of the guard that owns the write lock until closed
     */
    public CompletableFuture<WriteGuard<T>> writeAsync() {
        return submit(new LockFuture<>(RwAcquisition.<T>writes(), null));
    }

    /**
     * As {@link #writeAsync()}, completing the future on {@code executor}.
     *
     * @param executor runs the future's completion
     * @return a future of the guard that owns the write lock until closed
     * @throws NullPointerException if {@code executor} is null
     */
    public CompletableFuture<WriteGuard<T>> writeAsync(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return submit(new LockFuture<>(RwAcquisition.<T>writes(), executor));
    }

    /**
     * Acquires the upgradable read lock without blocking any thread, under the same policy as
     * {@link #upgradableRead()}. Completion and cancellation as for {@link #readAsync()}; the guard
     * can later be upgraded without blocking with {@link UpgradableGuard#upgradeAsync()}.
     *
     * @return a future of the guard that owns the upgradable read lock
     */
    public CompletableFuture<UpgradableGuard<T>> upgradableReadAsync() {
        return submit(new LockFuture<>(RwAcquisition.<T>upgradableReads(), null));
    }

    /**
     * As {@link #upgradableReadAsync()}, completing the future on {@code executor}.
     *
     * @param executor runs the future's completion
     * @return a future of the guard that owns the upgradable read lock
     * @throws NullPointerException if {@code executor} is null
     */
    public CompletableFuture<UpgradableGuard<T>> upgradableReadAsync(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return submit(new LockFuture<>(RwAcquisition.<T>upgradableReads(), executor));
    }

    // ---- timed

    /**
     * Acquires a read lock without blocking any thread if it is granted within {@code timeout};
     * otherwise the waiter leaves the queue as the timeout passes and the future fails with a
     * {@link LockTimeoutException}. A zero or negative timeout makes one attempt, and the future is
     * complete when this returns (inside a grant's delivery, once the callback running now returns,
     * as {@link Mutex#tryLockAsync(Duration)} says). Timer, completion and cancellation as for
     * {@link Mutex#tryLockAsync(Duration)}.
     *
     * @param timeout the longest wait
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} is null
     */
    public CompletableFuture<ReadGuard<T>> tryReadAsync(Duration timeout) {
        return submitTimed(RwAcquisition.<T>reads(), timeout, null);
    }

    /**
     * As {@link #tryReadAsync(Duration)}, completing the future on {@code executor}.
     *
     * @param timeout  the longest wait
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} or {@code executor} is null
     */
    public CompletableFuture<ReadGuard<T>> tryReadAsync(Duration timeout, Executor executor) {
        return submitTimed(RwAcquisition.<T>reads(), timeout, Objects.requireNonNull(executor, "executor"));
    }

    /**
     * As {@link #tryReadAsync(Duration)}, with a wall-clock deadline read once, on entry.
     *
     * @param deadline when to give up
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} is null
     */
    public CompletableFuture<ReadGuard<T>> tryReadAsync(Instant deadline) {
        return tryReadAsync(Timeouts.until(deadline));
    }

    /**
     * As {@link #tryReadAsync(Instant)}, completing the future on {@code executor}.
     *
     * @param deadline when to give up
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} or {@code executor} is null
     */
    public CompletableFuture<ReadGuard<T>> tryReadAsync(Instant deadline, Executor executor) {
        return tryReadAsync(Timeouts.until(deadline), executor);
    }

    /**
     * Acquires the write lock without blocking any thread if it is granted within {@code timeout},
     * as {@link #tryReadAsync(Duration)} does a read lock. A writer that times out leaves the queue,
     * and the readers it held back are admitted.
     *
     * @param timeout the longest wait
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} is null
     */
    public CompletableFuture<WriteGuard<T>> tryWriteAsync(Duration timeout) {
        return submitTimed(RwAcquisition.<T>writes(), timeout, null);
    }

    /**
     * As {@link #tryWriteAsync(Duration)}, completing the future on {@code executor}.
     *
     * @param timeout  the longest wait
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} or {@code executor} is null
     */
    public CompletableFuture<WriteGuard<T>> tryWriteAsync(Duration timeout, Executor executor) {
        return submitTimed(RwAcquisition.<T>writes(), timeout, Objects.requireNonNull(executor, "executor"));
    }

    /**
     * As {@link #tryWriteAsync(Duration)}, with a wall-clock deadline read once, on entry.
     *
     * @param deadline when to give up
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} is null
     */
    public CompletableFuture<WriteGuard<T>> tryWriteAsync(Instant deadline) {
        return tryWriteAsync(Timeouts.until(deadline));
    }

    /**
     * As {@link #tryWriteAsync(Instant)}, completing the future on {@code executor}.
     *
     * @param deadline when to give up
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} or {@code executor} is null
     */
    public CompletableFuture<WriteGuard<T>> tryWriteAsync(Instant deadline, Executor executor) {
        return tryWriteAsync(Timeouts.until(deadline), executor);
    }

    /**
     * Acquires the upgradable read lock without blocking any thread if it is granted within
     * {@code timeout}, as {@link #tryReadAsync(Duration)} does a read lock.
     *
     * @param timeout the longest wait
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} is null
     */
    public CompletableFuture<UpgradableGuard<T>> tryUpgradableReadAsync(Duration timeout) {
        return submitTimed(RwAcquisition.<T>upgradableReads(), timeout, null);
    }

    /**
     * As {@link #tryUpgradableReadAsync(Duration)}, completing the future on {@code executor}.
     *
     * @param timeout  the longest wait
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} or {@code executor} is null
     */
    public CompletableFuture<UpgradableGuard<T>> tryUpgradableReadAsync(Duration timeout, Executor executor) {
        return submitTimed(RwAcquisition.<T>upgradableReads(), timeout, Objects.requireNonNull(executor, "executor"));
    }

    /**
     * As {@link #tryUpgradableReadAsync(Duration)}, with a wall-clock deadline read once, on entry.
     *
     * @param deadline when to give up
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} is null
     */
    public CompletableFuture<UpgradableGuard<T>> tryUpgradableReadAsync(Instant deadline) {
        return tryUpgradableReadAsync(Timeouts.until(deadline));
    }

    /**
     * As {@link #tryUpgradableReadAsync(Instant)}, completing the future on {@code executor}.
     *
     * @param deadline when to give up
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} or {@code executor} is null
     */
    public CompletableFuture<UpgradableGuard<T>> tryUpgradableReadAsync(Instant deadline, Executor executor) {
        return tryUpgradableReadAsync(Timeouts.until(deadline), executor);
    }

    // ---- scoped

    /**
     * Acquires a read lock without blocking, runs {@code body} with the guard, and releases the read
     * lock when the stage {@code body} returns completes, or when {@code body} throws or returns
     * {@code null}. Cancelling the returned future withdraws a queued acquisition but never releases
     * under a running body (exactly as {@link Mutex#withLockAsync(Function)} does for a mutex).
     *
     * @param body what to run under the read lock; the guard must not escape it
     * @param <R>  the body's result type
     * @return a future of the body's result
     * @throws NullPointerException if {@code body} is null
     */
    public <R> CompletableFuture<R> withReadAsync(Function<? super ReadGuard<T>, ? extends CompletionStage<R>> body) {
        Objects.requireNonNull(body, "body");
        return submitScoped(new ScopedLockFuture<>(RwAcquisition.<T>reads(), null, body));
    }

    /**
     * As {@link #withReadAsync(Function)}, running {@code body} on {@code executor}.
     *
     * @param body     what to run under the read lock; the guard must not escape it
     * @param executor where {@code body} runs
     * @param <R>      the body's result type
     * @return a future of the body's result
     * @throws NullPointerException if {@code body} or {@code executor} is null
     */
    public <R> CompletableFuture<R> withReadAsync(Function<? super ReadGuard<T>, ? extends CompletionStage<R>> body,
                                                  Executor executor) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(executor, "executor");
        return submitScoped(new ScopedLockFuture<>(RwAcquisition.<T>reads(), executor, body));
    }

    /**
     * As {@link #withReadAsync(Function)}, under the write lock.
     *
     * @param body what to run under the write lock; the guard must not escape it
     * @param <R>  the body's result type
     * @return a future of the body's result
     * @throws NullPointerException if {@code body} is null
     */
    public <R> CompletableFuture<R> withWriteAsync(Function<? super WriteGuard<T>, ? extends CompletionStage<R>> body) {
        Objects.requireNonNull(body, "body");
        return submitScoped(new ScopedLockFuture<>(RwAcquisition.<T>writes(), null, body));
    }

    /**
     * As {@link #withWriteAsync(Function)}, running {@code body} on {@code executor}.
     *
     * @param body     what to run under the write lock; the guard must not escape it
     * @param executor where {@code body} runs
     * @param <R>      the body's result type
     * @return a future of the body's result
     * @throws NullPointerException if {@code body} or {@code executor} is null
     */
    public <R> CompletableFuture<R> withWriteAsync(Function<? super WriteGuard<T>, ? extends CompletionStage<R>> body,
                                                   Executor executor) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(executor, "executor");
        return submitScoped(new ScopedLockFuture<>(RwAcquisition.<T>writes(), executor, body));
    }

    /**
     * As {@link #readAsync()}, for the asynchronous task {@code owner}: the hold counts as the owner's
     * for lock ranks and deadlock detection (see {@link Mutex#lockAsync(LockOwner)}). On a ranked lock
     * that the owner may not acquire now, the future fails at once with
     * {@link LockOrderViolationException} and nothing is queued.
     *
     * @param owner the task acquiring
     * @return a future of the guard
     * @throws NullPointerException if {@code owner} is null
     */
    public CompletableFuture<ReadGuard<T>> readAsync(LockOwner owner) {
        return submitOwned(new LockFuture<>(RwAcquisition.<T>reads(), null), READ, owner);
    }

    /**
     * As {@link #writeAsync()}, for the asynchronous task {@code owner} (see {@link #readAsync(LockOwner)}).
     *
     * @param owner the task acquiring
     * @return a future of the guard
     * @throws NullPointerException if {@code owner} is null
     */
    public CompletableFuture<WriteGuard<T>> writeAsync(LockOwner owner) {
        return submitOwned(new LockFuture<>(RwAcquisition.<T>writes(), null), WRITE, owner);
    }

    /**
     * As {@link #upgradableReadAsync()}, for the asynchronous task {@code owner} (see
     * {@link #readAsync(LockOwner)}). An upgrade of the guard counts for the same owner.
     *
     * @param owner the task acquiring
     * @return a future of the guard
     * @throws NullPointerException if {@code owner} is null
     */
    public CompletableFuture<UpgradableGuard<T>> upgradableReadAsync(LockOwner owner) {
        return submitOwned(new LockFuture<>(RwAcquisition.<T>upgradableReads(), null), UPGRADABLE_READ, owner);
    }

    /**
     * The callback level of {@link #readAsync(LockOwner)} (see {@link LockCallback}); what the
     * Reactor and Vert.x adapters call with the owner they find in their context.
     *
     * @param callback receives the guard
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param owner    the task acquiring, or {@code null} for an anonymous acquisition
     * @return the pending acquisition
     * @throws NullPointerException        if {@code callback} is null
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now;
     *                                     nothing was queued and the callback never runs
     */
    public PendingLock readAsync(LockCallback<? super ReadGuard<T>> callback, Executor executor, LockOwner owner) {
        return submitNode(new RwAcquisition.Read<T>(executor, Objects.requireNonNull(callback, "callback")), READ, owner);
    }

    /**
     * The callback level of {@link #writeAsync(LockOwner)}; see {@link #readAsync(LockCallback, Executor, LockOwner)}.
     *
     * @param callback receives the guard
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param owner    the task acquiring, or {@code null} for an anonymous acquisition
     * @return the pending acquisition
     * @throws NullPointerException        if {@code callback} is null
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now
     */
    public PendingLock writeAsync(LockCallback<? super WriteGuard<T>> callback, Executor executor, LockOwner owner) {
        return submitNode(new RwAcquisition.Write<T>(executor, Objects.requireNonNull(callback, "callback")), WRITE, owner);
    }

    /**
     * The callback level of {@link #upgradableReadAsync(LockOwner)}; see
     * {@link #readAsync(LockCallback, Executor, LockOwner)}.
     *
     * @param callback receives the guard
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param owner    the task acquiring, or {@code null} for an anonymous acquisition
     * @return the pending acquisition
     * @throws NullPointerException        if {@code callback} is null
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now
     */
    public PendingLock upgradableReadAsync(LockCallback<? super UpgradableGuard<T>> callback, Executor executor,
                                           LockOwner owner) {
        return submitNode(new RwAcquisition.Upgradable<T>(executor, Objects.requireNonNull(callback, "callback")),
                UPGRADABLE_READ, owner);
    }

    /**
     * The part of {@link #readAsync(LockCallback, Executor, LockOwner)} that needs no callback, as
     * {@link Mutex#lockIfFree} is for a mutex: takes a read hold now, for an asynchronous acquirer,
     * when that needs no waiting and nobody is queued (no writer holds the lock, no upgrade is under
     * way, no waiter of any kind is queued, so a queued writer is never overtaken, whatever the
     * fairness policy) and no grant delivery is running on this thread (so release chains stay flat);
     * otherwise it changes nothing. The guard belongs to {@code owner}, as a grant of the callback
     * form would, and no thread owns the hold. Hand it to a callback with {@link LockCallback#deliver}.
     *
     * @param owner the task acquiring, or {@code null} for an anonymous acquisition
     * @return the guard, or {@code null} if the read lock cannot be taken at once
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now
     *                                     (checked first; nothing was taken)
     */
    public ReadGuard<T> readIfFree(LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, READ);
        return takeIfFree(READ) ? new ReadGuard<>(this, recordHold(holds, READ)) : null;
    }

    /**
     * The write-lock form of {@link #readIfFree}: takes the write lock now, for an asynchronous
     * acquirer, when it is free (no reader, writer or upgradable reader), nobody is queued, and no
     * grant delivery is running on this thread; otherwise changes nothing.
     *
     * @param owner the task acquiring, or {@code null} for an anonymous acquisition
     * @return the guard, or {@code null} if the write lock cannot be taken at once
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now
     *                                     (checked first; nothing was taken)
     */
    public WriteGuard<T> writeIfFree(LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, WRITE);
        return takeIfFree(WRITE) ? new WriteGuard<>(this, recordHold(holds, WRITE)) : null;
    }

    /**
     * The upgradable-read form of {@link #readIfFree}: takes the upgradable read hold now, for an
     * asynchronous acquirer, when no writer or other upgradable reader holds the lock, nobody is
     * queued, and no grant delivery is running on this thread; otherwise changes nothing.
     *
     * @param owner the task acquiring, or {@code null} for an anonymous acquisition
     * @return the guard, or {@code null} if the upgradable read hold cannot be taken at once
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked lock now
     *                                     (checked first; nothing was taken)
     */
    public UpgradableGuard<T> upgradableReadIfFree(LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, UPGRADABLE_READ);
        return takeIfFree(UPGRADABLE_READ) ? new UpgradableGuard<>(this, recordHold(holds, UPGRADABLE_READ)) : null;
    }

    /**
     * The asynchronous fast path of every mode: one attempt that never passes a queued waiter, outside
     * any grant delivery (a profiled lock's attempt is recorded, as the callback forms' is).
     */
    private boolean takeIfFree(int mode) {
        return !isDeliveringGrants() && tryAcquire(mode, false);
    }

    /**
     * Acquires a read lock without a future: {@code callback} receives the guard (see
     * {@link LockCallback} and {@link Mutex#lockAsync(LockCallback, Executor)}).
     *
     * @param callback receives the guard once the read lock is granted
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @return the handle through which the acquisition can be withdrawn
     * @throws NullPointerException if {@code callback} is null
     */
    public PendingLock readAsync(LockCallback<? super ReadGuard<T>> callback, Executor executor) {
        return submitNode(new RwAcquisition.Read<T>(executor, Objects.requireNonNull(callback, "callback")));
    }

    /**
     * Acquires the write lock without a future: {@code callback} receives the guard (see
     * {@link LockCallback}).
     *
     * @param callback receives the guard once the write lock is granted
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @return the handle through which the acquisition can be withdrawn
     * @throws NullPointerException if {@code callback} is null
     */
    public PendingLock writeAsync(LockCallback<? super WriteGuard<T>> callback, Executor executor) {
        return submitNode(new RwAcquisition.Write<T>(executor, Objects.requireNonNull(callback, "callback")));
    }

    /**
     * Acquires the upgradable read lock without a future: {@code callback} receives the guard (see
     * {@link LockCallback}).
     *
     * @param callback receives the guard once the upgradable read lock is granted
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @return the handle through which the acquisition can be withdrawn
     * @throws NullPointerException if {@code callback} is null
     */
    public PendingLock upgradableReadAsync(LockCallback<? super UpgradableGuard<T>> callback, Executor executor) {
        return submitNode(new RwAcquisition.Upgradable<T>(executor, Objects.requireNonNull(callback, "callback")));
    }

    /** {@link UpgradableGuard#upgradeAsync()}, the guard's hold already lent. */
    CompletableFuture<WriteGuard<T>> upgradeAsync(UpgradableGuard<T> from) {
        if (tryAcquire(UPGRADE, true)) {
            from.handedOver();
            return LockFuture.granted(new WriteGuard<>(this, upgraded(from.holds()))); // no plain reader inside
        }
        markUpgrading();
        return submit(new LockFuture<>((executor, callback) -> new RwAcquisition.Upgrade<>(from, executor, callback), null));
    }

    /** {@link UpgradableGuard#upgradeAsync(LockCallback, Executor)}, the guard's hold already lent. */
    PendingLock upgradeAsync(UpgradableGuard<T> from, LockCallback<? super WriteGuard<T>> callback, Executor executor) {
        markUpgrading();
        return submitNode(new RwAcquisition.Upgrade<>(from, executor, callback));
    }

    /** Keeps new plain readers out from now on; only the upgradable holder calls this. */
    private void markUpgrading() {
        for (int s = state(); !casState(s, s | UPGRADING); s = state()) {
            // readers and the core's bits may move meanwhile
        }
    }

    private PendingLock submitNode(RwAcquisition<?> node) {
        acquireAsync(node);
        return node;
    }

    /** A callback-level acquisition that counts for {@code owner} (may be null): rank check first. */
    private PendingLock submitNode(RwAcquisition<?> node, int mode, LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, mode);
        node.ownedBy(holds);
        recordTaskWait(holds, node);
        acquireAsync(node);
        return node;
    }

    /** A future-level acquisition that counts for {@code owner}: fails with the rank violation, if any. */
    private <G> CompletableFuture<G> submitOwned(LockFuture<G> view, int mode, LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(Objects.requireNonNull(owner, "owner"));
        try {
            taskAcquiring(holds, mode);
        } catch (LockOrderViolationException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        view.acquisition.ownedBy(holds);
        recordTaskWait(holds, view.acquisition);
        return submit(view);
    }

    private <G> LockFuture<G> submit(LockFuture<G> view) {
        acquireAsync(view.acquisition);
        view.submitted();
        return view;
    }

    private <G> LockFuture<G> submitTimed(Acquisition.Factory<G> nodes, Duration timeout, Executor executor) {
        long nanos = Timeouts.waitNanos(timeout);
        LockFuture.Timed<G> view = new LockFuture.Timed<>(nodes, executor);
        submit(view);
        view.arm(nanos, Timeouts.nonNegative(timeout), name(), executor);
        return view;
    }

    private <G, R> ScopedLockFuture<G, R> submitScoped(ScopedLockFuture<G, R> scope) {
        acquireAsync(scope.acquisition);
        scope.submitted();
        return scope;
    }

    // ---------------------------------------------------------------- views and introspection

    /**
     * A {@link ReadWriteLock} view for code that expects thread-owned locks. Through the view the
     * j.u.c rules apply: the thread that locked must unlock ({@link IllegalMonitorStateException}
     * otherwise). A thread that already holds the view's read lock and locks it again gets a
     * recursive read ({@link #readRecursive()}), so nested reads through the view do not deadlock;
     * the write lock is not reentrant, and taking the read lock while holding the write lock throws
     * {@link IllegalStateException} (downgrade through {@link WriteGuard#downgrade()} instead).
     * Conditions are not supported. The view is created once per lock and returned by every call.
     *
     * @return the {@link ReadWriteLock} view of this lock
     */
    public ReadWriteLock asReadWriteLock() {
        return attachment(RwLock::newView);
    }

    private static RwLockView newView(RawLock lock) {
        return new RwLockView((RwLock<?>) lock);
    }

    /**
     * Whether a writer holds the lock right now. Like every method below, a snapshot for monitoring
     * and tests: it may have changed by the time the caller looks at it.
     *
     * @return {@code true} if the write hold is taken (an upgrade that completed included)
     */
    public boolean isWriteLocked() {
        return (state() & WRITER) != 0;
    }

    /**
     * The number of read holds right now, the upgradable one included, as
     * {@code ReentrantReadWriteLock.getReadLockCount()}.
     *
     * @return plain, recursive and upgradable read holds
     */
    public int readHolds() {
        int s = state();
        return (s & READERS_MASK) + ((s & UPGRADABLE) != 0 ? 1 : 0);
    }

    /**
     * Whether an upgradable reader holds the lock right now.
     *
     * @return {@code true} if the upgradable read hold is taken
     */
    public boolean isUpgradableLocked() {
        return (state() & UPGRADABLE) != 0;
    }

    /**
     * How many acquisitions (readers, writers, upgrades; threads and asynchronous waiters alike)
     * are queued right now, as {@code ReentrantReadWriteLock.getQueueLength()}: exact while nothing
     * moves, an estimate otherwise.
     *
     * @return the number of queued waiters
     */
    @Override
    public int queueLength() {
        return super.queueLength();
    }

    /**
     * Whether any acquisition is queued right now, as {@code ReentrantReadWriteLock.hasQueuedThreads()}.
     *
     * @return {@code true} if at least one waiter is queued
     */
    @Override
    public boolean hasQueuedWaiters() {
        return super.hasQueuedWaiters();
    }

    /**
     * The fairness policy the lock was built with ({@link Fairness#EVENTUAL} unless
     * {@link #builder()} said otherwise).
     *
     * @return the policy
     */
    public Fairness fairness() {
        return config().fairness();
    }

    /**
     * The name given to the builder, which diagnostics and exception messages show.
     *
     * @return the name, or {@code null} if the lock has none
     */
    public String name() {
        return config().name();
    }

    /**
     * A snapshot of this lock's statistics: acquisitions in every mode, contended acquisitions, wait
     * times, write-hold times (read holds are counted, not timed), the longest queue. Only a lock built
     * with {@link LockBuilder#statistics(boolean) statistics(true)} (or under the system property
     * {@code dev.turnstile.lock.statistics=true}) keeps them.
     *
     * @return the snapshot, or empty if this lock keeps no statistics
     */
    public Optional<LockStatistics> statistics() {
        return Optional.ofNullable(statisticsSnapshot());
    }

    /**
     * {@return the lock's name (if any) and the identity hash that thread dumps print for it, then its
     * holders and how many wait: for example
     * {@code RwLock[prices]@4e25154f(write-locked by "worker-2", 3 waiting)}}
     */
    @Override
    public String toString() {
        String what;
        if (isWriteLocked()) {
            Thread owner = ownerThread();
            what = "write-locked" + (owner != null ? " by \"" + owner.getName() + "\"" : "");
        } else if (readHolds() > 0) {
            what = readHolds() + " readers" + (isUpgradableLocked() ? " incl. upgradable" : "");
        } else {
            what = "unlocked";
        }
        return identity() + "(" + what + ", " + queueLength() + " waiting)";
    }

    // ---------------------------------------------------------------- for guards and views

    T value() {
        return value;
    }

    void setValue(T v) {
        value = v;
    }

    void acquireRead() {
        int s = state();
        if ((s & (QUEUED | PROFILED | WRITER | UPGRADING)) != 0 || (s & READERS_MASK) == READERS_MASK
                || !casState(s, s + ONE_READER)) {
            acquireBlocking(READ, false, -1L);
        }
    }

    void acquireReadRecursive() {
        if (!tryAcquire(READ_RECURSIVE, true)) {
            acquireBlocking(READ_RECURSIVE, false, -1L);
        }
    }

    /** Acquires the write lock for the current thread, which the JVM then sees as the owner. */
    void acquireWrite() {
        if (casState(0, WRITER)) {
            setExclusiveOwnerThread(Thread.currentThread());
        } else {
            acquireBlocking(WRITE, false, -1L); // records the owner itself
        }
    }

    void acquireInterruptibly(int mode) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!tryAcquireNow(mode) && acquireBlocking(mode, true, -1L) == INTERRUPTED) {
            throw new InterruptedException();
        }
    }

    /** Waits at most {@code nanos} (negative: no limit), interruptibly; for the views' tryLock. */
    boolean tryAcquireInterruptibly(int mode, long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        int outcome = acquireBlocking(mode, true, nanos);
        if (outcome == INTERRUPTED) {
            throw new InterruptedException();
        }
        return outcome == ACQUIRED;
    }

    /** One attempt without waiting that takes the lock past queued waiters whenever it can (views). */
    boolean tryAcquireBarging(int mode) {
        return ownedIfWrite(tryAcquire(mode, true), mode);
    }

    /** One attempt without waiting; only writers and recursive readers take a free lock past waiters. */
    boolean tryAcquireNow(int mode) {
        return ownedIfWrite(tryAcquire(mode, mode == WRITE || mode == READ_RECURSIVE), mode);
    }

    /** After a thread's attempt: a write hold taken is the current thread's for the JVM. */
    private boolean ownedIfWrite(boolean acquired, int mode) {
        if (acquired && exclusive(mode)) {
            setExclusiveOwnerThread(Thread.currentThread());
        }
        return acquired;
    }

    /** Releases a read hold that has no tracked record (tests). */
    void releaseRead() {
        releaseRead(null);
    }

    void releaseRead(HeldLocks holds) {
        recordRelease(holds, READ);
        release(READ, false);
    }

    void releaseUpgradable(HeldLocks holds) {
        recordRelease(holds, UPGRADABLE_READ);
        release(UPGRADABLE_READ, false);
    }

    /** Releases a write hold recorded in {@code holds}; the owner record is cleared before the CAS. */
    void releaseWrite(boolean fair, HeldLocks holds) {
        recordRelease(holds, WRITE);
        setExclusiveOwnerThread(null);
        if (fair || !casState(WRITER, 0)) {
            release(WRITE, fair);
        }
    }

    /** Atomically replaces one hold by another (downgrades, or an abandoned upgrade). */
    void transition(int transitionMode) {
        release(transitionMode, false);
    }

    /** Upgrade without waiting: succeeds only if no plain reader is inside. */
    boolean tryUpgradeNow() {
        return ownedIfWrite(tryAcquire(UPGRADE, true), UPGRADE);
    }

    /**
     * Upgrades the caller's upgradable hold, waiting at most {@code nanos} (negative: no limit) for
     * the readers inside to leave; keeps new readers out meanwhile. On timeout the upgradable hold is
     * kept and the readers held back are let in.
     */
    boolean upgradeBlocking(long nanos) {
        if (tryAcquire(UPGRADE, true)) {
            setExclusiveOwnerThread(Thread.currentThread());
            return true;
        }
        if (nanos == 0) {
            return false;
        }
        markUpgrading();
        int outcome;
        try {
            outcome = acquireBlocking(UPGRADE, false, nanos);
        } catch (RuntimeException | Error refused) { // a thread that must not block, in strict mode
            transition(ABANDON_UPGRADE);
            throw refused;
        }
        if (outcome == ACQUIRED) {
            return true;
        }
        transition(ABANDON_UPGRADE);
        return false;
    }

    // ---------------------------------------------------------------- diagnostics, for guards, views and nodes

    /** A guard of kind {@code kind} used on the current thread: it holds the hold from now on, if a thread did. */
    HeldLocks usedOnCurrentThread(HeldLocks holds, int kind) {
        return takenOverByCurrentThread(holds, kind);
    }

    /** A hold recorded in {@code holds} changed kind (an upgrade or a downgrade); no rank check. */
    HeldLocks changedHold(HeldLocks holds, int from, int to) {
        recordRelease(holds, from);
        return recordHold(holds, to);
    }

    /** The write hold an upgrade of an upgradable hold recorded in {@code holds} becomes. */
    HeldLocks upgraded(HeldLocks holds) {
        return changedHold(holds, UPGRADABLE_READ, WRITE);
    }

    /** Records a task's hold of kind {@code kind} when its acquisition is granted. */
    HeldLocks grantedTo(HeldLocks task, Acquisition<?> node, int kind) {
        recordTaskWaitOver(task, node);
        return recordHold(task, kind);
    }

    /** For the views: the current thread's holdings after the rank check, or {@code null} if untracked. */
    HeldLocks beforeThreadAcquisition(int mode) {
        return threadAcquiring(mode);
    }

    /** For the views: records the current thread's hold of kind {@code kind}. */
    HeldLocks held(HeldLocks holds, int kind) {
        return recordHold(holds, kind);
    }

    /** For the views, which release on the thread that acquired: that thread's holdings, if tracked. */
    HeldLocks currentThreadHolds() {
        return tracking() != null ? HeldLocks.ofCurrentThread() : null;
    }

    @Override
    protected boolean exclusive(int mode) {
        return mode == WRITE || mode == UPGRADE || mode == WRITE_TO_READ || mode == WRITE_TO_UPGRADABLE;
    }

    /** A recursive read by an acquirer that already reads (or holds the upgradable read) is what it is for. */
    @Override
    protected boolean reentrant(int heldKind, int mode) {
        return mode == READ_RECURSIVE && (heldKind == READ || heldKind == UPGRADABLE_READ);
    }

    // ---------------------------------------------------------------- the lock's bits

    @Override
    protected boolean canAcquire(int bits, int mode) {
        return switch (mode) {
            case READ -> (bits & (WRITER | UPGRADING)) == 0 && (bits & READERS_MASK) != READERS_MASK;
            case READ_RECURSIVE -> (bits & WRITER) == 0 && (bits & READERS_MASK) != READERS_MASK;
            case UPGRADABLE_READ -> (bits & (WRITER | UPGRADABLE)) == 0;
            case WRITE -> bits == 0;
            case UPGRADE -> (bits & READERS_MASK) == 0;
            default -> throw new IllegalArgumentException("not a waiting mode: " + mode);
        };
    }

    @Override
    protected int acquired(int bits, int mode) {
        return switch (mode) {
            case READ, READ_RECURSIVE -> bits + ONE_READER;
            case UPGRADABLE_READ -> bits | UPGRADABLE;
            case WRITE -> bits | WRITER;
            case UPGRADE -> (bits & ~(UPGRADABLE | UPGRADING)) | WRITER;
            default -> throw new IllegalArgumentException("not a waiting mode: " + mode);
        };
    }

    @Override
    protected int released(int bits, int mode) {
        return switch (mode) {
            case READ, READ_RECURSIVE -> bits - ONE_READER;
            case UPGRADABLE_READ -> bits & ~(UPGRADABLE | UPGRADING);
            case WRITE, UPGRADE -> bits & ~WRITER;
            case WRITE_TO_READ -> (bits & ~WRITER) + ONE_READER;
            case WRITE_TO_UPGRADABLE -> (bits & ~WRITER) | UPGRADABLE;
            case UPGRADABLE_TO_READ -> {
                if ((bits & READERS_MASK) == READERS_MASK) {
                    // the count would carry into UPGRADABLE; the state word is left as it was
                    throw new IllegalStateException(this + " already has the most read holds it can count ("
                            + READERS_MASK + "); the upgradable hold cannot become one more");
                }
                yield (bits & ~(UPGRADABLE | UPGRADING)) + ONE_READER;
            }
            case ABANDON_UPGRADE -> bits & ~UPGRADING;
            default -> throw new IllegalArgumentException("not a mode: " + mode);
        };
    }

    /** A write hold is the one exclusive hold: diagnostics time it (from a write or an upgrade to a downgrade or release). */
    @Override
    protected boolean heldExclusively(int bits) {
        return (bits & WRITER) != 0;
    }

    @Override
    protected String modeName(int mode) {
        return switch (mode) {
            case READ -> "read";
            case READ_RECURSIVE -> "recursive read";
            case UPGRADABLE_READ -> "upgradable read";
            case WRITE -> "write";
            case UPGRADE -> "upgrade";
            default -> "mode " + mode;
        };
    }

    /** Readers (and the upgradable reader) never overtake a queued waiter: a waiting writer is not starved. */
    @Override
    protected boolean bargesPastWaiters(int mode) {
        return mode == WRITE;
    }

    /** Readers pass a queue headed by another reader (never one headed by a writer or an upgrade). */
    @Override
    protected boolean bargesPastHead(int mode, int headMode) {
        return mode == READ && (headMode == READ || headMode == READ_RECURSIVE);
    }

    /** The upgrade and recursive reads wait for nothing their caller is not already ahead of. */
    @Override
    protected boolean jumpsQueue(int mode) {
        return mode == UPGRADE || mode == READ_RECURSIVE;
    }

    /** Builds an {@link RwLock} with non-default settings. */
    public static final class Builder extends LockBuilder<Builder> {
        Builder() {
        }

        /**
         * A lock guarding {@code value} with this builder's settings.
         *
         * @param value the guarded value (may be null)
         * @param <T>   the type of the guarded value
         * @return the new lock
         */
        public <T> RwLock<T> build(T value) {
            return new RwLock<>(value, config(), tracking());
        }
    }
}
