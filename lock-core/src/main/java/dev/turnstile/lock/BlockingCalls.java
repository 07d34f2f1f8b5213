package dev.turnstile.lock;

import dev.turnstile.lock.internal.BlockingPolicy;
import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import java.util.Objects;

/**
 * What Turnstile does when one of its blocking calls is about to park a thread that must not block
 * (a Reactor non-blocking thread, a Vert.x event loop: whatever an installed
 * {@link NonBlockingThreadDetector} reports).
 *
 * <ul>
 *   <li>{@link Policy#WARN} (the default): the thread parks as asked, and the first time this happens
 *       on each lock a {@link System.Logger} warning names the lock, the thread and the non-blocking
 *       alternative; every occurrence is counted ({@link #detected()}).</li>
 *   <li>{@link Policy#STRICT}: the call throws {@link IllegalStateException} before the thread parks,
 *       leaving the lock exactly as it was (nothing queued, nothing released).</li>
 *   <li>{@link Policy#OFF}: no detector is asked.</li>
 * </ul>
 *
 * The policy is global. Its initial value comes from the system property
 * {@code dev.turnstile.lock.blockingCalls} ({@code warn}, {@code strict} or {@code off}); tests and
 * applications may change it at any time with {@link #setPolicy}. Only a call that finds the lock
 * taken pays for the check (before it spins or parks): acquisitions that find it free never consult
 * a detector.
 */
public final class BlockingCalls {
    /** The system property that sets the initial {@link Policy}. */
    public static final String POLICY_PROPERTY = "dev.turnstile.lock.blockingCalls";

    /** What a blocking call does on a thread that must not block. */
    public enum Policy {
        /** Do not ask the detectors. */
        OFF,
        /** Park anyway; warn once per lock and count every occurrence. */
        WARN,
        /** Throw {@link IllegalStateException} before parking; the lock is left untouched. */
        STRICT
    }

    private BlockingCalls() {
    }

    /** {@return the policy in force} */
    public static Policy policy() {
        return Policy.values()[BlockingPolicy.policy()];
    }

    /**
     * Sets the policy for every lock.
     *
     * @param policy what blocking calls on threads that must not block do from now on
     * @throws NullPointerException if {@code policy} is null
     */
    public static void setPolicy(Policy policy) {
        BlockingPolicy.setPolicy(Objects.requireNonNull(policy, "policy").ordinal());
    }

    /**
     * Adds a detector to those found by {@link java.util.ServiceLoader}.
     *
     * @param detector asked, like the others, whether the current thread must not block
     * @throws NullPointerException if {@code detector} is null
     */
    public static void register(NonBlockingThreadDetector detector) {
        BlockingPolicy.register(Objects.requireNonNull(detector, "detector"));
    }

    /** {@return how many times a blocking call was about to park a thread that must not block, in this JVM} */
    public static long detected() {
        return BlockingPolicy.detected();
    }

}
