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
 * Two threads taking turns (issue #5's Condvar ping-pong): each waits under the lock until the turn
 * flag is its own, flips it and notifies the other. Every hand-over is a full wait/notify/re-acquire
 * cycle, so the {@code ping} line of a group is round trips per second (a round trip is one ping
 * and one pong; the group total counts both).
 *
 * <p>Why the waits are timed (10 ms): when JMH ends an iteration, one thread may stop between calls
 * while the other is waiting for a turn that will never come; the timed wait lets it see
 * {@link Control#stopMeasurement} and return. In a running iteration the partner answers within
 * microseconds, so the timeout does not fire; every contender waits the same way.
 *
 * <pre>{@code
 * scripts/java -jar benchmarks/target/benchmarks.jar CondvarPingPong -f1 -wi 2 -i 3 -w 1s -r 1s
 * }</pre>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(value = 1, jvmArgsAppend = {"--sun-misc-unsafe-memory-access=allow", "-XX:+EnableDynamicAgentLoading"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CondvarPingPongBenchmark {
    private static final long WAIT_MILLIS = 10;
    private static final Duration WAIT = Duration.ofMillis(WAIT_MILLIS);

    /** Whose turn it is; read and written only under the lock of the benchmark that uses it. */
    private boolean pingsTurn = true;

    private final Mutex<CondvarPingPongBenchmark> mutex = new Mutex<>(this);
    private final Condvar mutexTurn = new Condvar();
    private final ReentrantLock reentrantLock = new ReentrantLock();
    private final Condition reentrantTurn = reentrantLock.newCondition();
    private final Object monitor = new Object();

    @Benchmark
    @Group("mutexCondvar")
    @GroupThreads(1)
    public void mutexCondvarPing(Control control) throws InterruptedException {
        mutexCondvarTurn(true, control);
    }

    @Benchmark
    @Group("mutexCondvar")
    @GroupThreads(1)
    public void mutexCondvarPong(Control control) throws InterruptedException {
        mutexCondvarTurn(false, control);
    }

    private void mutexCondvarTurn(boolean ping, Control control) throws InterruptedException {
        try (MutexGuard<CondvarPingPongBenchmark> g = mutex.lock()) {
            while (pingsTurn != ping) {
                if (control.stopMeasurement) {
                    return;
                }
                mutexTurn.await(g, WAIT);
            }
            pingsTurn = !ping;
            mutexTurn.notifyOne();
        }
    }

    @Benchmark
    @Group("reentrantCondition")
    @GroupThreads(1)
    public void reentrantConditionPing(Control control) throws InterruptedException {
        reentrantConditionTurn(true, control);
    }

    @Benchmark
    @Group("reentrantCondition")
    @GroupThreads(1)
    public void reentrantConditionPong(Control control) throws InterruptedException {
        reentrantConditionTurn(false, control);
    }

    private void reentrantConditionTurn(boolean ping, Control control) throws InterruptedException {
        reentrantLock.lock();
        try {
            while (pingsTurn != ping) {
                if (control.stopMeasurement) {
                    return;
                }
                reentrantTurn.await(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
            pingsTurn = !ping;
            reentrantTurn.signal();
        } finally {
            reentrantLock.unlock();
        }
    }

    @Benchmark
    @Group("monitorWaitNotify")
    @GroupThreads(1)
    public void monitorWaitNotifyPing(Control control) throws InterruptedException {
        monitorTurn(true, control);
    }

    @Benchmark
    @Group("monitorWaitNotify")
    @GroupThreads(1)
    public void monitorWaitNotifyPong(Control control) throws InterruptedException {
        monitorTurn(false, control);
    }

    private void monitorTurn(boolean ping, Control control) throws InterruptedException {
        synchronized (monitor) {
            while (pingsTurn != ping) {
                if (control.stopMeasurement) {
                    return;
                }
                monitor.wait(WAIT_MILLIS);
            }
            pingsTurn = !ping;
            monitor.notify();
        }
    }
}
