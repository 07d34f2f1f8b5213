package dev.turnstile.lock.park;

import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The core's side of {@code BlockingCalls}: asks the installed {@link NonBlockingThreadDetector}s
 * whether the thread about to wait may block, and applies the policy. Called only once an
 * acquisition has found the lock taken (before it spins or parks), never on one that does not wait.
 */
public final class BlockingCheck {
    /** Policy values; the ordinals of {@code BlockingCalls.Policy}. */
    public static final int OFF = 0;
    public static final int WARN = 1;
    public static final int STRICT = 2;

    private static final System.Logger LOG = System.getLogger("dev.turnstile.lock");
    private static final LongAdder DETECTED = new LongAdder();
    private static final List<NonBlockingThreadDetector> REGISTERED = new CopyOnWriteArrayList<>();

    private static volatile int policy = initialPolicy();
    /**
     * Found by ServiceLoader when this class is initialized, which the core does with the first lock
     * class: never later, on a virtual thread's first contention, where class loading could pin it.
     */
    private static final List<NonBlockingThreadDetector> LOADED = load();

    private BlockingCheck() {
    }

    public static int policy() {
        return policy;
    }

    public static void setPolicy(int p) {
        policy = p;
    }

    public static void register(NonBlockingThreadDetector detector) {
        REGISTERED.add(detector);
    }

    public static long detected() {
        return DETECTED.sum();
    }

    /**
     * Before the current thread waits for {@code lock}: if it must not block, warn (once per lock,
     * recorded in its wait queue) or throw, as the policy says. Throws before anything is changed.
     *
     * @return {@code true} if the current thread must not block (it should then not spin either)
     * @throws IllegalStateException in strict mode, on a thread that must not block
     */
    static boolean beforeWait(RawLock lock) {
        int p = policy;
        if (p == OFF) {
            return false;
        }
        String reason = nonBlockingReason();
        if (reason == null) {
            return false;
        }
        DETECTED.increment();
        String message = "a blocking call on " + lock + " would park " + Thread.currentThread() + ", " + reason;
        if (p == STRICT) {
            throw new IllegalStateException(message);
        }
        if (lock.waitQueue().markBlockingWarned()) {
            LOG.log(System.Logger.Level.WARNING, message + " (warned once per lock; counted in BlockingCalls.detected())");
        }
        return true;
    }

    /**
     * Whether the current thread must not block, whatever the policy: such a thread never yields
     * while it waits for a queue guard (see {@link WaitQueue}).
     */
    static boolean onNonBlockingThread() {
        return nonBlockingReason() != null;
    }

    private static String nonBlockingReason() {
        for (NonBlockingThreadDetector d : LOADED) {
            String reason = d.nonBlockingReason();
            if (reason != null) {
                return reason;
            }
        }
        for (NonBlockingThreadDetector d : REGISTERED) {
            String reason = d.nonBlockingReason();
            if (reason != null) {
                return reason;
            }
        }
        return null;
    }

    private static List<NonBlockingThreadDetector> load() {
        List<NonBlockingThreadDetector> found = new ArrayList<>();
        ServiceLoader.load(NonBlockingThreadDetector.class, BlockingCheck.class.getClassLoader()).forEach(found::add);
        return List.copyOf(found);
    }

    private static int initialPolicy() {
        String v = System.getProperty("dev.turnstile.lock.blockingCalls", "warn").trim();
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "off" -> OFF;
            case "strict" -> STRICT;
            default -> WARN;
        };
    }
}
