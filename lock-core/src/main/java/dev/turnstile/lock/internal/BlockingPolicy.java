package dev.turnstile.lock.internal;

import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;

/**
 * The state behind {@code BlockingCalls}: the policy, the installed detectors and the count of
 * detections. It sits in this package, which the module does not export, because two packages need
 * it: {@code dev.turnstile.lock} (the public {@code BlockingCalls}) and
 * {@code dev.turnstile.lock.park} (the core's check before a thread waits). Not an API.
 */
public final class BlockingPolicy {
    /** Policy values; the ordinals of {@code BlockingCalls.Policy}. */
    public static final int OFF = 0;
    /** Warn once per lock and count. */
    public static final int WARN = 1;
    /** Throw before parking. */
    public static final int STRICT = 2;

    private static final LongAdder DETECTED = new LongAdder();
    private static final List<NonBlockingThreadDetector> REGISTERED = new CopyOnWriteArrayList<>();
    private static volatile int policy = initialPolicy();
    /**
     * Found by ServiceLoader when this class is initialized, which the core does with the first lock
     * class: never later, on a virtual thread's first contention, where class loading could pin it.
     */
    private static final List<NonBlockingThreadDetector> LOADED = load();

    private BlockingPolicy() {
    }

    /**
     * The policy in force.
     *
     * @return {@link #OFF}, {@link #WARN} or {@link #STRICT}
     */
    public static int policy() {
        return policy;
    }

    /**
     * Sets the policy for every lock.
     *
     * @param p {@link #OFF}, {@link #WARN} or {@link #STRICT}
     */
    public static void setPolicy(int p) {
        policy = p;
    }

    /**
     * Adds a detector to those found by {@link ServiceLoader}.
     *
     * @param detector the detector
     */
    public static void register(NonBlockingThreadDetector detector) {
        REGISTERED.add(detector);
    }

    /**
     * How many blocking calls were about to park a thread that must not block.
     *
     * @return the count in this JVM
     */
    public static long detected() {
        return DETECTED.sum();
    }

    /** Counts one blocking call about to park a thread that must not block. */
    public static void countDetected() {
        DETECTED.increment();
    }

    /**
     * Why the current thread must not block, as the first detector that objects says.
     *
     * @return the reason, or {@code null} if the thread may block
     */
    public static String nonBlockingReason() {
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
        ServiceLoader.load(NonBlockingThreadDetector.class, BlockingPolicy.class.getClassLoader()).forEach(found::add);
        return List.copyOf(found);
    }

    private static int initialPolicy() {
        String v = System.getProperty("dev.turnstile.lock.blockingCalls", "warn").trim();
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "off" -> OFF;
            case "strict" -> STRICT;
            default -> WARN;
        };
    }
}
