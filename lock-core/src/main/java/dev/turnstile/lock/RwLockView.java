package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;

/**
 * {@link RwLock#asReadWriteLock()}: thread-owned {@link Lock}s over an RwLock. Kept in the lock's
 * side state, so the RwLock itself needs no field for the owners.
 *
 * <p>Read holds are counted per thread (a {@link ThreadLocal} of this view), so that {@code unlock()}
 * by a thread that holds no read lock through the view fails instead of releasing someone else's
 * hold, and so that a thread that reads again while holding a read takes a recursive read, which a
 * queued writer cannot deadlock.
 */
final class RwLockView implements ReadWriteLock {
    private final RwLock<?> lock;
    private final ReadView readView = new ReadView();
    private final WriteView writeView = new WriteView();
    /** Read holds of the current thread through this view. */
    private final ThreadLocal<int[]> readHolds = ThreadLocal.withInitial(() -> new int[1]);
    /**
     * The thread holding the write lock through this view. Written only by that thread (set after
     * acquiring, cleared before releasing), so a thread reading it sees itself only if it owns it.
     */
    private Thread writer;
    /** The writer's holdings, where its hold is recorded if the lock is tracked; written like {@link #writer}. */
    private HeldLocks writerHolds;

    RwLockView(RwLock<?> lock) {
        this.lock = lock;
    }

    @Override
    public Lock readLock() {
        return readView;
    }

    @Override
    public Lock writeLock() {
        return writeView;
    }

    @Override
    public String toString() {
        return "ReadWriteLock view of " + lock;
    }

    private final class ReadView implements Lock {
        /** The mode of this thread's next read: recursive if it already holds one through the view. */
        private int modeFor(int[] holds) {
            if (writer == Thread.currentThread()) {
                throw new IllegalStateException(Thread.currentThread() + " holds the write lock of " + lock
                        + " through its view; taking the read lock too would deadlock (use WriteGuard.downgrade())");
            }
            return holds[0] > 0 ? RwLock.READ_RECURSIVE : RwLock.READ;
        }

        @Override
        public void lock() {
            int[] holds = readHolds.get();
            int mode = modeFor(holds);
            HeldLocks mine = lock.beforeThreadAcquisition(mode);
            if (mode == RwLock.READ) {
                lock.acquireRead();
            } else {
                lock.acquireReadRecursive();
            }
            lock.held(mine, RwLock.READ);
            holds[0]++;
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            int[] holds = readHolds.get();
            int mode = modeFor(holds);
            HeldLocks mine = lock.beforeThreadAcquisition(mode);
            lock.acquireInterruptibly(mode);
            lock.held(mine, RwLock.READ);
            holds[0]++;
        }

        @Override
        public boolean tryLock() {
            if (writer == Thread.currentThread()) {
                return false; // cannot deadlock, so no error: the write hold simply excludes it
            }
            int[] holds = readHolds.get();
            int mode = modeFor(holds);
            HeldLocks mine = lock.beforeThreadAcquisition(mode);
            // j.u.c's ReadLock.tryLock() takes an available read lock even past queued writers (a
            // one-shot try cannot starve them); only a writer holding it, or an upgrade, keeps it out.
            if (lock.tryAcquireBarging(mode)) {
                lock.held(mine, RwLock.READ);
                holds[0]++;
                return true;
            }
            return false;
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            Objects.requireNonNull(unit, "unit");
            int[] holds = readHolds.get();
            int mode = modeFor(holds);
            HeldLocks mine = lock.beforeThreadAcquisition(mode);
            if (lock.tryAcquireInterruptibly(mode, Math.max(0L, unit.toNanos(time)))) {
                lock.held(mine, RwLock.READ);
                holds[0]++;
                return true;
            }
            return false;
        }

        @Override
        public void unlock() {
            int[] holds = readHolds.get();
            if (holds[0] == 0) {
                throw new IllegalMonitorStateException(
                        Thread.currentThread() + " holds no read lock of " + lock + " through its view");
            }
            holds[0]--;
            lock.releaseRead(lock.currentThreadHolds());
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("read locks have no conditions");
        }

        @Override
        public String toString() {
            return "read lock view of " + lock;
        }
    }

    private final class WriteView implements Lock {
        /** Locking the write lock again, or while holding a read lock, would wait for itself forever. */
        private void checkWouldNotDeadlock() {
            Thread me = Thread.currentThread();
            if (writer == me) {
                throw new IllegalStateException(me + " already holds the write lock of " + lock
                        + " through its view, and it is not reentrant");
            }
            if (readHolds.get()[0] > 0) {
                throw new IllegalStateException(me + " holds a read lock of " + lock
                        + " through its view; waiting for the write lock would deadlock (use upgradableRead())");
            }
        }

        @Override
        public void lock() {
            checkWouldNotDeadlock();
            HeldLocks mine = lock.beforeThreadAcquisition(RwLock.WRITE);
            lock.acquireWrite();
            wrote(mine);
        }

        @Override
        public void lockInterruptibly() throws InterruptedException {
            checkWouldNotDeadlock();
            HeldLocks mine = lock.beforeThreadAcquisition(RwLock.WRITE);
            lock.acquireInterruptibly(RwLock.WRITE);
            wrote(mine);
        }

        @Override
        public boolean tryLock() {
            HeldLocks mine = lock.beforeThreadAcquisition(RwLock.WRITE);
            if (lock.tryAcquireNow(RwLock.WRITE)) {
                wrote(mine);
                return true;
            }
            return false;
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
            Objects.requireNonNull(unit, "unit");
            checkWouldNotDeadlock();
            HeldLocks mine = lock.beforeThreadAcquisition(RwLock.WRITE);
            if (lock.tryAcquireInterruptibly(RwLock.WRITE, Math.max(0L, unit.toNanos(time)))) {
                wrote(mine);
                return true;
            }
            return false;
        }

        @Override
        public void unlock() {
            if (writer != Thread.currentThread()) {
                throw new IllegalMonitorStateException(
                        Thread.currentThread() + " does not hold the write lock of " + lock + " through its view");
            }
            writer = null;
            HeldLocks holds = writerHolds;
            writerHolds = null;
            lock.releaseWrite(false, holds);
        }

        private void wrote(HeldLocks mine) {
            writerHolds = lock.held(mine, RwLock.WRITE);
            writer = Thread.currentThread();
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("conditions pair with a Mutex: use Mutex.asLock().newCondition()");
        }

        @Override
        public String toString() {
            return "write lock view of " + lock;
        }
    }
}
