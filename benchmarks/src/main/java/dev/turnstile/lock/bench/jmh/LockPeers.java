package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * The locks every lock/unlock benchmark compares, each guarding the same counter, and one method per
 * way of taking them. The uncontended and contended benchmarks share it so that both measure exactly
 * the same critical sections.
 */
public class LockPeers {
    /** The critical section of {@link #mutexWithLock}: a static, non-capturing function. */
    private static final Function<Counter, Long> INCREMENT = c -> ++c.value;

    /** The value every lock guards. */
    public static final class Counter {
        long value;
    }

    private final Counter counter = new Counter();
    private final Mutex<Counter> mutex = new Mutex<>(counter);
    /** Fetched once, as a caller that keeps the view would. */
    private final Lock mutexView = mutex.asLock();
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private final Object monitor = new Object();

    /** {@code try (var g = mutex.lock())}: the guard API. */
    public long mutexGuard() {
        try (MutexGuard<Counter> g = mutex.lock()) {
            return ++g.get().value;
        }
    }

    /** The {@link Lock} view, fetched once and kept. */
    public long mutexAsLock() {
        mutexView.lock();
        try {
            return ++counter.value;
        } finally {
            mutexView.unlock();
        }
    }

    /** The {@link Lock} view, fetched with {@code asLock()} on every acquisition. */
    public long mutexAsLockEachTime() {
        Lock view = mutex.asLock();
        view.lock();
        try {
            return ++counter.value;
        } finally {
            view.unlock();
        }
    }

    /** {@code mutex.withLock(fn)} with a non-capturing function. */
    public long mutexWithLock() {
        return mutex.withLock(INCREMENT);
    }

    /** Nonfair {@link ReentrantLock}, the baseline of every target. */
    public long reentrantLock() {
        reentrantLock.lock();
        try {
            return ++counter.value;
        } finally {
            reentrantLock.unlock();
        }
    }

    /** An intrinsic monitor. */
    public long synchronizedBlock() {
        synchronized (monitor) {
            return ++counter.value;
        }
    }
}
