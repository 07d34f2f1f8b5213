package dev.turnstile.lock.vertx;

import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.vertx.internal.OwnerLocal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * Named locks for the verticles of one Vert.x instance: a drop-in for the local locks of
 * {@link io.vertx.core.shareddata.SharedData}, on Turnstile's {@link Mutex}.
 *
 * <pre>{@code
 * LocalLocks locks = LocalLocks.of(vertx);               // was: SharedData locks = vertx.sharedData();
 * locks.getLocalLock("inventory").onSuccess(lock -> {
 *     try {
 *         updateInventory();
 *     } finally {
 *         lock.release();
 *     }
 * });
 * locks.withLocalLock("inventory", () -> reserve(item));  // released when reserve's future completes
 * }</pre>
 *
 * <h2>Differences from {@code SharedData}</h2>
 * <ul>
 *   <li>{@link #getLocalLock(String)} waits as long as it takes; Vert.x's silently fails after 10
 *       seconds. Use {@link #getLocalLockWithTimeout} to bound the wait: on timeout the waiter leaves
 *       the queue and the future fails with {@link dev.turnstile.lock.LockTimeoutException} (a
 *       {@link java.util.concurrent.TimeoutException}).</li>
 *   <li>Waiters are served under the lock's fairness policy (fair on average: a running acquirer may
 *       take a free lock ahead of the queue, and nobody waits for ever) instead of strictly FIFO.</li>
 *   <li>The same names can carry typed locks that guard a value: {@link #mutex} and
 *       {@link #rwLock}. {@code getLocalLock} on such a name takes that lock (the write lock of an
 *       {@code RwLock}), so code using either form excludes the other.</li>
 * </ul>
 * Where futures complete is as for {@link VertxLocks}: on the caller's context (the releasing
 * thread when it already runs it, otherwise one {@code runOnContext}), or on the granting thread for
 * callers outside any context. {@link Lock#release()} may be called on any thread, and calling it
 * again does nothing.
 *
 * <h2>Entries do not accumulate</h2>
 * A name used only with {@code getLocalLock} has an entry while someone holds or waits for it. Once
 * nobody does, the entry stays in the registry, idle, so that using the name again costs no map
 * insertion, removal or allocation, until a sweep retires it. The thread that adds an entry sweeps
 * when the registry holds more than 256 entries, or more than twice as many as the last sweep kept;
 * {@link #size()} sweeps too. So 100,000 distinct names used once leave at most 256 idle entries
 * behind, and none once {@code size()} has looked. No thread or timer is involved. Typed locks stay
 * for the life of the registry, since they hold state.
 */
public final class LocalLocks {
    private static final String MAP_NAME = LocalLocks.class.getName();
    private static final String REGISTRY_KEY = "registry";

    /** Idle entries tolerated before a sweep, however few names are in use. */
    static final int SWEEP_FLOOR = 256;

    private final ConcurrentHashMap<String, LockEntry> entries = new ConcurrentHashMap<>();
    /** The entry count above which an insertion sweeps: {@code max(SWEEP_FLOOR, 2 x kept by the last sweep)}. */
    private volatile int sweepAbove = SWEEP_FLOOR;
    /** Set while an inserting thread sweeps; other inserters skip theirs. */
    private final AtomicBoolean sweeping = new AtomicBoolean();

    private LocalLocks() {
    }

    /**
     * The registry of {@code vertx}: the same object on every call for the same instance, gone with
     * the instance.
     *
     * @param vertx the Vert.x instance
     * @return its registry
     * @throws NullPointerException if {@code vertx} is null
     */
    public static LocalLocks of(Vertx vertx) {
        Objects.requireNonNull(vertx, "vertx");
        LocalMap<String, Holder> map = vertx.sharedData().getLocalMap(MAP_NAME);
        return map.computeIfAbsent(REGISTRY_KEY, key -> new Holder(new LocalLocks())).locks;
    }

    /**
     * Acquires the lock called {@code name}, waiting as long as it takes.
     *
     * @param name the lock's name
     * @return a future of the lock, completed on the caller's context
     * @throws NullPointerException if {@code name} is null
     */
    public Future<Lock> getLocalLock(String name) {
        return lock(name, -1L, null);
    }

    /**
     * Acquires the lock called {@code name} if it is granted within {@code timeoutMillis}; otherwise
     * the waiter leaves the queue and the future fails with
     * {@link dev.turnstile.lock.LockTimeoutException}. Zero or negative makes one attempt.
     *
     * @param name          the lock's name
     * @param timeoutMillis the longest wait, in milliseconds; zero or negative makes one attempt
     * @return a future of the lock, completed on the caller's context
     * @throws NullPointerException if {@code name} is null
     */
    public Future<Lock> getLocalLockWithTimeout(String name, long timeoutMillis) {
        Duration timeout = Duration.ofMillis(timeoutMillis);
        return lock(name, VertxLocks.waitNanos(timeout), timeout);
    }

    /**
     * As {@link #getLocalLockWithTimeout}, returning a handle that can also withdraw the acquisition
     * while it waits.
     *
     * @param name the lock's name
     * @return the pending acquisition
     * @throws NullPointerException if {@code name} is null
     */
    public PendingAcquisition<Lock> pendingLocalLock(String name) {
        Objects.requireNonNull(name, "name");
        Context context = Vertx.currentContext();
        LockEntry entry = enter(name);
        LocalLockAcquisition a = new LocalLockAcquisition(context, this, entry);
        try {
            a.submitted(entry.lockExclusive(a, OwnerLocal.of(context)));
        } catch (LockOrderViolationException refused) {
            a.onFailed(refused); // refused before anything was queued; leaves the entry
        }
        return a;
    }

    /**
     * Acquires the lock called {@code name}, runs {@code block}, and releases the lock when the future
     * {@code block} returns completes (or when {@code block} throws or returns {@code null}); the
     * result completes the same way, after the release.
     *
     * @param name  the lock's name
     * @param block what to do while holding the lock
     * @param <T>   the type of the result
     * @return the block's result
     * @throws NullPointerException if an argument is null
     */
    public <T> Future<T> withLocalLock(String name, Supplier<Future<T>> block) {
        Objects.requireNonNull(block, "block");
        Context context = Vertx.currentContext();
        Future<Lock> locked = getLocalLock(name);
        // Granted already: run the block here, where compose would run it, without compose's promise,
        // and bind the outcome to the caller's context as compose's future would be (see withLock).
        return locked.succeeded()
                ? VertxLocks.onContext(context, scoped(locked.result(), block))
                : locked.compose(lock -> scoped(lock, block));
    }

    /**
     * As {@link #withLocalLock(String, Supplier)}, failing with
     * {@link dev.turnstile.lock.LockTimeoutException} if the lock is not granted within
     * {@code timeoutMillis} ({@code block} does not run then).
     *
     * @param name          the lock's name
     * @param timeoutMillis the longest wait for the lock, in milliseconds
     * @param block         what to do while holding the lock
     * @param <T>           the type of the result
     * @return the block's result
     * @throws NullPointerException     if an argument is null
     */
    public <T> Future<T> withLocalLock(String name, long timeoutMillis, Supplier<Future<T>> block) {
        Objects.requireNonNull(block, "block");
        return getLocalLockWithTimeout(name, timeoutMillis).compose(lock -> scoped(lock, block));
    }

    /**
     * The {@link Mutex} called {@code name}, created with {@code initial.get()} as its value the first
     * time. Use it with {@link VertxLocks} (or its blocking methods, off the event loop).
     * {@code initial} may run more than once when two callers race to create the same name; one value
     * is kept. The type is not checked: use one value type per name.
     *
     * @param name    the lock's name
     * @param initial the value of a new mutex
     * @param <T>     the type of its value
     * @return the mutex, the same one for every call with this name
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the name belongs to an {@code RwLock}, or is held or awaited
     *                               through {@link #getLocalLock} right now (create typed locks before
     *                               the name is used as a plain lock)
     */
    @SuppressWarnings("unchecked") // one value type per name, as documented
    public <T> Mutex<T> mutex(String name, Supplier<T> initial) {
        LockEntry e = typed(name, initial, true);
        if (e.mutex == null) {
            throw new IllegalStateException("'" + name + "' is an RwLock in this registry, not a Mutex");
        }
        return (Mutex<T>) e.mutex;
    }

    /**
     * The {@link RwLock} called {@code name}, created with {@code initial.get()} as its value the
     * first time (see {@link #mutex}).
     *
     * @param name    the lock's name
     * @param initial the value of a new lock
     * @param <T>     the type of its value
     * @return the lock, the same one for every call with this name
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the name belongs to a {@code Mutex}, or is held or awaited
     *                               through {@link #getLocalLock} right now
     */
    @SuppressWarnings("unchecked")
    public <T> RwLock<T> rwLock(String name, Supplier<T> initial) {
        LockEntry e = typed(name, initial, false);
        if (e.rwLock == null) {
            throw new IllegalStateException("'" + name + "' is a Mutex in this registry, not an RwLock");
        }
        return (RwLock<T>) e.rwLock;
    }

    /**
     * How many names have an entry right now: names held or awaited through {@link #getLocalLock},
     * and typed locks. Retires the idle entries first (see the class comment), so this is
     * {@code O(entries)}; for monitoring and tests.
     *
     * @return the number of entries
     */
    public int size() {
        sweep();
        return entries.size();
    }

    /** The entries in the map, idle ones included, without sweeping (tests). */
    int entryCount() {
        return entries.size();
    }

    @Override
    public String toString() {
        return "LocalLocks[" + entries.size() + " names]";
    }

    // ---------------------------------------------------------------- entries

    /**
     * {@code getLocalLock} and its timed form: a free name's lock is taken at once and the future is
     * created complete (no queue node, no promise); otherwise the acquisition queues, timed if
     * {@code timeout} is not null.
     */
    private Future<Lock> lock(String name, long nanos, Duration timeout) {
        Objects.requireNonNull(name, "name");
        Context context = Vertx.currentContext();
        LockOwner owner = OwnerLocal.of(context);
        LockEntry entry = enter(name);
        LocalLockAcquisition a;
        try {
            AutoCloseable now = entry.lockIfFree(owner);
            if (now != null) {
                return VertxLocks.succeeded(context, new LocalLock(this, entry, now));
            }
            a = new LocalLockAcquisition(context, this, entry);
            a.submitted(entry.lockExclusive(a, owner));
        } catch (LockOrderViolationException refused) {
            leave(entry); // refused before anything was taken or queued
            return VertxLocks.failed(context, refused);
        }
        if (timeout != null) {
            a.armTimeout(nanos, timeout, name);
        }
        return a.future();
    }

    /** The live entry of {@code name}, entered once on the caller's behalf. */
    private LockEntry enter(String name) {
        for (;;) {
            LockEntry e = entries.get(name);
            if (e == null) {
                LockEntry fresh = LockEntry.plain(name);
                e = entries.putIfAbsent(name, fresh);
                if (e == null) {
                    if (entries.size() > sweepAbove) {
                        sweepIfNobodyIs();
                    }
                    return fresh;
                }
            }
            if (e.enter()) {
                return e;
            }
            entries.remove(name, e); // retired by a sweep; help remove it and start afresh
        }
    }

    /** Undoes one {@link #enter}; an entry nobody uses any more stays, idle, until a sweep. */
    void leave(LockEntry e) {
        e.leave();
    }

    /** An inserting thread's sweep, unless another thread is sweeping already. */
    private void sweepIfNobodyIs() {
        if (sweeping.compareAndSet(false, true)) {
            try {
                sweep();
            } finally {
                sweeping.set(false);
            }
        }
    }

    /**
     * Retires and removes every idle plain entry. An entry is retired by one compare-and-set of its
     * user count from 0, which a concurrent {@link #enter} of the same entry either beats (the entry
     * stays) or loses (it creates a fresh one), so exclusion never depends on which entry a caller
     * found, and two sweeps at once only repeat each other's work.
     */
    private void sweep() {
        for (LockEntry e : entries.values()) {
            if (!e.typed && e.retireIfUnused()) {
                entries.remove(e.name, e);
            }
        }
        sweepAbove = Math.max(SWEEP_FLOOR, 2 * entries.size());
    }

    private LockEntry typed(String name, Supplier<?> initial, boolean mutex) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(initial, "initial");
        for (;;) {
            LockEntry e = entries.get(name);
            if (e == null) {
                Object value = initial.get();
                LockEntry fresh = mutex ? LockEntry.typedMutex(name, value) : LockEntry.typedRwLock(name, value);
                e = entries.putIfAbsent(name, fresh);
                if (e == null) {
                    return fresh;
                }
            }
            if (e.typed) {
                return e;
            }
            if (!e.retireIfUnused()) {
                throw new IllegalStateException("'" + name + "' is held or awaited through getLocalLock; "
                        + "create typed locks before the name is used as a plain lock");
            }
            entries.remove(name, e);
        }
    }

    private static <T> Future<T> scoped(Lock lock, Supplier<Future<T>> block) {
        Future<T> result;
        try {
            result = block.get();
        } catch (RuntimeException | Error e) {
            lock.release();
            return Future.failedFuture(e);
        }
        if (result == null) {
            lock.release();
            return Future.failedFuture(new NullPointerException("the block returned null instead of a future"));
        }
        return result.andThen(outcome -> lock.release());
    }

    /** Keeps the registry in the instance's local maps, which hand {@link Shareable} values out as they are. */
    private static final class Holder implements Shareable {
        final LocalLocks locks;

        Holder(LocalLocks locks) {
            this.locks = locks;
        }
    }
}
