package dev.turnstile.lock;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Opt-in detection of leaked guards: a guard that became unreachable while it still held its lock.
 * The usual cause is a future of {@code lockAsync()}, {@code readAsync()} or
 * {@code Condvar.awaitAsync(…)} that nobody reads: its guard is granted and dropped, and the lock
 * stays held forever, with no thread in a dump to blame. A guard that is tracked and collected while
 * still holding is reported once, through a {@link System.Logger} named {@code dev.turnstile.lock}
 * (level {@code ERROR}) and to every {@link Listener}, naming the lock and, if stacks are recorded,
 * where the guard was acquired: for an asynchronous acquisition, where it was asked for
 * ({@code lockAsync()}, {@code awaitAsync(…)}, …), not the release that granted it later. The lock itself is left held: releasing it behind the program's back
 * could let another thread see a half-updated value, and would hide the bug.
 *
 * <pre>{@code
 * -Ddev.turnstile.lock.leakDetection=sampled      // or: all, off (the default)
 * }</pre>
 *
 * <h2>Levels</h2>
 * <ul>
 *   <li>{@link Level#OFF} (the default): no guard is tracked. Creating a guard and giving its hold
 *       up each pay one read of a static field, and nothing else: guards are no bigger, and the JIT
 *       still removes the guard of a {@code try (var g = lock.lock())} block.</li>
 *   <li>{@link Level#SAMPLED}: about one acquisition in {@link #samplingInterval()} (128 by
 *       default) is tracked, as Netty's {@code ResourceLeakDetector} does; cheap enough for a test
 *       environment or a canary.</li>
 *   <li>{@link Level#ALL}: every acquisition is tracked; for tests and for hunting a known leak.</li>
 * </ul>
 * A tracked guard costs a {@link java.lang.ref.Cleaner} registration and, while stacks are recorded
 * (the default once detection is on), the stack trace of its acquisition. Detection observes guards
 * created after the level is set.
 *
 * <h2>Configuration</h2>
 * The system properties {@value #LEVEL_PROPERTY} ({@code off}, {@code sampled}, {@code all}),
 * {@value #STACKS_PROPERTY} ({@code true}, {@code false}) and {@value #SAMPLING_INTERVAL_PROPERTY}
 * (a positive integer) set the initial values; the static setters change them at any time, for every
 * lock.
 */
public final class LeakDetection {
    /** The system property that sets the initial {@link Level}: {@code off}, {@code sampled} or {@code all}. */
    public static final String LEVEL_PROPERTY = "dev.turnstile.lock.leakDetection";
    /** The system property that says whether acquisition stacks are recorded ({@code true} unless {@code false}). */
    public static final String STACKS_PROPERTY = "dev.turnstile.lock.leakDetection.stacks";
    /** The system property that sets the sampling interval of {@link Level#SAMPLED} (128 by default). */
    public static final String SAMPLING_INTERVAL_PROPERTY = "dev.turnstile.lock.leakDetection.samplingInterval";

    /** How many guards are tracked. */
    public enum Level {
        /** None (the default). */
        OFF,
        /** About one acquisition in {@link #samplingInterval()}. */
        SAMPLED,
        /** Every acquisition. */
        ALL
    }

    /**
     * Receives leak reports, on the detector's own daemon thread. Must not block; an exception it
     * throws is logged and does not stop other listeners.
     */
    @FunctionalInterface
    public interface Listener {
        /**
         * A tracked guard was collected while it still held its lock.
         *
         * @param leak what leaked, and where it was acquired
         */
        void leaked(Leak leak);
    }

    /**
     * One leaked guard.
     *
     * @param lock       the lock the guard still holds (a {@link Mutex} or an {@link RwLock}); it stays held
     * @param guardType  the kind of guard: {@code MutexGuard}, {@code ReadGuard}, {@code WriteGuard} or
     *                   {@code UpgradableGuard}
     * @param acquiredAt where the guard was acquired (its stack trace; for an asynchronous acquisition,
     *                   where it was asked for), or {@code null} if stacks were not recorded
     */
    public record Leak(Object lock, String guardType, Throwable acquiredAt) {
        /**
         * A one-line description for logs: the guard type, the lock, and the advice to close guards.
         *
         * @return the message
         */
        public String message() {
            return "a " + guardType + " of " + lock + " was garbage-collected while it still held the lock, which "
                    + "stays held: close every guard (a dropped lockAsync()/awaitAsync() future leaks its guard)"
                    + (acquiredAt == null ? "; set -D" + STACKS_PROPERTY + "=true to see where it was acquired" : "");
        }
    }

    private static final System.Logger LOG = System.getLogger("dev.turnstile.lock");
    private static final List<Listener> LISTENERS = new CopyOnWriteArrayList<>();

    /** The {@link Level} ordinal; read by every guard's constructor, so a plain volatile int. */
    private static volatile int level = initialLevel().ordinal();
    private static volatile boolean recordStacks =
            !"false".equalsIgnoreCase(System.getProperty(STACKS_PROPERTY, "true").trim());
    private static volatile int samplingInterval = initialInterval();

    private LeakDetection() {
    }

    /**
     * The level in force.
     *
     * @return how many guards are tracked
     */
    public static Level level() {
        return Level.values()[level];
    }

    /**
     * Sets the level for every lock, from the next acquisition on.
     *
     * @param newLevel how many guards to track
     * @throws NullPointerException if {@code newLevel} is null
     */
    public static void setLevel(Level newLevel) {
        level = Objects.requireNonNull(newLevel, "level").ordinal();
    }

    /**
     * Whether tracked guards record the stack of their acquisition.
     *
     * @return {@code true} unless turned off
     */
    public static boolean recordsStacks() {
        return recordStacks;
    }

    /**
     * Sets whether tracked guards record the stack of their acquisition (the most useful part of a
     * report, and the most expensive part of tracking).
     *
     * @param record {@code true} to record stacks
     */
    public static void setRecordStacks(boolean record) {
        recordStacks = record;
    }

    /**
     * The sampling interval of {@link Level#SAMPLED}.
     *
     * @return about one acquisition in this many is tracked
     */
    public static int samplingInterval() {
        return samplingInterval;
    }

    /**
     * Sets the sampling interval of {@link Level#SAMPLED}.
     *
     * @param interval about one acquisition in this many is tracked; 1 tracks every one
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public static void setSamplingInterval(int interval) {
        if (interval <= 0) {
            throw new IllegalArgumentException("sampling interval must be positive: " + interval);
        }
        samplingInterval = interval;
    }

    /**
     * Adds a listener that receives every leak report (besides the log).
     *
     * @param listener the listener
     * @throws NullPointerException if {@code listener} is null
     */
    public static void addListener(Listener listener) {
        LISTENERS.add(Objects.requireNonNull(listener, "listener"));
    }

    /**
     * Removes a listener added by {@link #addListener}.
     *
     * @param listener the listener
     * @return whether it was registered
     */
    public static boolean removeListener(Listener listener) {
        return LISTENERS.remove(listener);
    }

    // ---------------------------------------------------------------- for the guards

    /**
     * Called by every guard's constructor: starts tracking {@code guard} if the level says so. With
     * detection off this is one volatile read; kept this small so that it is always inlined, and the
     * guard does not escape (the JIT keeps removing it). A tracked guard gives its hold up through
     * {@link LeakTracker#forget}.
     */
    static void track(Object guard, Object lock) {
        int l = level;
        if (l != 0) {
            LeakTracker.start(guard, lock, l);
        }
    }

    /** {@link #asyncSite()}: the acquisition was not sampled; its guard is not tracked. */
    static final Object NOT_SAMPLED = new Object();
    /** {@link #asyncSite()}: the acquisition was sampled while stacks were not recorded. */
    static final Object NO_STACK = new Object();
    /** Set by a grant while it makes its guard: the site its asynchronous acquisition was asked at. */
    private static final ThreadLocal<Object> NEXT_GUARD_SITE = new ThreadLocal<>();

    /**
     * For an asynchronous acquisition, when it is asked for: {@code null} while detection is off (one
     * volatile read), otherwise the sampling decision made now, on the caller's thread: its stack
     * ({@code Throwable}), {@link #NO_STACK} or {@link #NOT_SAMPLED}. Its guard is made later, on the
     * granting thread, whose stack would name the releaser instead of the caller that dropped it.
     */
    static Object asyncSite() {
        int l = level;
        if (l == 0) {
            return null;
        }
        if (!sampled(l)) {
            return NOT_SAMPLED;
        }
        return recordStacks ? new Throwable("acquired here") : NO_STACK;
    }

    /** Around a grant's guard construction: the site of {@link #asyncSite()}, or {@code null} after it. */
    static void siteOfNextGuard(Object site) {
        if (site == null) {
            NEXT_GUARD_SITE.remove();
        } else {
            NEXT_GUARD_SITE.set(site);
        }
    }

    /** Takes the site a grant set for the guard being made now, if any ({@link #siteOfNextGuard}). */
    static Object takeNextGuardSite() {
        Object site = NEXT_GUARD_SITE.get();
        if (site != null) {
            NEXT_GUARD_SITE.remove();
        }
        return site;
    }

    /** Whether an acquisition at {@code levelOrdinal} (not OFF) is sampled. */
    static boolean sampled(int levelOrdinal) {
        if (levelOrdinal == Level.ALL.ordinal()) {
            return true;
        }
        int interval = samplingInterval;
        return interval == 1 || ThreadLocalRandom.current().nextInt(interval) == 0;
    }

    /** Reports a leak to the log and to the listeners; runs on the cleaner's thread. */
    static void report(Leak leak) {
        LOG.log(System.Logger.Level.ERROR, leak.message(), leak.acquiredAt());
        for (Listener l : LISTENERS) {
            try {
                l.leaked(leak);
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "a LeakDetection listener threw", e);
            }
        }
    }

    private static Level initialLevel() {
        return switch (System.getProperty(LEVEL_PROPERTY, "off").trim().toLowerCase(Locale.ROOT)) {
            case "sampled" -> Level.SAMPLED;
            case "all" -> Level.ALL;
            default -> Level.OFF;
        };
    }

    private static int initialInterval() {
        try {
            int v = Integer.parseInt(System.getProperty(SAMPLING_INTERVAL_PROPERTY, "128").trim());
            return v > 0 ? v : 128;
        } catch (NumberFormatException e) {
            return 128;
        }
    }
}
