package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

/**
 * The classic bounded buffer: two producers and two consumers share a ring of {@value #CAPACITY}
 * slots under one lock with two condition variables ("not full", "not empty"), as in the
 * {@link Condition} Javadoc. Each contender is the same algorithm on a different lock: Turnstile's
 * {@link Mutex} with two {@link Condvar}s, {@link ReentrantLock} with two {@link Condition}s, and a
 * monitor with {@code wait}/{@code notifyAll} (a monitor has one wait set, so it must wake everyone).
 * The group total is items moved per second (puts plus takes).
 *
 * <p>The waits are timed (10 ms) for the reason given in {@link CondvarPingPongBenchmark}: when JMH
 * ends an iteration a producer may wait for room that no consumer will make; the timeout lets it see
 * {@link Control#stopMeasurement}. While an iteration runs, the partner answers within microseconds.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar BoundedBuffer -f1 -wi 3 -i 5 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BoundedBufferBenchmark {
    private static final int CAPACITY = 16;
    private static final long WAIT_MILLIS = 10;
    private static final Duration WAIT = Duration.ofMillis(WAIT_MILLIS);

    /** A ring of slots; read and written only under the lock of the benchmark that uses it. */
    private static final class Ring {
        private final long[] items = new long[CAPACITY];
        private int putAt;
        private int takeAt;
        private int count;

        boolean isFull() {
            return count == CAPACITY;
        }

        boolean isEmpty() {
            return count == 0;
        }

        void put(long item) {
            items[putAt] = item;
            putAt = (putAt + 1) % CAPACITY;
            count++;
        }

        long take() {
            long item = items[takeAt];
            takeAt = (takeAt + 1) % CAPACITY;
            count--;
            return item;
        }
    }

    private final Mutex<Ring> mutex = new Mutex<>(new Ring());
    private final Condvar mutexNotFull = new Condvar();
    private final Condvar mutexNotEmpty = new Condvar();

    private final Ring reentrantRing = new Ring();
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private final Condition reentrantNotFull = reentrantLock.newCondition();
    private final Condition reentrantNotEmpty = reentrantLock.newCondition();

    private final Ring monitorRing = new Ring();

    // ---------------------------------------------------------------- Mutex + Condvar

    @Benchmark
    @Group("mutexCondvar")
    @GroupThreads(2)
    public void mutexCondvarPut(Control control) throws InterruptedException {
        try (MutexGuard<Ring> g = mutex.lock()) {
            while (g.get().isFull()) {
                if (control.stopMeasurement) {
                    return;
                }
                mutexNotFull.await(g, WAIT);
            }
            g.get().put(1L);
            mutexNotEmpty.notifyOne();
        }
    }

    @Benchmark
    @Group("mutexCondvar")
    @GroupThreads(2)
    public long mutexCondvarTake(Control control) throws InterruptedException {
        try (MutexGuard<Ring> g = mutex.lock()) {
            while (g.get().isEmpty()) {
                if (control.stopMeasurement) {
                    return 0L;
                }
                mutexNotEmpty.await(g, WAIT);
            }
            long item = g.get().take();
            mutexNotFull.notifyOne();
            return item;
        }
    }

    // ---------------------------------------------------------------- ReentrantLock + Condition

    @Benchmark
    @Group("reentrantCondition")
    @GroupThreads(2)
    public void reentrantConditionPut(Control control) throws InterruptedException {
        reentrantLock.lock();
        try {
            while (reentrantRing.isFull()) {
                if (control.stopMeasurement) {
                    return;
                }
                reentrantNotFull.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
            reentrantRing.put(1L);
            reentrantNotEmpty.signal();
        } finally {
            reentrantLock.unlock();
        }
    }

    @Benchmark
    @Group("reentrantCondition")
    @GroupThreads(2)
    public long reentrantConditionTake(Control control) throws InterruptedException {
        reentrantLock.lock();
        try {
            while (reentrantRing.isEmpty()) {
                if (control.stopMeasurement) {
                    return 0L;
                }
                reentrantNotEmpty.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
            long item = reentrantRing.take();
            reentrantNotFull.signal();
            return item;
        } finally {
            reentrantLock.unlock();
        }
    }

    // ---------------------------------------------------------------- monitor

    @Benchmark
    @Group("monitorWaitNotifyAll")
    @GroupThreads(2)
    public void monitorPut(Control control) throws InterruptedException {
        synchronized (monitorRing) {
            while (monitorRing.isFull()) {
                if (control.stopMeasurement) {
                    return;
                }
                monitorRing.wait(WAIT_MILLIS);
            }
            monitorRing.put(1L);
            monitorRing.notifyAll();
        }
    }

    @Benchmark
    @Group("monitorWaitNotifyAll")
    @GroupThreads(2)
    public long monitorTake(Control control) throws InterruptedException {
        synchronized (monitorRing) {
            while (monitorRing.isEmpty()) {
                if (control.stopMeasurement) {
                    return 0L;
                }
                monitorRing.wait(WAIT_MILLIS);
            }
            long item = monitorRing.take();
            monitorRing.notifyAll();
            return item;
        }
    }
}
