package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@code ReactorLocks} on an {@link RwLock}: read, write, upgradable read, upgrade, and the scoped forms. */
class ReactorRwLockTest {
    private final RwLock<int[]> lock = RwLock.builder().name("table").build(new int[1]);

    private void awaitQueued(int n) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lock.queueLength() == n);
    }

    @Test
    void readsShareAndAreLazy() {
        Mono<ReadGuard<int[]>> read = ReactorLocks.read(lock);
        assertEquals(0, lock.readHolds());
        StepVerifier.create(Mono.zip(read, read))
                .assertNext(both -> {
                    assertEquals(2, lock.readHolds());
                    both.getT1().close();
                    both.getT2().close();
                })
                .verifyComplete();
        assertFree(lock);
    }

    @Test
    void aWriterWaitsForTheReaderAndCancellingItWithdraws() {
        ReadGuard<int[]> reader = lock.read();
        StepVerifier.create(ReactorLocks.write(lock))
                .expectSubscription()
                .then(() -> awaitQueued(1))
                .thenCancel()
                .verify();
        assertEquals(0, lock.queueLength());
        StepVerifier.create(ReactorLocks.write(lock))
                .expectSubscription()
                .then(() -> awaitQueued(1))
                .then(reader::close)
                .assertNext(w -> {
                    assertTrue(lock.isWriteLocked());
                    w.close();
                })
                .verifyComplete();
        assertFree(lock);
    }

    @Test
    void tryReadAndTryWriteTimeOutOnVirtualTime() {
        WriteGuard<int[]> writer = lock.write();
        StepVerifier.withVirtualTime(() -> ReactorLocks.tryRead(lock, Duration.ofSeconds(3)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(3))
                .expectErrorSatisfies(e -> assertEquals("table", assertInstanceOf(LockTimeoutException.class, e).lockName()))
                .verify();
        StepVerifier.withVirtualTime(() -> ReactorLocks.tryWrite(lock, Duration.ofSeconds(3)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(3))
                .expectError(LockTimeoutException.class)
                .verify();
        assertEquals(0, lock.queueLength());
        writer.close();
        assertFree(lock);
    }

    @Test
    void withReadAndWithWriteReleaseOnEveryExit() {
        StepVerifier.create(ReactorLocks.withWrite(lock, w -> Mono.just(++w.get()[0]))).expectNext(1).verifyComplete();
        StepVerifier.create(ReactorLocks.withRead(lock, r -> Mono.just(r.get()[0]))).expectNext(1).verifyComplete();
        StepVerifier.create(ReactorLocks.withWrite(lock, w -> Mono.error(new IllegalStateException("w"))))
                .expectErrorMessage("w").verify();
        StepVerifier.create(ReactorLocks.<int[], Integer>withRead(lock, r -> {
            throw new IllegalStateException("r");
        })).expectErrorMessage("r").verify();
        StepVerifier.create(ReactorLocks.withRead(lock, r -> Mono.never())).expectSubscription()
                .then(() -> assertEquals(1, lock.readHolds())).thenCancel().verify();
        StepVerifier.withVirtualTime(() -> ReactorLocks.withWrite(lock, w -> Mono.never()).timeout(Duration.ofSeconds(1)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(1))
                .expectError(TimeoutException.class)
                .verify();
        assertFree(lock);
    }

    @Test
    void withReadManyAndWithWriteManyRelayUnderDemandAndRelease() {
        StepVerifier.create(ReactorLocks.withWriteMany(lock, w -> Flux.range(1, 3).doOnNext(i -> w.get()[0] += i)), 1)
                .expectNext(1)
                .then(() -> assertTrue(lock.isWriteLocked()))
                .thenRequest(5)
                .expectNext(2, 3)
                .verifyComplete();
        StepVerifier.create(ReactorLocks.withReadMany(lock, r -> Flux.just(r.get()[0], r.get()[0])).repeat(1))
                .expectNext(6, 6, 6, 6)
                .verifyComplete();
        StepVerifier.create(ReactorLocks.withReadMany(lock, r -> Flux.interval(Duration.ofMillis(1))).take(2))
                .expectNextCount(2).verifyComplete();
        assertFree(lock);
    }

    @Test
    void scopedFormsRunOnTheSchedulerGiven() {
        Scheduler single = Schedulers.newSingle("rw");
        try {
            StepVerifier.create(ReactorLocks.withRead(lock, r -> Mono.just(Thread.currentThread().getName()), single)
                            .concatWith(ReactorLocks.withWrite(lock, w -> Mono.just(Thread.currentThread().getName()), single))
                            .concatWith(ReactorLocks.withReadMany(lock, r -> Flux.just(Thread.currentThread().getName()), single))
                            .concatWith(ReactorLocks.withWriteMany(lock, w -> Flux.just(Thread.currentThread().getName()), single))
                            .concatWith(ReactorLocks.read(lock, single).map(g -> {
                                g.close();
                                return Thread.currentThread().getName();
                            }))
                            .concatWith(ReactorLocks.write(lock, single).map(g -> {
                                g.close();
                                return Thread.currentThread().getName();
                            })))
                    .thenConsumeWhile(name -> name.startsWith("rw"))
                    .verifyComplete();
        } finally {
            single.dispose();
        }
        assertFree(lock);
    }

    @Test
    void upgradableReadThenUpgradeBecomesTheWriter() {
        StepVerifier.create(ReactorLocks.upgradableRead(lock)
                        .flatMap(u -> ReactorLocks.upgrade(u))
                        .map(w -> {
                            w.get()[0] = 42;
                            w.close();
                            return "written";
                        }))
                .expectNext("written")
                .verifyComplete();
        assertFree(lock);
        assertEquals(42, lock.withRead(a -> a[0]).intValue());
    }

    @Test
    void anUpgradeWaitsForReadersAndCancellingItGivesTheUpgradableHoldBack() {
        UpgradableGuard<int[]> u = lock.upgradableRead();
        ReadGuard<int[]> reader = lock.read();
        StepVerifier.create(ReactorLocks.upgrade(u))
                .expectSubscription()
                .then(() -> assertFalse(lock.isWriteLocked()))
                .thenCancel()
                .verify();
        assertTrue(u.isHeld(), "a withdrawn upgrade gives the hold back");
        reader.close();
        StepVerifier.create(ReactorLocks.upgrade(u)).assertNext(WriteGuard::close).verifyComplete();
        assertFalse(u.isHeld());
        assertFree(lock);
    }

    @Test
    void anUpgradeOnVirtualTimeWithADownstreamTimeoutKeepsTheUpgradableHold() {
        UpgradableGuard<int[]> u = lock.upgradableRead();
        ReadGuard<int[]> reader = lock.read();
        StepVerifier.withVirtualTime(() -> ReactorLocks.upgrade(u).timeout(Duration.ofSeconds(2)))
                .expectSubscription()
                .thenAwait(Duration.ofSeconds(2))
                .expectError(TimeoutException.class)
                .verify();
        assertTrue(u.isHeld());
        reader.close();
        u.close();
        assertFree(lock);
    }

    @Test
    void anUpgradeIsSingleUse() {
        UpgradableGuard<int[]> u = lock.upgradableRead();
        Mono<WriteGuard<int[]>> upgrade = ReactorLocks.upgrade(u);
        StepVerifier.create(upgrade).assertNext(WriteGuard::close).verifyComplete();
        StepVerifier.create(upgrade).expectError(IllegalStateException.class).verify();
        assertFree(lock);
        assertThrows(NullPointerException.class, () -> ReactorLocks.upgrade(null));
    }

    @Test
    void upgradableReadersExcludeEachOtherButNotReaders() {
        UpgradableGuard<int[]> first = lock.upgradableRead();
        AtomicReference<UpgradableGuard<int[]>> second = new AtomicReference<>();
        StepVerifier.create(Mono.zip(ReactorLocks.read(lock), ReactorLocks.upgradableRead(lock).doOnNext(second::set)))
                .expectSubscription()
                .then(() -> awaitQueued(1))
                .then(first::close)
                .assertNext(t -> {
                    t.getT1().close();
                    t.getT2().close();
                })
                .verifyComplete();
        assertFree(lock);
    }
}
