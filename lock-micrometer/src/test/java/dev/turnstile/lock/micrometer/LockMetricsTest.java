package dev.turnstile.lock.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.NanoClock;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The meters {@link LockMetrics} binds, read back from a {@link SimpleMeterRegistry}. */
class LockMetricsTest {
    /** Moved by hand, so every duration below is exact. */
    private final AtomicLong now = new AtomicLong();
    private final NanoClock clock = now::get;
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void aMutexExportsItsCountersTimersPercentilesAndQueueGauges() {
        Mutex<String> orders = Mutex.builder().name("orders").clock(clock).fairness(Fairness.FIFO)
                .statistics(true).build("v");
        LockMetrics.of(orders).tags(Tags.of("app", "shop")).bindTo(registry);

        try (MutexGuard<String> g = orders.lock()) {
            g.set("w");
            now.addAndGet(1_000);                                  // a hold of 1 µs
        }
        MutexGuard<String> held = orders.lock();
        CompletableFuture<MutexGuard<String>> first = orders.lockAsync();
        CompletableFuture<MutexGuard<String>> second = orders.lockAsync();
        assertEquals(2.0, gauge("turnstile.lock.queue.length"));
        now.addAndGet(4_000);                                      // both wait 4 µs, the holder holds 4 µs
        held.close();
        first.join().close();
        second.join().close();

        assertEquals(4.0, registry.get("turnstile.lock.acquisitions").tags("lock", "orders", "kind", "mutex", "app", "shop")
                .functionCounter().count());
        assertEquals(2.0, registry.get("turnstile.lock.acquisitions.contended").functionCounter().count());
        assertEquals(0.0, registry.get("turnstile.lock.waits.abandoned").functionCounter().count());

        assertEquals(2.0, registry.get("turnstile.lock.wait").functionTimer().count());
        assertEquals(8_000.0, registry.get("turnstile.lock.wait").functionTimer().totalTime(TimeUnit.NANOSECONDS));
        assertEquals(4_000.0, registry.get("turnstile.lock.wait.max").timeGauge().value(TimeUnit.NANOSECONDS));
        assertEquals(4_000.0, registry.get("turnstile.lock.wait.percentile").tag("phi", "0.99")
                .timeGauge().value(TimeUnit.NANOSECONDS));

        assertEquals(4.0, registry.get("turnstile.lock.hold").functionTimer().count()); // 1 µs, 4 µs, two of 0
        assertEquals(5_000.0, registry.get("turnstile.lock.hold").functionTimer().totalTime(TimeUnit.NANOSECONDS));
        assertEquals(4_000.0, registry.get("turnstile.lock.hold.max").timeGauge().value(TimeUnit.NANOSECONDS));
        assertEquals(0.0, registry.get("turnstile.lock.hold.percentile").tag("phi", "0.5")
                .timeGauge().value(TimeUnit.NANOSECONDS));

        assertEquals(0.0, gauge("turnstile.lock.queue.length"));
        assertEquals(2.0, gauge("turnstile.lock.queue.length.max"));
    }

    @Test
    void everyMeterIsNamedAndTaggedTheMicrometerWay() {
        RwLock<String> prices = RwLock.builder().name("prices").statistics(true).build("v");
        LockMetrics.of(prices).bindTo(registry);
        try (WriteGuard<String> w = prices.write()) {
            w.set("w");
        }
        Set<String> names = registry.getMeters().stream().map(m -> m.getId().getName()).collect(Collectors.toSet());
        assertEquals(Set.of("turnstile.lock.acquisitions", "turnstile.lock.acquisitions.contended",
                "turnstile.lock.waits.abandoned", "turnstile.lock.wait", "turnstile.lock.wait.max",
                "turnstile.lock.wait.percentile", "turnstile.lock.hold", "turnstile.lock.hold.max",
                "turnstile.lock.hold.percentile", "turnstile.lock.queue.length", "turnstile.lock.queue.length.max"), names);
        for (Meter m : registry.getMeters()) {
            assertEquals("prices", m.getId().getTag("lock"), m.getId().toString());
            assertEquals("rwlock", m.getId().getTag("kind"), m.getId().toString());
        }
        List<String> phis = registry.find("turnstile.lock.hold.percentile").timeGauges().stream()
                .map(g -> g.getId().getTag("phi")).sorted().toList();
        assertEquals(List.of("0.5", "0.9", "0.99", "0.999"), phis);
        assertEquals(1.0, registry.get("turnstile.lock.hold").functionTimer().count());
    }

    @Test
    void aLockWithoutStatisticsOrNameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> LockMetrics.of(Mutex.builder().name("plain").build("v")));
        assertThrows(IllegalArgumentException.class, () -> LockMetrics.of(Mutex.builder().statistics(true).build("v")));
        Mutex<String> unnamed = Mutex.builder().statistics(true).build("v");
        LockMetrics.of(unnamed, "given").bindTo(registry);
        assertEquals(0.0, registry.get("turnstile.lock.acquisitions").tag("lock", "given").functionCounter().count());
        assertThrows(IllegalArgumentException.class, () -> LockMetrics.of(new RwLock<>("v")));
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }
}
