package dev.turnstile.lock.bench.jmh;

import com.ibm.asyncutil.locks.AsyncLock;
import com.ibm.asyncutil.locks.FairAsyncLock;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * Bytes per queued asynchronous waiter, measured with JOL: a lock is held, {@link #WAITERS}
 * acquisitions are queued, and the lock's object graph (with the handles the callers keep) is
 * compared with the same lock, queue allocated, before they queued. The difference divided by
 * {@link #WAITERS} is what one more waiting acquisition costs: the queue node plus whatever the
 * caller's handle adds (the future view). The goal (issue #4): no more than a
 * {@code CompletableFuture} plus one small node.
 *
 * <pre>{@code
 * scripts/java -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true \
 *     -cp benchmarks/target/benchmarks.jar dev.turnstile.lock.bench.jmh.AsyncFootprint
 * }</pre>
 */
public final class AsyncFootprint {
    static final int WAITERS = 1000;

    private AsyncFootprint() {
    }

    /** A callback that only closes what it is given; shared by every callback-level waiter. */
    private static final class Closer implements LockCallback<MutexGuard<Object>> {
        @Override
        public void onLocked(MutexGuard<Object> guard) {
            guard.close();
        }

        @Override
        public void onFailed(Throwable cause) {
        }
    }

    public static void main(String[] args) {
        System.out.println(VM.current().details());
        System.out.printf("%-66s %8s%n", "per queued waiter", "bytes");
        System.out.printf("%-66s %8d%n", "reference: new CompletableFuture<>() (shallow)",
                ClassLayout.parseInstance(new CompletableFuture<>()).instanceSize());

        Closer closer = new Closer();
        perWaiter("Turnstile mutex.lockAsync(): future view + queue node", m -> i -> m.lockAsync());
        perWaiter("Turnstile mutex.lockAsync(callback): queue node (the handle)", m -> i -> m.lockAsync(closer));
        perWaiter("Turnstile mutex.tryLockAsync(1 h): view + node + deadline + Duration",
                m -> i -> m.tryLockAsync(java.time.Duration.ofHours(1)));

        FairAsyncLock ibm = new FairAsyncLock();
        CompletionStage<AsyncLock.LockToken> holder = ibm.acquireLock();
        long before = GraphLayout.parseInstance(ibm).totalSize();
        Object[] stages = new Object[WAITERS];
        for (int i = 0; i < WAITERS; i++) {
            stages[i] = ibm.acquireLock();
        }
        long after = GraphLayout.parseInstance(ibm, stages).totalSize() - shallow(stages);
        System.out.printf("%-66s %8.1f%n", "IBM FairAsyncLock.acquireLock(): its internal future/node",
                (after - before) / (double) WAITERS);
        holder.toCompletableFuture().join().releaseLock();
        System.out.println("(the tryLockAsync row includes the caller's Duration, 24 B; the task the JDK's"
                + " delay scheduler keeps until the deadline is not reachable from the handle and not counted)");
    }

    private interface Submitter {
        IntFunction<Object> on(Mutex<Object> mutex);
    }

    private static void perWaiter(String what, Submitter submitter) {
        Mutex<Object> mutex = new Mutex<>(null);
        MutexGuard<Object> held = mutex.lock();
        mutex.lockAsync().cancel(false); // allocate the queue, so only waiters differ
        long before = GraphLayout.parseInstance(mutex).totalSize();
        IntFunction<Object> submit = submitter.on(mutex);
        Object[] handles = new Object[WAITERS];
        for (int i = 0; i < WAITERS; i++) {
            handles[i] = submit.apply(i);
        }
        if (mutex.queueLength() != WAITERS) {
            throw new IllegalStateException("expected " + WAITERS + " queued, found " + mutex.queueLength());
        }
        long after = GraphLayout.parseInstance(mutex, handles).totalSize() - shallow(handles);
        System.out.printf("%-66s %8.1f%n", what, (after - before) / (double) WAITERS);
        held.close(); // the waiters' guards are closed by whoever receives them
        for (Object h : handles) {
            if (h instanceof CompletableFuture<?> f && f.isDone() && !f.isCompletedExceptionally()) {
                ((MutexGuard<?>) f.join()).close();
            }
        }
    }

    private static long shallow(Object o) {
        return ClassLayout.parseInstance(o).instanceSize();
    }
}
