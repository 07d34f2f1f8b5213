package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.util.Objects;

/**
 * What Turnstile does when a ranked lock is acquired out of order: when its acquirer (the thread for
 * blocking and virtual-thread acquisitions, the {@link LockOwner} for asynchronous ones) already
 * holds a lock whose rank is not below the new one's. Ranks are given per lock at build time
 * ({@link LockBuilder#rank(int)}, {@link LockBuilder#rank(Enum)}); an acquirer may only take a ranked
 * lock that outranks every ranked lock it holds, so no two acquirers can ever wait for each other in
 * a cycle through ranked locks, whatever the interleaving.
 *
 * <ul>
 *   <li>{@link Policy#THROW} (the default): the acquisition throws (or, asynchronously, fails with)
 *       {@link LockOrderViolationException} before it queues or takes anything.</li>
 *   <li>{@link Policy#WARN}: the acquisition goes ahead; a {@link System.Logger} warning with the
 *       same message and the stack trace is logged once per pair of locks.</li>
 *   <li>{@link Policy#OFF}: no check (holds are still recorded, for deadlock detection).</li>
 * </ul>
 *
 * The policy is global. Its initial value comes from the system property
 * {@code dev.turnstile.lock.rankPolicy} ({@code throw}, {@code warn} or {@code off}). Unranked locks
 * are never checked and cost nothing: only ranked (and deadlock-detected) locks keep per-acquirer
 * records.
 *
 * <h2>Whose holds</h2>
 * A hold belongs to the acquirer that took it. A guard handed to another thread belongs to that thread
 * once it uses the guard (any method of it); one handed over but not used yet still counts for the
 * thread that acquired it. An asynchronous acquisition counts for the {@link LockOwner} passed to it
 * (lock-reactor reads it from the subscriber's {@code Context}, lock-vertx from the Vert.x context's
 * local data); one made without an owner is its own acquirer and holds nothing else.
 */
public final class LockRanks {
    /** The system property that sets the initial {@link Policy}. */
    public static final String POLICY_PROPERTY = "dev.turnstile.lock.rankPolicy";

    /** What an out-of-order acquisition of a ranked lock does. */
    public enum Policy {
        /** Do not check. */
        OFF,
        /** Acquire anyway; warn once per pair of locks. */
        WARN,
        /** Throw {@link LockOrderViolationException} before queuing; nothing is taken. */
        THROW
    }

    private LockRanks() {
    }

    /**
     * The policy in force.
     *
     * @return the policy
     */
    public static Policy policy() {
        return Policy.values()[HeldLocks.rankPolicy()];
    }

    /**
     * Sets the policy for every ranked lock.
     *
     * @param policy the new policy
     * @throws NullPointerException if {@code policy} is null
     */
    public static void setPolicy(Policy policy) {
        HeldLocks.setRankPolicy(Objects.requireNonNull(policy, "policy").ordinal());
    }
}
