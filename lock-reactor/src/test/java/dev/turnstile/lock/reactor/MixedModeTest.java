package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One lock serving every kind of waiter at once: platform threads, virtual threads,
 * {@code CompletableFuture} acquisitions and Reactor subscribers each add to one counter. Reactor's
 * side runs on {@code boundedElastic()}: on {@code parallel()} BlockHound would report lock-core's
 * queue-guard spin (see the disabled tests in {@link NeverBlocksTest}).
 */
class MixedModeTest {
    static final int PER_PARTY = 20_000;

    @Test
    void threadsVirtualThreadsFuturesAndMonosShareOneMutex() throws Exception {
        Mutex<long[]> mutex = new Mutex<>(new long[1]);
        Runnable blocking = () -> {
            for (int i = 0; i < PER_PARTY; i++) {
                try (MutexGuard<long[]> g = mutex.lock()) {
                    g.get()[0]++;
                }
            }
        };
        List<Thread> threads = List.of(Thread.ofPlatform().start(blocking), Thread.ofVirtual().start(blocking),
                Thread.ofVirtual().start(blocking));
        CompletableFuture<Void> futures = CompletableFuture.runAsync(() -> {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int i = 0; i < PER_PARTY; i++) {
                all.add(mutex.lockAsync().thenAccept(g -> {
                    g.get()[0]++;
                    g.close();
                }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        });
        Mono<Long> monos = Flux.range(0, PER_PARTY)
                .flatMap(i -> i % 2 == 0
                        ? ReactorLocks.withLock(mutex, g -> Mono.fromSupplier(() -> ++g.get()[0]))
                        : ReactorLocks.lock(mutex, Schedulers.boundedElastic()).map(g -> {
                            try (g) {
                                return ++g.get()[0];
                            }
                        }), 64)
                .subscribeOn(Schedulers.boundedElastic())
                .count();
        assertEquals(PER_PARTY, monos.block(Duration.ofSeconds(120)).longValue());
        futures.get();
        for (Thread t : threads) {
            t.join();
        }
        assertFree(mutex);
        long total = mutex.withLock(a -> a[0]);
        assertEquals(5L * PER_PARTY, total);
    }

    @Test
    void readersAndWritersOfEveryKindShareOneRwLock() throws Exception {
        // the invariant a writer keeps: both cells equal; every reader checks it
        RwLock<long[]> lock = new RwLock<>(new long[2]);
        LongAdder torn = new LongAdder();
        Runnable blocking = () -> {
            for (int i = 0; i < PER_PARTY / 2; i++) {
                if (i % 4 == 0) {
                    try (WriteGuard<long[]> w = lock.write()) {
                        w.get()[0]++;
                        w.get()[1]++;
                    }
                } else {
                    try (ReadGuard<long[]> r = lock.read()) {
                        if (r.get()[0] != r.get()[1]) {
                            torn.increment();
                        }
                    }
                }
            }
        };
        List<Thread> threads = List.of(Thread.ofPlatform().start(blocking), Thread.ofVirtual().start(blocking));
        CompletableFuture<Void> futures = CompletableFuture.runAsync(() -> {
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < PER_PARTY / 2; i++) {
                all.add(i % 4 == 0
                        ? lock.writeAsync().thenAccept(w -> {
                            w.get()[0]++;
                            w.get()[1]++;
                            w.close();
                        })
                        : lock.readAsync().thenAccept(r -> {
                            if (r.get()[0] != r.get()[1]) {
                                torn.increment();
                            }
                            r.close();
                        }));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        });
        long monos = Flux.range(0, PER_PARTY / 2)
                .flatMap(i -> i % 4 == 0
                        ? ReactorLocks.withWrite(lock, w -> Mono.fromSupplier(() -> {
                            w.get()[1]++;
                            return ++w.get()[0];
                        }))
                        : ReactorLocks.withRead(lock, r -> Mono.fromSupplier(() -> {
                            if (r.get()[0] != r.get()[1]) {
                                torn.increment();
                            }
                            return r.get()[0];
                        }), Schedulers.boundedElastic()), 64)
                .subscribeOn(Schedulers.boundedElastic())
                .count()
                .block(Duration.ofSeconds(120));
        assertEquals(PER_PARTY / 2, monos);
        futures.get();
        for (Thread t : threads) {
            t.join();
        }
        assertFree(lock);
        assertEquals(0, torn.sum());
        long writes = lock.withRead(a -> a[0]);
        assertEquals(4L * (PER_PARTY / 2 / 4), writes);
    }
}
