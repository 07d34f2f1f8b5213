package dev.turnstile.lock.breakapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Non-positive waits as "try once" on every asynchronous form, including the owner form and inside a
 * grant delivery (a continuation of another lock's future).
 */
@Timeout(30)
class TryOnceBreakTest {
    private static final List<Duration> NON_POSITIVE =
            List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofMillis(-5), Duration.ofSeconds(Long.MIN_VALUE));

    private static LockTimeoutException timeoutOf(CompletableFuture<?> f) {
        assertTrue(f.isDone(), "a non-positive wait is complete when the call returns");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, f::get);
        return assertInstanceOf(LockTimeoutException.class, e.getCause());
    }

    @Test
    void theOwnerFormTreatsANegativeWaitAsZeroLikeEveryOtherForm() {
        Mutex<String> m = Mutex.builder().name("m").build("v");
        LockOwner owner = LockOwner.named("task");
        try (MutexGuard<String> held = m.lock()) {
            for (Duration d : NON_POSITIVE) {
                assertEquals(Duration.ZERO, timeoutOf(m.tryLockAsync(d)).waitDuration());
                assertEquals(Duration.ZERO, timeoutOf(m.tryLockAsync(d, owner)).waitDuration(),
                        "the owner form reports the wait it made, not a negative one: " + d);
            }
        }
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }

    @Test
    void theOwnerFormHasItsDeadlineForm() throws Exception { // it was missing: no Instant beside this Duration
        Mutex<String> m = new Mutex<>("v");
        LockOwner owner = LockOwner.named("task");
        m.tryLockAsync(Instant.MIN, owner).get(5, TimeUnit.SECONDS).close();
        m.tryLockAsync(Instant.MAX, owner).get(5, TimeUnit.SECONDS).close();
        try (MutexGuard<String> held = m.lock()) {
            assertEquals(Duration.ZERO, timeoutOf(m.tryLockAsync(Instant.now().minusSeconds(1), owner)).waitDuration());
        }
        assertEquals(0, m.queueLength());
    }

    /**
     * Inside a grant delivery (a continuation running on the releasing thread), a zero-wait try on a
     * free lock is granted through the trampoline: it completes once the current continuation returns.
     */
    @Test
    void insideAGrantDeliveryAZeroWaitTryOnAFreeLockIsGrantedRightAfterTheContinuation() throws Exception {
        Mutex<String> first = new Mutex<>("a");
        RwLock<String> second = new RwLock<>("b");
        MutexGuard<String> held = first.lock();
        AtomicReference<CompletableFuture<?>> inner = new AtomicReference<>();
        AtomicReference<Boolean> doneOnReturn = new AtomicReference<>();
        CompletableFuture<Void> chain = first.lockAsync().thenAccept(g -> {
            CompletableFuture<?> f = second.tryReadAsync(Duration.ZERO);
            inner.set(f);
            doneOnReturn.set(f.isDone());
            g.close();
        });
        held.close(); // grants on this thread, through the trampoline
        chain.get(5, TimeUnit.SECONDS);
        CompletableFuture<?> f = inner.get();
        assertTrue(f.isDone(), "granted once the continuation returned");
        ((AutoCloseable) f.get()).close();
        assertFalse(doneOnReturn.get(), "documented: inside a delivery the grant waits for the trampoline");
    }

    /** Every public timeout form of the core has a deadline form beside it, with the same other parameters. */
    @Test
    void everyDurationFormHasAnInstantForm() {
        List<String> missing = new java.util.ArrayList<>();
        for (Class<?> type : List.of(Mutex.class, RwLock.class, dev.turnstile.lock.Condvar.class,
                dev.turnstile.lock.UpgradableGuard.class)) {
            for (var m : type.getMethods()) {
                Class<?>[] params = m.getParameterTypes();
                int at = List.of(params).indexOf(Duration.class);
                if (at < 0 || m.getDeclaringClass() != type) {
                    continue;
                }
                Class<?>[] instead = params.clone();
                instead[at] = Instant.class;
                String name = m.getName();
                boolean found = false;
                for (String candidate : List.of(name, name.replace("await", "awaitUntil"))) {
                    try {
                        type.getMethod(candidate, instead);
                        found = true;
                    } catch (NoSuchMethodException e) {
                        // try the next name
                    }
                }
                if (!found) {
                    missing.add(type.getSimpleName() + "." + m);
                }
            }
        }
        assertEquals(List.of(), missing);
    }
}
