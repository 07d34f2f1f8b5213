package dev.turnstile.lock.park;

/**
 * A tracked lock's diagnostic settings: its rank, if any. A lock is <em>tracked</em> when it has a
 * rank or takes part in deadlock detection; only then do its acquisitions record who holds it and
 * who waits for it ({@link HeldLocks}). An untracked lock's {@link RawLock#tracking} is {@code null}
 * and it does none of this: its acquisitions read that one field and go on.
 *
 * <p>Immutable; one per lock built with a rank or with deadlock detection, one shared instance for
 * locks tracked because deadlock detection is on for every lock ({@link #setTrackAll}).
 */
public final class LockTracking {
    /** The rank of an unranked tracked lock: it takes part in deadlock detection only. */
    public static final int UNRANKED = Integer.MIN_VALUE;

    /** Unranked, tracked: what every lock gets while {@link #trackAll()} is on. */
    public static final LockTracking UNRANKED_TRACKED = new LockTracking(UNRANKED, null);

    private static volatile boolean trackAll = Boolean.getBoolean("dev.turnstile.lock.deadlockDetection");

    final int rank;
    /** The enum constant's name of a rank given as an enum, else {@code null}. */
    final String rankName;

    private LockTracking(int rank, String rankName) {
        this.rank = rank;
        this.rankName = rankName;
    }

    /**
     * Settings of a lock built with a rank ({@link #UNRANKED} for none).
     *
     * @param rank     the rank, or {@link #UNRANKED}
     * @param rankName the enum constant the rank came from, or {@code null}
     * @return the settings
     */
    public static LockTracking of(int rank, String rankName) {
        return rank == UNRANKED && rankName == null ? UNRANKED_TRACKED : new LockTracking(rank, rankName);
    }

    /**
     * What a lock built without diagnostic settings of its own gets: {@code null} (untracked), or
     * {@link #UNRANKED_TRACKED} while deadlock detection is on for every lock.
     *
     * @return the default settings, or {@code null}
     */
    public static LockTracking byDefault() {
        return trackAll ? UNRANKED_TRACKED : null;
    }

    /**
     * Turns deadlock detection on or off for every lock created from now on (locks that exist keep
     * what they were created with). Initially from {@code -Ddev.turnstile.lock.deadlockDetection}.
     *
     * @param on whether to track locks created from now on
     */
    public static void setTrackAll(boolean on) {
        trackAll = on;
    }

    /**
     * Whether locks created now are tracked by default.
     *
     * @return the setting of {@link #setTrackAll}
     */
    public static boolean trackAll() {
        return trackAll;
    }

    /**
     * The rank, or {@link #UNRANKED}.
     *
     * @return the rank
     */
    public int rank() {
        return rank;
    }

    /** "rank 3", or "rank DATABASE (3)" for an enum rank; "unranked" without one. */
    String describeRank() {
        return describeRank(rank, rankName);
    }

    static String describeRank(int rank, String rankName) {
        if (rank == UNRANKED) {
            return "unranked";
        }
        return rankName != null ? "rank " + rankName + " (" + rank + ")" : "rank " + rank;
    }
}
