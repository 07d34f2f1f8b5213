package dev.turnstile.lock.park;

/**
 * One contended acquisition being observed: when it began to wait (statistics clock) and its JFR
 * event, begun then. Created only when the lock keeps statistics or the JFR event is enabled; a
 * thread keeps it in a local, an asynchronous waiter in its node.
 */
final class WaitTrace {
    final long since;
    final Object event;

    WaitTrace(long since, Object event) {
        this.since = since;
        this.event = event;
    }
}
