package dev.turnstile.lock.bench;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.park.LockConfig;
import java.util.Locale;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.BooleanSupplier;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * Memory per lock, measured with JOL: the shallow size of the lock object and its deep size, i.e.
 * everything reachable from it that belongs to that lock alone: the objects of the lock's own
 * classes ({@code dev.turnstile.lock…}, {@code java.util.concurrent.locks…}: queue, nodes, views),
 * minus a Turnstile lock's shared default configuration. Threads (owners, waiters) and the guarded
 * value ({@code null} here) are not counted, so a row is what one more lock costs.
 *
 * <pre>{@code
 * scripts/lockbench --footprint
 * scripts/java -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true \
 *     -cp benchmarks/target/benchmarks.jar dev.turnstile.lock.bench.Footprint
 * }</pre>
 *
 * With {@code -Dfootprint.verbose} each row is preceded by the classes it counted.
 */
public final class Footprint {
    private Footprint() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println(VM.current().details());
        System.out.printf("%-64s %8s %8s%n", "lock", "shallow", "deep");

        Mutex<Object> mutex = new Mutex<>(null);
        row("Turnstile Mutex<Object>, unlocked (value null)", mutex, shared(LockConfig.DEFAULT));

        Mutex<Object> viewed = new Mutex<>(null);
        viewed.asLock();
        row("Turnstile Mutex, unlocked, after asLock() was called", viewed, shared(LockConfig.DEFAULT));

        Mutex<Object> contended = new Mutex<>(null);
        MutexGuard<Object> held = contended.lock();
        Thread mutexWaiter = Thread.ofPlatform().start(() -> contended.lock().close());
        awaitTrue(() -> contended.queueLength() == 1);
        row("Turnstile Mutex, held, one thread queued", contended, shared(LockConfig.DEFAULT));
        held.close();
        mutexWaiter.join();
        row("Turnstile Mutex, unlocked again after that contention", contended, shared(LockConfig.DEFAULT));

        RwLock<Object> rwLock = new RwLock<>(null);
        row("Turnstile RwLock<Object>, unlocked (value null)", rwLock, shared(LockConfig.DEFAULT));
        RwLock<Object> rwViewed = new RwLock<>(null);
        rwViewed.asReadWriteLock();
        row("Turnstile RwLock, unlocked, after asReadWriteLock() was called", rwViewed, shared(LockConfig.DEFAULT));
        row("Turnstile Condvar, no waiters", new Condvar(), shared(LockConfig.DEFAULT));

        row("ReentrantLock (nonfair), unlocked", new ReentrantLock(), shared());
        ReentrantLock reentrant = new ReentrantLock();
        reentrant.lock();
        Thread lockWaiter = Thread.ofPlatform().start(() -> {
            reentrant.lock();
            reentrant.unlock();
        });
        awaitTrue(() -> reentrant.getQueueLength() == 1);
        row("ReentrantLock, held, one thread queued", reentrant, shared());
        reentrant.unlock();
        lockWaiter.join();
        row("ReentrantLock, unlocked again after that contention", reentrant, shared());
        row("ReentrantReadWriteLock, unlocked", new ReentrantReadWriteLock(), shared());
        row("StampedLock, unlocked", new StampedLock(), shared());
        ReentrantLock conditionOwner = new ReentrantLock();
        row("ReentrantLock.newCondition(), no waiters (lock not counted)", conditionOwner.newCondition(),
                shared(conditionOwner));
        row("synchronized: a plain Object used as a monitor", new Object(), shared());
        System.out.println("(an inflated monitor's ObjectMonitor lives outside the Java heap and is not counted)");
    }

    /** Objects shared by many locks, left out of a lock's deep size. */
    private static GraphLayout shared(Object... roots) {
        return roots.length == 0 ? new GraphLayout() : GraphLayout.parseInstance(roots);
    }

    private static void row(String what, Object lock, GraphLayout shared) {
        long shallow = ClassLayout.parseInstance(lock).instanceSize();
        GraphLayout graph = GraphLayout.parseInstance(lock).subtract(shared);
        boolean threadsReachable = graph.getClasses().stream().anyMatch(Thread.class::isAssignableFrom);
        long deep = ownClass(lock.getClass(), false) ? 0 : shallow; // a plain Object monitor
        for (Class<?> c : graph.getClasses()) {
            if (ownClass(c, threadsReachable)) {
                deep += graph.getClassSizes().count(c);
                if (System.getProperty("footprint.verbose") != null) {
                    System.out.printf("    %s x%d %d B%n", c.getName(), graph.getClassCounts().count(c), graph.getClassSizes().count(c));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-64s %6d B %6d B%n", what, shallow, deep);
    }

    /**
     * Whether objects of {@code c} belong to a lock (as opposed to threads or values it refers to).
     * Lambdas (hidden classes) are not counted: a non-capturing lambda is one instance shared by
     * every lock. Per-thread objects, a {@link ThreadLocal} (the key of a lock's per-thread count)
     * and Turnstile's per-thread trampoline, are counted only when no thread is reachable: a reachable
     * thread (a lock's owner or waiter) brings the keys and values of all its thread-locals.
     */
    private static boolean ownClass(Class<?> c, boolean threadsReachable) {
        String n = c.getName();
        if (ThreadLocal.class.isAssignableFrom(c) || n.equals(PER_THREAD_TRAMPOLINE)) {
            return !threadsReachable;
        }
        return (n.startsWith("dev.turnstile.lock.") && !n.startsWith("dev.turnstile.lock.bench.") && !c.isHidden())
                || n.startsWith("java.util.concurrent.locks.");
    }

    /** The per-thread grant trampoline of the parking core: thread state, not lock state. */
    private static final String PER_THREAD_TRAMPOLINE = "dev.turnstile.lock.park.Trampoline";

    private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("the waiter never queued");
            }
            Thread.sleep(1); // polling a queue length; no happens-before is needed from it
        }
    }
}
