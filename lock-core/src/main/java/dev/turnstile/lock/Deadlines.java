package dev.turnstile.lock;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The timer behind every timed asynchronous acquisition ({@code tryLockAsync}, a timed
 * {@code awaitAsync}): one daemon thread, started on first use and ended after a second without
 * deadlines. A deadline is cancelled as soon as its acquisition completes, and a cancelled deadline
 * leaves the timer's queue at once, so an acquisition granted long before its timeout keeps nothing
 * (neither memory nor the lock) reachable from the timer. (The JDK's shared
 * {@code CompletableFuture.delayedExecutor} offers no cancellation, which kept each completed
 * acquisition's task until its deadline.)
 */
final class Deadlines {
    private static final ScheduledThreadPoolExecutor TIMER = newTimer();

    private Deadlines() {
    }

    /** Runs {@code task} on the timer thread after {@code nanos} (saturating; no overflow). */
    static ScheduledFuture<?> schedule(Runnable task, long nanos) {
        return TIMER.schedule(task, nanos, TimeUnit.NANOSECONDS);
    }

    /** Deadlines scheduled and neither run nor cancelled; for tests. */
    static int pending() {
        return TIMER.getQueue().size();
    }

    private static ScheduledThreadPoolExecutor newTimer() {
        ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
            Thread t = new Thread(task, "turnstile-deadlines");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
        timer.setKeepAliveTime(1, TimeUnit.SECONDS);
        timer.allowCoreThreadTimeOut(true);
        return timer;
    }
}
