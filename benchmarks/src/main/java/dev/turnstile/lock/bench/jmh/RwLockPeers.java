package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Function;

/**
 * The read/write locks the RwLock benchmarks compare, each guarding the same counter, with one
 * read and one write method per way of taking them. A read returns the counter, a write increments
 * it. The uncontended and read-mostly benchmarks share it so that both measure the same critical
 * sections.
 */
public class RwLockPeers {
    /** The critical section of the {@code withRead} path: a static, non-capturing function. */
    private static final Function<LockPeers.Counter, Long> READ = c -> c.value;
    /** The critical section of the {@code withWrite} path. */
    private static final Function<LockPeers.Counter, Long> INCREMENT = c -> ++c.value;

    private final LockPeers.Counter counter = new LockPeers.Counter();
    private final RwLock<LockPeers.Counter> rwLock = new RwLock<>(counter);
    /** The view's locks, fetched once, as a caller that keeps them would. */
    private final Lock rwLockViewRead = rwLock.asReadWriteLock().readLock();
    private final Lock rwLockViewWrite = rwLock.asReadWriteLock().writeLock();
    private final ReentrantReadWriteLock reentrant = new ReentrantReadWriteLock();
    private final Lock reentrantRead = reentrant.readLock();
    private final Lock reentrantWrite = reentrant.writeLock();
    private final StampedLock stamped = new StampedLock();

    /** {@code try (var g = rwLock.read())}: the guard API. */
    public long rwLockReadGuard() {
        try (ReadGuard<LockPeers.Counter> g = rwLock.read()) {
            return g.get().value;
        }
    }

    /** {@code try (var g = rwLock.write())}: the guard API. */
    public long rwLockWriteGuard() {
        try (WriteGuard<LockPeers.Counter> g = rwLock.write()) {
            return ++g.get().value;
        }
    }

    /** {@code rwLock.withRead(fn)} with a non-capturing function. */
    public long rwLockWithRead() {
        return rwLock.withRead(READ);
    }

    /** {@code rwLock.withWrite(fn)} with a non-capturing function. */
    public long rwLockWithWrite() {
        return rwLock.withWrite(INCREMENT);
    }

    /** The read lock of {@code asReadWriteLock()} (counts the thread's read holds in a ThreadLocal). */
    public long rwLockViewRead() {
        rwLockViewRead.lock();
        try {
            return counter.value;
        } finally {
            rwLockViewRead.unlock();
        }
    }

    /** The write lock of {@code asReadWriteLock()}. */
    public long rwLockViewWrite() {
        rwLockViewWrite.lock();
        try {
            return ++counter.value;
        } finally {
            rwLockViewWrite.unlock();
        }
    }

    /** Nonfair {@link ReentrantReadWriteLock}'s read lock, the baseline. */
    public long reentrantRead() {
        reentrantRead.lock();
        try {
            return counter.value;
        } finally {
            reentrantRead.unlock();
        }
    }

    /** Nonfair {@link ReentrantReadWriteLock}'s write lock. */
    public long reentrantWrite() {
        reentrantWrite.lock();
        try {
            return ++counter.value;
        } finally {
            reentrantWrite.unlock();
        }
    }

    /** {@link StampedLock#readLock()}: a pessimistic read. */
    public long stampedRead() {
        long stamp = stamped.readLock();
        try {
            return counter.value;
        } finally {
            stamped.unlockRead(stamp);
        }
    }

    /**
     * {@link StampedLock#tryOptimisticRead()}: read without locking, then validate; if a writer came
     * in between, read again under the pessimistic read lock.
     */
    public long stampedOptimisticRead() {
        long stamp = stamped.tryOptimisticRead();
        long value = counter.value;
        if (stamped.validate(stamp)) {
            return value;
        }
        return stampedRead();
    }

    /** {@link StampedLock#writeLock()}. */
    public long stampedWrite() {
        long stamp = stamped.writeLock();
        try {
            return ++counter.value;
        } finally {
            stamped.unlockWrite(stamp);
        }
    }
}
