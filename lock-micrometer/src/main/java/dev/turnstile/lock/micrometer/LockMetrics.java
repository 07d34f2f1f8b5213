package dev.turnstile.lock.micrometer;

import dev.turnstile.lock.LockStatistics;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.RwLock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Binds one Turnstile lock's {@linkplain LockStatistics statistics} to a Micrometer
 * {@link MeterRegistry}. The lock must keep statistics (built with {@code statistics(true)}, or under
 * {@code -Ddev.turnstile.lock.statistics=true}).
 *
 * <pre>{@code
 * Mutex<Map<String, Order>> orders = Mutex.builder().name("orders").statistics(true).build(new HashMap<>());
 * LockMetrics.of(orders).bindTo(registry);                 // or register it as a MeterBinder bean
 * }</pre>
 *
 * <h2>Meters</h2>
 * Every meter is tagged {@code lock} (the lock's name) and {@code kind} ({@code mutex} or
 * {@code rwlock}), plus any {@linkplain #tags(Iterable) common tags} given here.
 * <table>
 *   <caption>Meters bound for one lock</caption>
 *   <tr><th>name</th><th>type</th><th>what</th></tr>
 *   <tr><td>{@code turnstile.lock.acquisitions}</td><td>function counter</td><td>successful acquisitions, any mode</td></tr>
 *   <tr><td>{@code turnstile.lock.acquisitions.contended}</td><td>function counter</td><td>acquisitions that waited</td></tr>
 *   <tr><td>{@code turnstile.lock.waits.abandoned}</td><td>function counter</td><td>waits that timed out, were interrupted or cancelled</td></tr>
 *   <tr><td>{@code turnstile.lock.wait}</td><td>function timer</td><td>count and total time of the contended acquisitions' waits</td></tr>
 *   <tr><td>{@code turnstile.lock.wait.max}</td><td>time gauge</td><td>the longest wait</td></tr>
 *   <tr><td>{@code turnstile.lock.wait.percentile}</td><td>time gauges, tag {@code phi}</td><td>p50, p90, p99, p99.9 of the waits</td></tr>
 *   <tr><td>{@code turnstile.lock.hold}, {@code .hold.max}, {@code .hold.percentile}</td><td>as for {@code wait}</td><td>exclusive holds (mutex holds, write holds)</td></tr>
 *   <tr><td>{@code turnstile.lock.queue.length}</td><td>gauge</td><td>waiters queued now</td></tr>
 *   <tr><td>{@code turnstile.lock.queue.length.max}</td><td>gauge</td><td>the most waiters ever queued at once</td></tr>
 * </table>
 * The percentiles are the lock's own (its histogram is within 3.2% of the true value; see
 * {@link LockStatistics.Distribution}), computed over the lock's whole life, and published the way
 * Micrometer publishes a timer's client-side percentiles ({@code .percentile}, tag {@code phi}). Like
 * client-side percentiles they cannot be aggregated across instances; the counters and timers can.
 *
 * <h2>Cost</h2>
 * Nothing on the lock's paths beyond its statistics: every meter reads a fresh snapshot when the
 * registry reads it. As with Micrometer's gauges, the registry holds the lock weakly: it does not keep
 * a lock alive, and a collected lock's meters read {@code NaN}.
 */
public final class LockMetrics implements MeterBinder {
    /** The prefix of every meter's name. */
    public static final String PREFIX = "turnstile.lock";

    private static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

    private final Object lock;
    private final Function<Object, LockStatistics> statistics;
    private final ToDoubleFunction<Object> queueLength;
    private final Tags tags;

    private LockMetrics(Object lock, Function<Object, LockStatistics> statistics, ToDoubleFunction<Object> queueLength,
                        Tags tags) {
        this.lock = lock;
        this.statistics = statistics;
        this.queueLength = queueLength;
        this.tags = tags;
    }

    /**
     * The meters of a mutex, tagged with its own name.
     *
     * @param mutex a mutex that keeps statistics and has a name
     * @return a binder for its meters
     * @throws NullPointerException     if {@code mutex} is null
     * @throws IllegalArgumentException if the mutex keeps no statistics or has no name
     */
    public static LockMetrics of(Mutex<?> mutex) {
        return of(mutex, requireName(Objects.requireNonNull(mutex, "mutex").name(), mutex));
    }

    /**
     * The meters of a mutex, tagged {@code lock=name}.
     *
     * @param mutex a mutex that keeps statistics
     * @param name  the value of the {@code lock} tag
     * @return a binder for its meters
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the mutex keeps no statistics
     */
    public static LockMetrics of(Mutex<?> mutex, String name) {
        requireStatistics(Objects.requireNonNull(mutex, "mutex").statistics().isPresent(), mutex);
        return new LockMetrics(mutex, l -> ((Mutex<?>) l).statistics().orElseThrow(),
                l -> ((Mutex<?>) l).queueLength(), Tags.of("lock", Objects.requireNonNull(name, "name"), "kind", "mutex"));
    }

    /**
     * The meters of a reader-writer lock, tagged with its own name.
     *
     * @param rwLock a lock that keeps statistics and has a name
     * @return a binder for its meters
     * @throws NullPointerException     if {@code rwLock} is null
     * @throws IllegalArgumentException if the lock keeps no statistics or has no name
     */
    public static LockMetrics of(RwLock<?> rwLock) {
        return of(rwLock, requireName(Objects.requireNonNull(rwLock, "rwLock").name(), rwLock));
    }

    /**
     * The meters of a reader-writer lock, tagged {@code lock=name}.
     *
     * @param rwLock a lock that keeps statistics
     * @param name   the value of the {@code lock} tag
     * @return a binder for its meters
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if the lock keeps no statistics
     */
    public static LockMetrics of(RwLock<?> rwLock, String name) {
        requireStatistics(Objects.requireNonNull(rwLock, "rwLock").statistics().isPresent(), rwLock);
        return new LockMetrics(rwLock, l -> ((RwLock<?>) l).statistics().orElseThrow(),
                l -> ((RwLock<?>) l).queueLength(), Tags.of("lock", Objects.requireNonNull(name, "name"), "kind", "rwlock"));
    }

    /**
     * This binder with {@code extra} added to every meter's tags.
     *
     * @param extra more tags (an application, a shard, …)
     * @return a new binder; this one is unchanged
     * @throws NullPointerException if {@code extra} is null
     */
    public LockMetrics tags(Iterable<Tag> extra) {
        return new LockMetrics(lock, statistics, queueLength, tags.and(Objects.requireNonNull(extra, "extra")));
    }

    /**
     * Registers this lock's meters with {@code registry}.
     *
     * @param registry where the meters go
     * @throws NullPointerException if {@code registry} is null
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Function<Object, LockStatistics> s = statistics;

        FunctionCounter.builder(PREFIX + ".acquisitions", lock, l -> s.apply(l).acquisitions())
                .description("Successful acquisitions of the lock, in any mode")
                .baseUnit("acquisitions").tags(tags).register(registry);
        FunctionCounter.builder(PREFIX + ".acquisitions.contended", lock, l -> s.apply(l).contendedAcquisitions())
                .description("Acquisitions that found the lock unavailable and waited")
                .baseUnit("acquisitions").tags(tags).register(registry);
        FunctionCounter.builder(PREFIX + ".waits.abandoned", lock, l -> s.apply(l).abandonedWaits())
                .description("Waits that ended without the lock: timed out, interrupted or cancelled")
                .baseUnit("waits").tags(tags).register(registry);

        distribution(registry, "wait", "Time a contended acquisition waited for the lock",
                l -> s.apply(l).waitTimes());
        distribution(registry, "hold", "Time an exclusive hold (a mutex hold, a write hold) lasted",
                l -> s.apply(l).holdTimes());

        Gauge.builder(PREFIX + ".queue.length", lock, queueLength)
                .description("Waiters queued for the lock now")
                .baseUnit("waiters").tags(tags).register(registry);
        Gauge.builder(PREFIX + ".queue.length.max", lock, l -> s.apply(l).maxQueueLength())
                .description("The most waiters ever queued for the lock at once")
                .baseUnit("waiters").tags(tags).register(registry);
    }

    private void distribution(MeterRegistry registry, String what, String description,
                              Function<Object, LockStatistics.Distribution> of) {
        String name = PREFIX + "." + what;
        FunctionTimer.builder(name, lock, l -> of.apply(l).count(), l -> nanos(of.apply(l).total()),
                        TimeUnit.NANOSECONDS)
                .description(description).tags(tags).register(registry);
        TimeGauge.builder(name + ".max", lock, TimeUnit.NANOSECONDS, l -> nanos(of.apply(l).max()))
                .description(description + ": the longest").tags(tags).register(registry);
        for (double phi : PERCENTILES) {
            TimeGauge.builder(name + ".percentile", lock, TimeUnit.NANOSECONDS,
                            l -> nanos(percentile(of.apply(l), phi)))
                    .description(description + ": percentile").tags(tags).tag("phi", Double.toString(phi))
                    .register(registry);
        }
    }

    private static Duration percentile(LockStatistics.Distribution d, double phi) {
        if (phi == 0.5) {
            return d.p50();
        }
        if (phi == 0.9) {
            return d.p90();
        }
        return phi == 0.99 ? d.p99() : d.p999();
    }

    private static double nanos(Duration d) {
        return d.toNanos();
    }

    private static String requireName(String name, Object lock) {
        if (name == null) {
            throw new IllegalArgumentException(lock + " has no name: build it with a name, or pass one to LockMetrics.of");
        }
        return name;
    }

    private static void requireStatistics(boolean present, Object lock) {
        if (!present) {
            throw new IllegalArgumentException(lock + " keeps no statistics: build it with statistics(true), "
                    + "or run with -Ddev.turnstile.lock.statistics=true");
        }
    }
}
