package dev.turnstile.lock.park;

import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The core's side of {@code BlockingCalls}: asks the installed {@link NonBlockingThreadDetector}s
 * whether the thread about to park may block, and applies the policy. Called only on the path that
 * is about to park, never on an acquisition that does not wait.
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
    /** Found by ServiceLoader on first use; a racy but idempotent lazy load (no class-init wait). */
    private static volatile List<NonBlockingThreadDetector> loaded;

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
     * Before the current thread parks on {@code lock} (whose queue is {@code q}): if it must not
     * block, warn (once per lock) or throw, as the policy says. Throws before anything is changed.
     *
     * @throws IllegalStateException in strict mode, on a thread that must not block
     */
    static void beforePark(Object lock, WaitQueue q) {
        int p = policy;
        if (p == OFF) {
            return;
        }
        String reason = nonBlockingReason();
        if (reason == null) {
            return;
        }
        DETECTED.increment();
        String message = "a blocking call on " + lock + " would park " + Thread.currentThread() + ", " + reason;
        if (p == STRICT) {
            throw new IllegalStateException(message);
        }
        if (q.markBlockingWarned()) {
            LOG.log(System.Logger.Level.WARNING, message + " (warned once per lock; counted in BlockingCalls.detected())");
        }
    }

    private static String nonBlockingReason() {
        for (NonBlockingThreadDetector d : detectors()) {
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

    private static List<NonBlockingThreadDetector> detectors() {
        List<NonBlockingThreadDetector> d = loaded;
        if (d == null) {
            List<NonBlockingThreadDetector> found = new ArrayList<>();
            ServiceLoader.load(NonBlockingThreadDetector.class, BlockingCheck.class.getClassLoader()).forEach(found::add);
            loaded = d = List.copyOf(found);
        }
        return d;
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
