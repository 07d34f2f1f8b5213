package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * BlockHound (installed for this module's tests) watches every Reactor non-blocking thread: these
 * tests acquire, release, cancel and time out from {@code Schedulers.parallel()}-style threads and
 * fail on any blocking call, whether it surfaces in the pipeline, in Reactor's dropped-error hook, or
 * in the scheduler's error handler.
 */
class NeverBlocksTest {
    private final List<Throwable> escaped = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void loadTheDetectorsOffTheNonBlockingThreads() {
        Detectors.warmUp();
    }

    @BeforeEach
    void collectErrorsThatLeaveThePipelines() {
        Hooks.onErrorDropped(escaped::add);
        Schedulers.onHandleError("never-blocks", (thread, error) -> escaped.add(error));
    }

    @AfterEach
    void resetHooks() {
        Hooks.resetOnErrorDropped();
        Schedulers.resetOnHandleError("never-blocks");
    }

    @Test
    void blockHoundIsWatchingTheParallelScheduler() {
        StepVerifier.create(Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return 1;
                }).subscribeOn(Schedulers.parallel()))
                .expectError(BlockingOperationError.class)
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void acquiringReleasingCancellingAndTimingOutNeverBlockANonBlockingThread() {
        Scheduler nb = Schedulers.newParallel("nb", 1);
        Mutex<long[]> mutex = new Mutex<>(new long[1]);
        RwLock<long[]> rw = new RwLock<>(new long[1]);
        try {
            // a reactive holder keeps the mutex while acquisitions queue, time out and are cancelled
            Mono<Long> scenario = ReactorLocks.lock(mutex).flatMap(held -> {
                Mono<Object> timedOut = ReactorLocks.tryLock(mutex, Duration.ofMillis(5), nb).cast(Object.class)
                        .onErrorResume(LockTimeoutException.class, e -> Mono.just("timed out"));
                Mono<Object> cancelled = ReactorLocks.lock(mutex).cast(Object.class)
                        .timeout(Duration.ofMillis(5), Mono.just("cancelled"), nb);
                Mono<Long> queued = ReactorLocks.withLock(mutex, g -> Mono.just(++g.get()[0]), nb);
                return Mono.when(timedOut, cancelled)
                        .then(Mono.defer(() -> {
                            Mono<Long> afterRelease = queued.cache();
                            afterRelease.subscribe();
                            held.close();
                            return afterRelease;
                        }));
            });
            Flux<Long> many = Flux.range(0, 2_000)
                    .flatMap(i -> ReactorLocks.withLock(mutex, g -> Mono.just(++g.get()[0]), nb), 32);
            Flux<Long> manyRw = Flux.range(0, 2_000)
                    .flatMap(i -> i % 4 == 0
                            ? ReactorLocks.withWrite(rw, g -> Mono.just(++g.get()[0]), nb)
                            : ReactorLocks.withRead(rw, g -> Mono.just(g.get()[0]), nb), 32);
            Flux<Long> scoped = ReactorLocks.withLockMany(mutex, g -> Flux.interval(Duration.ofMillis(1), nb)).take(3);
            StepVerifier.create(scenario.subscribeOn(nb)
                            .thenMany(many.subscribeOn(nb))
                            .thenMany(manyRw.subscribeOn(nb))
                            .thenMany(scoped.subscribeOn(nb))
                            .then())
                    .verifyComplete();
        } finally {
            nb.dispose();
        }
        assertTrue(escaped.isEmpty(), () -> "errors outside the pipelines: " + escaped);
        assertFree(mutex);
        assertFree(rw);
        long total = mutex.withLock(a -> a[0]);
        assertEquals(2_001L, total);
    }

    @Test
    void anAsynchronousAcquisitionThatMeetsAContendedQueueGuardDoesNotBlock() throws Exception {
        Mutex<long[]> mutex = new Mutex<>(new long[1]);
        MutexGuard<long[]> held = mutex.lock();
        mutex.lockAsync().cancel(false); // the queue exists from now on
        Object queue = mutex.waitQueueIfPresent();
        VarHandle guard = MethodHandles.privateLookupIn(queue.getClass(), MethodHandles.lookup())
                .findVarHandle(queue.getClass(), "guard", int.class);
        guard.setVolatile(queue, 1); // another thread holds the guard: the one below has to wait for it
        AtomicBoolean freed = new AtomicBoolean();
        Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            guard.setVolatile(queue, 0);
            freed.set(true);
        });
        Throwable outcome = ReactorLocks.lock(mutex).subscribeOn(Schedulers.parallel())
                .map(g -> (Throwable) null)
                .onErrorResume(Mono::just)
                .timeout(Duration.ofMillis(500), Mono.empty())
                .block(Duration.ofSeconds(10));
        releaser.join();
        held.close();
        assertTrue(freed.get());
        if (outcome != null) {
            throw new AssertionError("an asynchronous acquisition blocked a non-blocking thread", outcome);
        }
    }

    @Test
    void neverBlocksWhileBlockingPlatformAndVirtualThreadsContendTheSameMutex() throws Exception {
        Mutex<long[]> mutex = new Mutex<>(new long[1]);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong blockingOps = new AtomicLong();
        Runnable blockingLoop = () -> {
            while (!stop.get()) {
                try (MutexGuard<long[]> g = mutex.lock()) {
                    g.get()[0]++;
                }
                blockingOps.incrementAndGet();
            }
        };
        List<Thread> threads = List.of(Thread.ofPlatform().start(blockingLoop), Thread.ofPlatform().start(blockingLoop),
                Thread.ofVirtual().start(blockingLoop), Thread.ofVirtual().start(blockingLoop));
        long reactive;
        try {
            reactive = Flux.range(0, 20_000)
                    .flatMap(i -> {
                        Mono<Long> one = ReactorLocks.withLock(mutex, g -> Mono.just(++g.get()[0]), Schedulers.parallel());
                        return switch (ThreadLocalRandom.current().nextInt(3)) {
                            case 0 -> one.timeout(Duration.ofNanos(ThreadLocalRandom.current().nextInt(50_000)),
                                    Mono.just(-1L), Schedulers.parallel());
                            case 1 -> ReactorLocks.tryLock(mutex, Duration.ofNanos(ThreadLocalRandom.current().nextInt(50_000)))
                                    .map(g -> {
                                        g.close();
                                        return 1L;
                                    })
                                    .onErrorResume(LockTimeoutException.class, e -> Mono.just(-1L));
                            default -> one;
                        };
                    }, 64)
                    .subscribeOn(Schedulers.parallel())
                    .count()
                    .block(Duration.ofSeconds(120));
        } finally {
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
        }
        assertEquals(20_000L, reactive);
        assertTrue(blockingOps.get() > 0);
        assertTrue(escaped.isEmpty(), () -> "errors outside the pipelines: " + escaped);
        assertFree(mutex);
    }

    @Test
    void aBlockingOperationErrorIsWhatBlockHoundReports() {
        // keeps the assertion style of the disabled tests honest: BlockHound's error type is the one checked
        Throwable t = Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return (Throwable) null;
                }).subscribeOn(Schedulers.parallel())
                .onErrorResume(Mono::just)
                .block(Duration.ofSeconds(10));
        assertInstanceOf(BlockingOperationError.class, t);
    }
}
