package dev.turnstile.lock.reactor;

import static dev.turnstile.lock.reactor.Locks.assertFree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.test.StepVerifier;

/**
 * Waits at the ends of the range: a timeout longer than a {@code long} of nanoseconds (or a deadline
 * of {@link Instant#MAX}) waits as long as it takes, as lock-core's forms do (they saturate); a
 * timeout at the negative end, or {@link Instant#MIN}, is one attempt. Never an error of arithmetic.
 */
@Timeout(30)
class ReactorExtremeWaitsTest {
    private static final List<Duration> HUGE = List.of(Duration.ofSeconds(Long.MAX_VALUE), Duration.ofDays(365L * 300));

    @Test
    void aWaitLongerThanTheNanosecondRangeWaitsForTheGrant() {
        Mutex<String> mutex = Mutex.builder().name("m").build("v");
        for (Duration huge : HUGE) {
            MutexGuard<String> held = mutex.lock();
            StepVerifier.create(ReactorLocks.tryLock(mutex, huge))
                    .then(held::close)
                    .assertNext(MutexGuard::close)
                    .verifyComplete();
            assertFree(mutex);
        }
        MutexGuard<String> held = mutex.lock();
        StepVerifier.create(ReactorLocks.tryLock(mutex, Instant.MAX))
                .then(held::close)
                .assertNext(MutexGuard::close)
                .verifyComplete();
        assertFree(mutex);
    }

    @Test
    void rwLockFormsToo() {
        RwLock<String> lock = new RwLock<>("v");
        for (Duration huge : HUGE) {
            var w = lock.write();
            StepVerifier.create(ReactorLocks.tryRead(lock, huge)).then(w::close).assertNext(g -> g.close()).verifyComplete();
            var r = lock.read();
            StepVerifier.create(ReactorLocks.tryWrite(lock, huge)).then(r::close).assertNext(g -> g.close()).verifyComplete();
        }
        assertEquals(0, lock.readHolds());
    }

    @Test
    void theNegativeEndIsOneAttempt() {
        Mutex<String> mutex = Mutex.builder().name("m").build("v");
        MutexGuard<String> held = mutex.lock();
        for (Duration d : List.of(Duration.ofSeconds(Long.MIN_VALUE), Duration.ofNanos(-1))) {
            StepVerifier.create(ReactorLocks.tryLock(mutex, d))
                    .expectErrorSatisfies(e -> assertEquals(Duration.ZERO,
                            assertInstanceOf(LockTimeoutException.class, e).waitDuration()))
                    .verify();
        }
        StepVerifier.create(ReactorLocks.tryLock(mutex, Instant.MIN))
                .expectError(LockTimeoutException.class)
                .verify();
        assertEquals(0, mutex.queueLength());
        held.close();
        assertFree(mutex);
    }
}
