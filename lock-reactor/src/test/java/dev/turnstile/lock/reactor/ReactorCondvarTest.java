package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@code ReactorLocks.await}: waiting on a {@link Condvar} from a pipeline. */
class ReactorCondvarTest {
    private final Mutex<Deque<Integer>> queue = Mutex.builder().name("jobs").build(new ArrayDeque<>());
    private final Condvar notEmpty = new Condvar();

    private Mono<MutexGuard<Deque<Integer>>> nonEmpty(MutexGuard<Deque<Integer>> g) {
        return g.get().isEmpty() ? ReactorLocks.await(notEmpty, g).flatMap(this::nonEmpty) : Mono.just(g);
    }

    private void push(int job) {
        try (MutexGuard<Deque<Integer>> g = queue.lock()) {
            g.get().add(job);
            notEmpty.notifyOne();
        }
    }

    @Test
    void aNotificationWakesTheSubscriberWithTheMutexHeldAgain() {
        StepVerifier.create(ReactorLocks.lock(queue).flatMap(this::nonEmpty).map(g -> {
                    assertTrue(queue.isLocked());
                    try (g) {
                        return g.get().poll();
                    }
                }))
                .expectSubscription()
                .then(() -> Awaitility.await().until(() -> !queue.isLocked()))
                .then(() -> push(7))
                .expectNext(7)
                .verifyComplete();
        assertFree(queue);
    }

    @Test
    void theWaitStartsOnRequestAndTheGuardIsSpentOnce() {
        MutexGuard<Deque<Integer>> g = queue.lock();
        Mono<MutexGuard<Deque<Integer>>> await = ReactorLocks.await(notEmpty, g);
        assertTrue(g.isHeld(), "nothing happens before a subscriber requests");
        StepVerifier.create(await, 0)
                .expectSubscription()
                .then(() -> assertTrue(g.isHeld()))
                .thenRequest(1)
                .then(() -> assertFalse(g.isHeld()))
                .then(() -> push(1))
                .assertNext(MutexGuard::close)
                .verifyComplete();
        StepVerifier.create(await).expectError(IllegalStateException.class).verify();
        assertFree(queue);
    }

    @Test
    void aDownstreamTimeoutOnVirtualTimeGivesUpTheWaitAndTheMutex() {
        StepVerifier.withVirtualTime(() -> ReactorLocks.await(notEmpty, queue.lock()).timeout(Duration.ofSeconds(5)))
                .expectSubscription()
                .expectNoEvent(Duration.ofSeconds(4))
                .thenAwait(Duration.ofSeconds(1))
                .expectError(TimeoutException.class)
                .verify();
        assertFree(queue);
        assertFalse(notEmpty.notifyOne(), "the cancelled waiter left the condvar");
    }

    @Test
    void aCancelledWaiterLeavesTheNotificationToTheOthers() {
        Flux<Integer> two = Flux.merge(
                ReactorLocks.lock(queue).flatMap(this::nonEmpty).map(g -> {
                    try (g) {
                        return g.get().poll();
                    }
                }),
                ReactorLocks.lock(queue).flatMap(g -> ReactorLocks.await(notEmpty, g)).map(g -> {
                    g.close();
                    return -1;
                }).take(Duration.ofMillis(1)));
        StepVerifier.create(two)
                .expectSubscription()
                .then(() -> Awaitility.await().until(() -> !queue.isLocked() && notEmpty.toString().contains("(1 waiting)")))
                .then(() -> push(3))
                .expectNext(3)
                .verifyComplete();
        assertFree(queue);
    }

    @Test
    void aTimedWaitEmitsAWakeupEitherWay() {
        StepVerifier.create(ReactorLocks.await(notEmpty, queue.lock(), Duration.ofMillis(10)))
                .assertNext(w -> {
                    assertFalse(w.notified());
                    assertTrue(w.guard().isHeld());
                    w.guard().close();
                })
                .verifyComplete();
        StepVerifier.create(ReactorLocks.lock(queue).flatMap(g -> ReactorLocks.await(notEmpty, g, Duration.ofMinutes(1))))
                .expectSubscription()
                .then(() -> Awaitility.await().until(() -> !queue.isLocked()))
                .then(() -> push(9))
                .assertNext(w -> {
                    assertTrue(w.notified());
                    assertEquals(9, w.guard().get().poll());
                    w.guard().close();
                })
                .verifyComplete();
        assertFree(queue);
    }

    @Test
    void awaitsOnTheSchedulerGiven() {
        var single = Schedulers.newSingle("wake");
        try {
            StepVerifier.create(ReactorLocks.lock(queue).flatMap(g -> ReactorLocks.await(notEmpty, g, single))
                            .map(g -> {
                                g.close();
                                return Thread.currentThread().getName();
                            }))
                    .expectSubscription()
                    .then(() -> Awaitility.await().until(() -> !queue.isLocked()))
                    .then(() -> push(1))
                    .assertNext(name -> assertTrue(name.startsWith("wake"), name))
                    .verifyComplete();
        } finally {
            single.dispose();
        }
        assertFree(queue);
    }
}
