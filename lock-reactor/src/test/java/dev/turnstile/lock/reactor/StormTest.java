package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A million subscriptions cancelled or timed out at random moments while other subscribers and a
 * blocking thread release concurrently. Every acquisition must end exactly one way (taken at once,
 * or submitted and then granted or withdrawn), and at the end the mutex is free with nobody queued.
 *
 * <p>Timers and hops run on a scheduler of ordinary threads, not {@code timers}:
 * BlockHound watches the parallel threads, and lock-core's queue guard (see the disabled tests in
 * {@link NeverBlocksTest}) would fail this test there for a reason that is not the adapter's.
 */
class StormTest {
    static final int SUBSCRIPTIONS = 1_000_000;
    static final int DRIVERS = 2;

    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    /** Subscriber-side errors other than timeouts (none expected). */
    private final LongAdder errors = new LongAdder();
    private final Scheduler timers = Schedulers.fromExecutorService(Executors.newScheduledThreadPool(2), "storm");
    /** Lock-core's callback level, counting what it does: the only observer the storm needs. */
    private final CountingAcquirer<MutexGuard<long[]>> counting = new CountingAcquirer<>(Acquirer.mutex(mutex));

    @Test
    void aMillionSubscriptionsCancelledOrTimedOutAtRandomEndExactlyOnceEach() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread blocking = Thread.ofPlatform().start(() -> {
            while (!stop.get()) {
                try (MutexGuard<long[]> g = mutex.lock()) {
                    g.get()[0]++;
                }
            }
        });
        Thread[] drivers = new Thread[DRIVERS];
        for (int d = 0; d < DRIVERS; d++) {
            drivers[d] = Thread.ofPlatform().start(() -> drive(SUBSCRIPTIONS / DRIVERS));
        }
        try {
            for (Thread t : drivers) {
                assertTrue(t.join(Duration.ofMinutes(3)), "a driver is stuck");
            }
        } finally {
            stop.set(true);
        }
        try {
            assertTrue(blocking.join(Duration.ofSeconds(30)), "the blocking thread is stuck: " + mutex);
            awaitSettled();
        } finally {
            timers.dispose();
        }
    }

    /**
     * Waits for the queue the drivers left to drain. The hops to {@link #timers} are part of that
     * drain, so the scheduler is disposed only after it: disposing it earlier drops the queued hops
     * (Reactor's {@code dispose()} is {@code shutdownNow()}), and a dropped hop is a grant nobody
     * will ever signal or release.
     */
    private void awaitSettled() {
        Awaitility.await().atMost(Duration.ofSeconds(60))
                .alias("granted + withdrawn + failed == submitted")
                .conditionEvaluationListener(c -> {
                    if (c.getRemainingTimeInMS() < 1000) {
                        System.err.println("storm: taken " + counting.taken.sum() + " submitted " + counting.submitted.sum()
                                + " granted " + counting.granted.sum() + " withdrawn " + counting.withdrawn.sum()
                                + " failed " + counting.failed.sum() + " errors " + errors.sum() + " " + mutex);
                    }
                })
                .until(() -> counting.granted.sum() + counting.withdrawn.sum() + counting.failed.sum()
                        == counting.submitted.sum());
        assertEquals(SUBSCRIPTIONS, counting.taken.sum() + counting.submitted.sum(),
                "every subscription requested, so every one taken at once or submitted");
        assertEquals(0, counting.failed.sum() + errors.sum());
        assertEquals(counting.submitted.sum(), counting.granted.sum() + counting.withdrawn.sum());
        assertFree(mutex);
    }

    /** Subscribes {@code n} times, each cancelled, timed out or left to complete at a random moment. */
    private void drive(int n) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 0; i < n; i++) {
            Disposable d;
            switch (random.nextInt(4)) {
                case 0 -> // our own timer: withdrawn on timeout, granted otherwise
                        d = LockMono.timed(counting, null, Duration.ofNanos(random.nextInt(20_000)), timers)
                                .subscribeWith(new Closing());
                case 1 -> d = LockMono.of(counting, null).subscribeWith(new Closing());
                case 2 -> d = LockScope.mono(counting, g -> Mono.fromSupplier(() -> ++g.get()[0]), null)
                        .subscribe(v -> { }, e -> errors.increment());
                default -> d = LockMono.of(counting, timers).subscribeWith(new Closing());
            }
            if (random.nextInt(3) != 0) {
                for (int spin = random.nextInt(64); spin > 0; spin--) {
                    Thread.onSpinWait(); // a random moment: before, during or after the grant
                }
                d.dispose();
            }
        }
    }

    /**
     * Owns what it receives, even after it was disposed: a bare guard emitted while a dispose races
     * the emission is the subscriber's, and {@code subscribe(consumer)} would drop it to Reactor's
     * onNextDropped hook instead (see the {@code ReactorLocks} class comment).
     */
    private final class Closing extends BaseSubscriber<MutexGuard<long[]>> {
        @Override
        protected void hookOnNext(MutexGuard<long[]> guard) {
            guard.close();
        }

        @Override
        protected void hookOnError(Throwable e) {
            if (!(e instanceof LockTimeoutException)) {
                errors.increment();
            }
        }
    }
}
