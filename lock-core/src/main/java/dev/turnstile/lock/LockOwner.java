package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.util.Objects;

/**
 * The identity of an asynchronous task for lock diagnostics: what it holds, for {@linkplain LockRanks
 * rank checks}, and the owner {@link Deadlocks deadlock reports} name. A thread needs none (a blocking
 * or virtual-thread acquisition belongs to its thread), but an asynchronous chain hops threads, so it
 * carries one explicitly: pass it to the asynchronous acquisitions it makes, and they count as one
 * acquirer wherever their continuations run.
 *
 * <pre>{@code
 * LockOwner order = LockOwner.named("order-42");
 * accounts.lockAsync(order)                                   // rank ACCOUNTS
 *         .thenCompose(a -> ledger.lockAsync(order)           // rank LEDGER: above ACCOUNTS, allowed
 *                 .thenApply(l -> { try (l; a) { return post(a.get(), l.get()); } }));
 * }</pre>
 *
 * lock-reactor takes it from the subscriber's {@code Context} (key {@code LockOwner.class}) and
 * lock-vertx from the Vert.x context's local data, so a pipeline sets it once.
 *
 * <p>An owner stands for one logical task that waits for one thing at a time; acquisitions made
 * without one each count as their own acquirer, which holds nothing else. Only ranked and
 * deadlock-detected locks keep records; on other locks an owner costs nothing. Owners are cheap
 * (create one per request) and thread-safe.
 */
public final class LockOwner {
    private final String name;
    /** What this task holds of the tracked locks, and what it waits for. */
    final HeldLocks holds;

    private LockOwner(String name) {
        this.name = name;
        this.holds = HeldLocks.forTask(this);
    }

    /**
     * A new owner, named for diagnostics.
     *
     * @param name what reports call it, such as a request id
     * @return the owner
     * @throws NullPointerException if {@code name} is null
     */
    public static LockOwner named(String name) {
        return new LockOwner(Objects.requireNonNull(name, "name"));
    }

    /**
     * The name given.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /** The holdings of {@code owner}, or {@code null} for none (an anonymous acquisition). */
    static HeldLocks holdsOf(LockOwner owner) {
        return owner != null ? owner.holds : null;
    }

    @Override
    public String toString() {
        return "task \"" + name + "\"";
    }
}
