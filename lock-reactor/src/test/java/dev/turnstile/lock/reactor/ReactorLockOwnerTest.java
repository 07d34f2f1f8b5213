package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Deadlock;
import dev.turnstile.lock.Deadlocks;
import dev.turnstile.lock.LockOrderViolationException;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The {@link LockOwner} in the subscriber's {@code Context}: a pipeline is one acquirer for lock ranks
 * and deadlock detection, whichever threads its signals run on.
 */
class ReactorLockOwnerTest {
    private final Mutex<String> accounts = Mutex.builder().name("accounts").rank(1).build("a");
    private final Mutex<String> ledger = Mutex.builder().name("ledger").rank(2).build("l");

    @Test
    void aPipelineAcquiresRankedLocksInOrder() {
        Mono<String> posting = ReactorLocks.withLock(accounts, a ->
                        ReactorLocks.withLock(ledger, l -> Mono.just(a.get() + l.get())))
                .contextWrite(ReactorLocks.ownedBy(LockOwner.named("in-order")));
        StepVerifier.create(posting).expectNext("al").verifyComplete();
        assertFree(accounts);
        assertFree(ledger);
    }

    @Test
    void anOutOfOrderScopeFailsTheSubscriptionBeforeQueuing() {
        MutexGuard<String> heldElsewhere = accounts.lock(); // the refused acquisition would have queued
        try {
            Mono<String> posting = ReactorLocks.withLock(ledger, l ->
                            ReactorLocks.withLock(accounts, a -> Mono.just("never")))
                    .contextWrite(ReactorLocks.ownedBy(LockOwner.named("out-of-order")));
            StepVerifier.create(posting)
                    .expectErrorSatisfies(e -> {
                        assertTrue(e instanceof LockOrderViolationException, String.valueOf(e));
                        assertTrue(e.getMessage().startsWith("task \"out-of-order\""), e.getMessage());
                    })
                    .verify(Duration.ofSeconds(10));
            assertEquals(0, accounts.queueLength(), "nothing was queued");
        } finally {
            heldElsewhere.close();
        }
        assertFree(ledger); // the outer scope released on the error
        assertFree(accounts);
    }

    @Test
    void anOutOfOrderMonoOfAGuardFailsToo() {
        LockOwner owner = LockOwner.named("guards");
        Mono<MutexGuard<String>> lower = ReactorLocks.lock(ledger)
                .flatMap(l -> ReactorLocks.lock(accounts).doFinally(signal -> l.close()))
                .contextWrite(ReactorLocks.ownedBy(owner));
        StepVerifier.create(lower).expectError(LockOrderViolationException.class).verify(Duration.ofSeconds(10));
        assertFree(accounts);
        assertFree(ledger);
    }

    @Test
    void rwLockAcquisitionsCountForTheOwnerToo() {
        RwLock<String> low = RwLock.builder().name("low").rank(0).build("r");
        Mono<String> reading = ReactorLocks.withRead(low, r -> Mono.just(r.get()))
                .contextWrite(ReactorLocks.ownedBy(LockOwner.named("reader")));
        StepVerifier.create(reading).expectNext("r").verifyComplete();
        Mono<String> outOfOrder = ReactorLocks.withLock(ledger, l -> ReactorLocks.withWrite(low, w -> Mono.just("x")))
                .contextWrite(ReactorLocks.ownedBy(LockOwner.named("writer")));
        StepVerifier.create(outOfOrder).expectError(LockOrderViolationException.class).verify(Duration.ofSeconds(10));
        assertFree(low);
        assertFree(ledger);
    }

    @Test
    void withoutAnOwnerEachAcquisitionIsItsOwnAcquirer() {
        Mono<String> unowned = ReactorLocks.withLock(ledger, l -> ReactorLocks.withLock(accounts, a -> Mono.just("ok")));
        StepVerifier.create(unowned).expectNext("ok").verifyComplete();
        assertFree(accounts);
        assertFree(ledger);
    }

    @Test
    void twoPipelinesDeadlockedAsTwoOwnersAreFound() {
        Mutex<String> a = Mutex.builder().name("pa").detectDeadlocks().build("a");
        Mutex<String> b = Mutex.builder().name("pb").detectDeadlocks().build("b");
        LockOwner first = LockOwner.named("pipeline-1");
        LockOwner second = LockOwner.named("pipeline-2");
        Sinks.One<Boolean> bothHold = Sinks.one();
        Sinks.One<Boolean> firstHolds = Sinks.one();
        Disposable one = ReactorLocks.withLock(a, ga -> {
                    firstHolds.tryEmitValue(true);
                    return bothHold.asMono().then(ReactorLocks.withLock(b, gb -> Mono.just("never")));
                })
                .contextWrite(ReactorLocks.ownedBy(first))
                .subscribe();
        firstHolds.asMono().block(Duration.ofSeconds(10));
        Disposable two = ReactorLocks.withLock(b, gb -> {
                    bothHold.tryEmitValue(true);
                    return ReactorLocks.withLock(a, ga -> Mono.just("never"));
                })
                .contextWrite(ReactorLocks.ownedBy(second))
                .subscribe();
        try {
            List<Deadlock> found = await().atMost(Duration.ofSeconds(20))
                    .until(Deadlocks::detect, Predicate.not(List::isEmpty));
            assertEquals(1, found.size());
            assertEquals(Set.of(first, second), new HashSet<>(found.get(0).acquirers()));
        } finally {
            one.dispose(); // cancelling withdraws the queued acquisitions and releases the scopes
            two.dispose();
        }
        assertFree(a);
        assertFree(b);
    }
}
