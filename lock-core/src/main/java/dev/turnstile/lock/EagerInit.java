package dev.turnstile.lock;

/**
 * Initializes, when the first lock type is initialized, every class that a first contention or a
 * first asynchronous call could otherwise initialize on a virtual thread. A virtual thread that has
 * to wait for another thread's class initializer pins its carrier (JFR
 * {@code jdk.VirtualThreadPinned}: "Waited for initialization of … by another thread"), so the first
 * burst of concurrent async calls in a JVM would pin carriers here and there. The lock object itself
 * is normally created before it is shared, so its class initializer runs uncontended.
 */
final class EagerInit {
    /** Every class on the waiting, granting and asynchronous paths, by name (some are private). */
    private static final String[] CLASSES = {
        "dev.turnstile.lock.park.Waiter",
        "dev.turnstile.lock.park.ThreadWaiter",
        "dev.turnstile.lock.park.CallbackWaiter",
        "dev.turnstile.lock.park.WaitQueue",
        "dev.turnstile.lock.park.Trampoline",
        "dev.turnstile.lock.internal.BlockingPolicy",
        "dev.turnstile.lock.park.BlockingCheck",
        "dev.turnstile.lock.park.RawCondvar",
        "dev.turnstile.lock.park.Diagnostics",
        "dev.turnstile.lock.park.WaitTrace",
        "dev.turnstile.lock.park.LockProbe",
        "dev.turnstile.lock.park.StatisticsRecorder",
        "dev.turnstile.lock.park.LatencyHistogram",
        "dev.turnstile.lock.park.LockTracking",
        "dev.turnstile.lock.park.HeldLocks",
        "dev.turnstile.lock.park.HeldLocks$Wait",
        "dev.turnstile.lock.park.HeldLocks$Notice",
        "dev.turnstile.lock.LockOrderViolationException",
        "dev.turnstile.lock.LockOwner",
        "dev.turnstile.lock.Acquisition",
        "dev.turnstile.lock.Acquisition$Owned",
        "dev.turnstile.lock.AcquisitionFuture",
        "dev.turnstile.lock.LockFuture",
        "dev.turnstile.lock.LockFuture$Timed",
        "dev.turnstile.lock.ScopedLockFuture",
        "dev.turnstile.lock.MutexAcquisition",
        "dev.turnstile.lock.MutexGuard",
        "dev.turnstile.lock.RwAcquisition",
        "dev.turnstile.lock.RwAcquisition$Read",
        "dev.turnstile.lock.RwAcquisition$Write",
        "dev.turnstile.lock.RwAcquisition$Upgradable",
        "dev.turnstile.lock.RwAcquisition$Upgrade",
        "dev.turnstile.lock.RwGuard",
        "dev.turnstile.lock.ReadGuard",
        "dev.turnstile.lock.WriteGuard",
        "dev.turnstile.lock.UpgradableGuard",
        "dev.turnstile.lock.CondvarAwait",
        "dev.turnstile.lock.CondvarAwait$Plain",
        "dev.turnstile.lock.CondvarAwait$Timed",
        "dev.turnstile.lock.Condvar$Wakeup",
        "dev.turnstile.lock.LockTimeoutException",
        "dev.turnstile.lock.Deadlines",
        "dev.turnstile.lock.Timeouts",
        "dev.turnstile.lock.LeakDetection",
        "dev.turnstile.lock.LeakTracker",
        "dev.turnstile.lock.MutexLockView",
        "dev.turnstile.lock.MutexCondition",
        "dev.turnstile.lock.RwLockView",
        // the JDK's own classes on the future path, which nothing may have used yet
        "java.util.concurrent.CompletableFuture",
        "java.util.concurrent.CompletableFuture$AltResult",
        "java.util.concurrent.CompletableFuture$Completion",
        "java.util.concurrent.CompletableFuture$UniCompletion",
        "java.util.concurrent.CompletableFuture$UniAccept",
        "java.util.concurrent.CompletableFuture$UniApply",
        "java.util.concurrent.CompletableFuture$UniCompose",
        "java.util.concurrent.CompletableFuture$UniWhenComplete",
        "java.util.concurrent.CompletableFuture$UniRun",
        "java.util.concurrent.CompletableFuture$Signaller",
        "java.util.concurrent.ScheduledThreadPoolExecutor",
        "java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask",
        "java.util.concurrent.locks.LockSupport",
    };

    private EagerInit() {
    }

    /**
     * Runs one contended acquisition of each kind on a throwaway mutex, on the initializing thread:
     * the first execution of a {@code VarHandle} or method-reference call site links it (building
     * method types and lambda forms), and a virtual thread doing that cannot unmount (JFR: "Freeze or
     * preempt failed"). Called from {@link Mutex}'s initializer, after {@link #run()}.
     */
    @SuppressWarnings("try")
    static void exerciseCallSites() {
        Mutex<Object> m = new Mutex<>(null);
        MutexGuard<Object> held = m.lock();
        java.util.concurrent.CompletableFuture<MutexGuard<Object>> timed = m.tryLockAsync(java.time.Duration.ofDays(1));
        java.util.concurrent.CompletableFuture<MutexGuard<Object>> plain = m.lockAsync();
        held.close();                     // grants the timed waiter (and cancels its deadline)
        timed.join().close();             // grants the plain one
        plain.join().close();
        m.tryLock(java.time.Duration.ZERO).ifPresent(MutexGuard::close);
        m.asLock().newCondition();
    }

    /** Initializes the classes above; idempotent and cheap after the first call. */
    static void run() {
        ClassLoader loader = EagerInit.class.getClassLoader();
        for (String name : CLASSES) {
            try {
                Class.forName(name, true, name.startsWith("java.") ? null : loader);
            } catch (ClassNotFoundException | LinkageError absent) {
                // a JDK-internal name of another release: nothing to prepare
            }
        }
    }
}
