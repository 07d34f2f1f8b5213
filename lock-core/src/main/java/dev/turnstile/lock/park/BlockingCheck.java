package dev.turnstile.lock.park;

import dev.turnstile.lock.internal.BlockingPolicy;

/**
 * The core's side of {@code BlockingCalls}: asks the installed detectors whether the thread about to
 * wait may block, and applies the policy. Called only once an acquisition has found the lock taken
 * (before it spins or parks), never on one that does not wait.
 */
final class BlockingCheck {
    private static final System.Logger LOG = System.getLogger("dev.turnstile.lock");

    private BlockingCheck() {
    }

    /**
     * Before the current thread waits for {@code lock}: if it must not block, warn (once per lock,
     * recorded in its wait queue) or throw, as the policy says. Throws before anything is changed.
     *
     * @return {@code true} if the current thread must not block (it should then not spin either)
     * @throws IllegalStateException in strict mode, on a thread that must not block
     */
    static boolean beforeWait(RawLock lock) {
        int p = BlockingPolicy.policy();
        if (p == BlockingPolicy.OFF) {
            return false;
        }
        String reason = BlockingPolicy.nonBlockingReason();
        if (reason == null) {
            return false;
        }
        BlockingPolicy.countDetected();
        String message = "a blocking call on " + lock + " would park " + Thread.currentThread() + ", " + reason;
        if (p == BlockingPolicy.STRICT) {
            throw new IllegalStateException(message);
        }
        if (lock.waitQueue().markBlockingWarned()) {
            LOG.log(System.Logger.Level.WARNING, message + " (warned once per lock; counted in BlockingCalls.detected())");
        }
        return true;
    }

    /**
     * Whether the current thread must not block, whatever the policy: such a thread never yields
     * while it waits for a queue guard (see {@link WaitQueue}).
     */
    static boolean onNonBlockingThread() {
        return BlockingPolicy.nonBlockingReason() != null;
    }
}
