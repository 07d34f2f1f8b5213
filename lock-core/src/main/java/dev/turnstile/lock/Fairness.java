package dev.turnstile.lock;

/**
 * How a lock chooses between throughput and tail latency when it is released while others wait.
 *
 * <p>Two ways to release a contended lock exist. <em>Release and wake</em> frees the lock and wakes
 * the longest waiter, which then competes with any thread that arrives meanwhile (barging). The
 * running thread usually wins, so the lock never sits idle while a parked thread is being scheduled:
 * best throughput, but a waiter can lose again and again. <em>Hand-off</em> passes the lock straight
 * to the longest waiter without ever freeing it: strict order and a bounded wait, at the price of
 * one scheduling delay per acquisition while the lock is held by a thread that is not yet running
 * (the "lock convoy" that makes fair {@code ReentrantLock} orders of magnitude slower under contention).
 *
 * <p>Waiters that are callbacks (asynchronous acquisitions) cannot barge, so they are always
 * handed the lock directly; that costs no scheduling delay because the callback runs at once.
 */
public enum Fairness {
    /**
     * Fair on average (the default). Contended releases normally release and wake, but hand off
     * when any of these holds:
     * <ul>
     *   <li>the lock's fairness timer has expired: it fires at uniformly random intervals of mean
     *       0.5 ms (configurable), so every waiter is eventually served by a hand-off;</li>
     *   <li>the critical section that just ended held the lock for more than 1 ms (configurable),
     *       as far as the lock saw it: from its acquisition if that was contended, otherwise from
     *       the moment the first waiter queued behind it;</li>
     *   <li>the holder asked for it with {@code unlockFair()}.</li>
     * </ul>
     * Throughput close to {@link #BARGING}, worst-case wait close to {@link #FIFO}.
     */
    EVENTUAL,

    /** Always hand off to the longest waiter: strict arrival order, lowest tail latency, lowest throughput. */
    FIFO,

    /** Never hand off unless the holder asks with {@code unlockFair()}: highest throughput, no bound on waiting. */
    BARGING
}
