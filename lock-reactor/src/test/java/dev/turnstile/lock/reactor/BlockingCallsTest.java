package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.BlockingCalls;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import java.time.Duration;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The Reactor-aware rule for lock-core's blocking calls: this module's detector is installed by
 * {@code ServiceLoader}, a blocking call that would park a {@code Schedulers.parallel()} thread is
 * refused in strict mode (before parking, the lock untouched) and counted in warn mode, and a
 * {@code boundedElastic()} thread may block.
 */
class BlockingCallsTest {
    private final Mutex<String> mutex = Mutex.builder().name("rule").build("v");

    @BeforeAll
    static void loadTheDetectorsOffTheNonBlockingThreads() {
        Detectors.warmUp();
    }

    @AfterEach
    void backToTheDefault() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.WARN);
    }

    @Test
    void theDetectorIsAServiceOfThisModule() {
        assertTrue(ServiceLoader.load(NonBlockingThreadDetector.class).stream()
                .anyMatch(p -> p.type() == ReactorNonBlockingThreads.class));
        assertNull(new ReactorNonBlockingThreads().nonBlockingReason(), "the test thread may block");
        String onParallel = Mono.fromSupplier(() -> new ReactorNonBlockingThreads().nonBlockingReason())
                .subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertTrue(onParallel.contains("ReactorLocks"), onParallel);
    }

    @Test
    void strictRefusesToParkAParallelThreadAndLeavesTheLockUntouched() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        MutexGuard<String> held = mutex.lock();
        long before = BlockingCalls.detected();
        Throwable refused = Mono.fromCallable(() -> refuseOnPurpose(mutex))
                .subscribeOn(Schedulers.parallel())
                .map(g -> (Throwable) new AssertionError("acquired while held"))
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        IllegalStateException e = assertInstanceOf(IllegalStateException.class, refused);
        assertTrue(e.getMessage().contains("rule") && e.getMessage().contains("ReactorLocks"), e.getMessage());
        assertEquals(0, mutex.queueLength(), "the refused call left a waiter");
        assertTrue(held.isHeld() && mutex.isLocked());
        assertEquals(before + 1, BlockingCalls.detected());
        held.close();
        assertFree(mutex);
    }

    @Test
    void strictRefusesBeforeSpinningOnANonBlockingThread() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        MutexGuard<String> held = mutex.lock();
        Throwable refused = Mono.fromCallable(() -> mutex.lock()) // not inside an allowed helper
                .subscribeOn(Schedulers.parallel())
                .map(g -> (Throwable) new AssertionError("acquired while held"))
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        held.close();
        assertInstanceOf(IllegalStateException.class, refused, () -> "BlockHound saw: " + refused);
    }

    @Test
    void strictLetsABoundedElasticThreadBlock() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        MutexGuard<String> held = mutex.lock();
        long before = BlockingCalls.detected();
        Optional<MutexGuard<String>> timedOut = Mono.fromCallable(() -> mutex.tryLock(Duration.ofMillis(20)))
                .subscribeOn(Schedulers.boundedElastic())
                .block(Duration.ofSeconds(10));
        assertTrue(timedOut.isEmpty(), "parked and timed out, as a blocking thread may");
        assertEquals(before, BlockingCalls.detected());
        CountDownLatch waiting = new CountDownLatch(1);
        Mono<String> blocked = Mono.fromCallable(() -> {
            waiting.countDown();
            try (MutexGuard<String> g = mutex.lock()) {
                return g.get();
            }
        }).subscribeOn(Schedulers.boundedElastic()).cache();
        blocked.subscribe();
        Locks.await(waiting);
        Locks.awaitQueued(mutex, 1);
        held.close();
        assertEquals("v", blocked.block(Duration.ofSeconds(10)));
        assertEquals(before, BlockingCalls.detected());
        assertFree(mutex);
    }

    @Test
    void warnParksButCountsEveryOccurrence() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.WARN);
        MutexGuard<String> held = mutex.lock();
        long before = BlockingCalls.detected();
        Boolean acquired = Mono.fromCallable(() -> parkOnPurpose(mutex))
                .subscribeOn(Schedulers.parallel())
                .block(Duration.ofSeconds(10));
        assertFalse(acquired, "timed out while held");
        Mono.fromCallable(() -> parkOnPurpose(mutex)).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertEquals(before + 2, BlockingCalls.detected());
        held.close();
        assertFree(mutex);
    }

    @Test
    void offAsksNoDetector() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.OFF);
        MutexGuard<String> held = mutex.lock();
        long before = BlockingCalls.detected();
        Mono.fromCallable(() -> parkOnPurpose(mutex)).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        assertEquals(before, BlockingCalls.detected());
        held.close();
    }

    @Test
    void theNonBlockingFormsNeverTriggerTheRule() {
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        MutexGuard<String> held = mutex.lock();
        long before = BlockingCalls.detected();
        Mono<String> viaReactor = ReactorLocks.withLock(mutex, g -> Mono.just(g.get()))
                .subscribeOn(Schedulers.parallel());
        Mono<String> pending = viaReactor.cache();
        pending.subscribe();
        Locks.awaitQueued(mutex, 1);
        held.close();
        assertEquals("v", pending.block(Duration.ofSeconds(10)));
        assertEquals(before, BlockingCalls.detected());
    }

    /**
     * A blocking {@code lock()} on a parallel-scheduler thread, expected to be refused in strict mode.
     * Allowed to BlockHound by {@link TestBlockHoundIntegration} only because lock-core spins before
     * refusing (see {@link #strictRefusesBeforeSpinningOnANonBlockingThread}, disabled).
     */
    static MutexGuard<String> refuseOnPurpose(Mutex<String> mutex) {
        return mutex.lock();
    }

    /**
     * Parks a parallel-scheduler thread for a moment in a timed {@code tryLock}: the one place where
     * this module's tests block a non-blocking thread on purpose (allowed to BlockHound by
     * {@link TestBlockHoundIntegration}).
     */
    static boolean parkOnPurpose(Mutex<String> mutex) {
        Optional<MutexGuard<String>> g = mutex.tryLock(Duration.ofMillis(5));
        g.ifPresent(MutexGuard::close);
        return g.isPresent();
    }
}
