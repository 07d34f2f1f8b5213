package dev.turnstile.lock;

/**
 * An acquisition of a ranked lock refused before it could deadlock: its acquirer (the thread, or the
 * asynchronous task's {@link LockOwner}) already holds a lock whose rank is not below the new
 * lock's. Thrown (or logged, see {@link LockRanks}) <em>before</em> the acquisition queues or takes
 * anything, so nothing is left held on its behalf; the acquirer's other holds are untouched.
 *
 * <pre>{@code
 * enum Rank { ACCOUNTS, LEDGER }          // acquire in this order
 * Mutex<Accounts> accounts = Mutex.builder().name("accounts").rank(Rank.ACCOUNTS).build(a);
 * Mutex<Ledger> ledger = Mutex.builder().name("ledger").rank(Rank.LEDGER).build(l);
 *
 * try (var l = ledger.lock()) {
 *     accounts.lock();                    // LockOrderViolationException: accounts (ACCOUNTS) after ledger (LEDGER)
 * }
 * }</pre>
 *
 * Acquiring a ranked lock that the acquirer already holds is a violation too (its rank is not above
 * itself): a non-reentrant lock would wait for itself. A recursive read of a read lock already held
 * ({@link RwLock#readRecursive()}) is let through.
 */
public final class LockOrderViolationException extends IllegalStateException {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /** Who acquired, as diagnostics name it. */
    private final String acquirer;
    /** The held lock in the way, by identity. */
    private final String heldLock;
    /** Its rank. */
    private final int heldRank;
    /** The lock whose acquisition was refused, by identity. */
    private final String acquiredLock;
    /** Its rank. */
    private final int acquiredRank;

    /**
     * Describes one refused acquisition; made by Turnstile's locks.
     *
     * @param acquirer         who acquires: a thread or a task, as diagnostics name it
     * @param heldLock         the lock held with the highest conflicting rank
     * @param heldRank         its rank
     * @param heldRankName     its rank's enum constant name, or {@code null}
     * @param acquiredLock     the lock being acquired
     * @param acquiredRank     its rank
     * @param acquiredRankName its rank's enum constant name, or {@code null}
     * @param sameLock         whether the two are the same lock (a re-acquisition)
     */
    public LockOrderViolationException(String acquirer, String heldLock, int heldRank, String heldRankName,
                                       String acquiredLock, int acquiredRank, String acquiredRankName,
                                       boolean sameLock) {
        super(message(acquirer, heldLock, heldRank, heldRankName, acquiredLock, acquiredRank, acquiredRankName, sameLock));
        this.acquirer = acquirer;
        this.heldLock = heldLock;
        this.heldRank = heldRank;
        this.acquiredLock = acquiredLock;
        this.acquiredRank = acquiredRank;
    }

    private static String message(String acquirer, String heldLock, int heldRank, String heldRankName,
                                  String acquiredLock, int acquiredRank, String acquiredRankName, boolean sameLock) {
        String held = heldLock + " (" + rank(heldRank, heldRankName) + ")";
        if (sameLock) {
            return acquirer + " already holds " + held + " and acquires it again: it would wait for itself"
                    + " (Turnstile locks are not reentrant)";
        }
        return acquirer + " acquires " + acquiredLock + " (" + rank(acquiredRank, acquiredRankName) + ") while holding "
                + held + ": a ranked lock may only be acquired while every lock held ranks below it";
    }

    private static String rank(int rank, String name) {
        return name != null ? "rank " + name + " = " + rank : "rank " + rank;
    }

    /**
     * Who acquired: a thread (name and id) or a task's {@link LockOwner}.
     *
     * @return the acquirer's description
     */
    public String acquirer() {
        return acquirer;
    }

    /**
     * The lock held whose rank is not below the acquired one's (the same lock for a re-acquisition).
     *
     * @return the held lock's description, with the identity hash thread dumps show
     */
    public String heldLock() {
        return heldLock;
    }

    /**
     * The held lock's rank.
     *
     * @return the rank
     */
    public int heldRank() {
        return heldRank;
    }

    /**
     * The lock whose acquisition was refused.
     *
     * @return the acquired lock's description, with its identity hash
     */
    public String acquiredLock() {
        return acquiredLock;
    }

    /**
     * The refused lock's rank.
     *
     * @return the rank
     */
    public int acquiredRank() {
        return acquiredRank;
    }
}
