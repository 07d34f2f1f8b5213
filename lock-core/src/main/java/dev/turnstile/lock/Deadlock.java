package dev.turnstile.lock;

import java.util.List;
import java.util.Objects;

/**
 * One deadlock found by {@link Deadlocks#detect()}: a cycle of acquirers, each waiting for a lock that
 * the next one holds (or is queued for ahead of it), the last waiting for the first. An acquirer is a
 * {@link Thread} (platform or virtual) or an asynchronous task's {@link LockOwner}.
 *
 * <p>{@link #toString()} gives a report in the style of a thread dump's deadlock section, naming each
 * lock with the identity hash thread dumps print for it:
 * <pre>
 * Turnstile deadlock (2 acquirers):
 *   thread "transfer-1" (#31) waits for RwLock[ledger]@5e2de80c (write)
 *     held (read) by task "order-42", acquired at
 *       com.example.Orders.post(Orders.java:88)
 *       ...
 *   task "order-42" waits for Mutex[accounts]@1d44bcfa (exclusive)
 *     held (exclusive) by thread "transfer-1" (#31)
 * </pre>
 *
 * @param links the cycle, in order: each link's holder is the next link's waiter
 */
public record Deadlock(List<Link> links) {

    /**
     * One wait in the cycle.
     *
     * @param waiter      the waiting acquirer: a {@link Thread} or a {@link LockOwner}
     * @param lock        the lock it waits for (a {@link Mutex} or an {@link RwLock})
     * @param waitingFor  what it asks for: "exclusive" (a mutex), "read", "recursive read", "upgradable
     *                    read", "write", "upgrade"
     * @param holder      the acquirer in the way: the next link's waiter
     * @param held        what the holder holds (or, if {@code queuedAhead}, is queued for)
     * @param queuedAhead whether the holder waits ahead of the waiter in the queue rather than holding
     *                    the lock (a reader behind a queued writer waits for that writer)
     * @param acquiredAt  where the holder acquired its hold, if acquisition sites are recorded
     *                    ({@link Deadlocks#setRecordAcquisitionSites}); empty otherwise
     */
    public record Link(Object waiter, Object lock, String waitingFor, Object holder, String held,
                       boolean queuedAhead, List<StackTraceElement> acquiredAt) {
        /**
         * A link; copies {@code acquiredAt}.
         *
         * @throws NullPointerException if an argument is null
         */
        public Link {
            Objects.requireNonNull(waiter, "waiter");
            Objects.requireNonNull(lock, "lock");
            Objects.requireNonNull(waitingFor, "waitingFor");
            Objects.requireNonNull(holder, "holder");
            Objects.requireNonNull(held, "held");
            acquiredAt = List.copyOf(acquiredAt);
        }
    }

    /**
     * A deadlock; copies {@code links}.
     *
     * @throws NullPointerException     if {@code links} is null
     * @throws IllegalArgumentException if {@code links} is empty
     */
    public Deadlock {
        links = List.copyOf(links);
        if (links.isEmpty()) {
            throw new IllegalArgumentException("a deadlock has at least one link");
        }
    }

    /**
     * The acquirers in the cycle, in order.
     *
     * @return each link's waiter
     */
    public List<Object> acquirers() {
        return links.stream().map(Link::waiter).toList();
    }

    /**
     * The locks in the cycle, in order.
     *
     * @return each link's lock
     */
    public List<Object> locks() {
        return links.stream().map(Link::lock).toList();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Turnstile deadlock (").append(links.size())
                .append(links.size() == 1 ? " acquirer):" : " acquirers):");
        for (Link l : links) {
            Object lock = l.lock() instanceof dev.turnstile.lock.park.RawLock r ? r.identity() : l.lock();
            b.append("\n  ").append(Deadlocks.describe(l.waiter())).append(" waits for ").append(lock)
                    .append(" (").append(l.waitingFor()).append(")");
            b.append("\n    ").append(l.queuedAhead() ? "behind (" : "held (").append(l.held()).append(") by ")
                    .append(Deadlocks.describe(l.holder()));
            if (l.queuedAhead()) {
                b.append(", queued ahead of it");
            }
            if (!l.acquiredAt().isEmpty()) {
                b.append(", acquired at");
                for (StackTraceElement e : l.acquiredAt()) {
                    b.append("\n      ").append(e);
                }
            }
        }
        return b.toString();
    }
}
