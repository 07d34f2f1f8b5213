package dev.turnstile.lock.contract;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The {@code java.util.concurrent} behaviours a Java developer relies on, each checked on
 * {@code ReentrantLock}/{@code Condition} first (the reference) and then on Turnstile, with the
 * same scenario and the same assertions.
 */
@Timeout(60)
class JucContractTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** How a waiter came back: what it threw or returned, and whether it held the lock then. */
    record Outcome(Object result, boolean heldTheLock, boolean interruptStatus) {
    }

    /** One lock-and-condition pair, blocking API, as a test sees it. */
    interface Monitor {
        /** Locks, runs {@code body} (which may await), and reports how it came back. */
        Outcome locked(Body body);

        void signal();

        boolean isLocked();
    }

    @FunctionalInterface
    interface Body {
        Object run(Waits waits) throws Exception;
    }

    /** The waits of a {@link Condition} and of a {@link Condvar}, under the same names. */
    interface Waits {
        void await() throws InterruptedException;

        void awaitUninterruptibly();

        boolean await(long nanos) throws InterruptedException;

        boolean awaitUntilPast() throws InterruptedException;
    }

    static Monitor reentrant() {
        ReentrantLock lock = new ReentrantLock();
        Condition c = lock.newCondition();
        Waits waits = new Waits() {
            public void await() throws InterruptedException {
                c.await();
            }

            public void awaitUninterruptibly() {
                c.awaitUninterruptibly();
            }

            public boolean await(long nanos) throws InterruptedException {
                return c.await(nanos, TimeUnit.NANOSECONDS);
            }

            public boolean awaitUntilPast() throws InterruptedException {
                return c.awaitUntil(new Date(System.currentTimeMillis() - 1_000));
            }
        };
        return new Monitor() {
            public Outcome locked(Body body) {
                lock.lock();
                try {
                    Object result;
                    try {
                        result = body.run(waits);
                    } catch (Exception e) {
                        result = e;
                    }
                    return new Outcome(result, lock.isHeldByCurrentThread(), Thread.interrupted());
                } finally {
                    lock.unlock();
                }
            }

            public void signal() {
                lock.lock();
                try {
                    c.signal();
                } finally {
                    lock.unlock();
                }
            }

            public boolean isLocked() {
                return lock.isLocked();
            }
        };
    }

    static Monitor turnstile() {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        return new Monitor() {
            public Outcome locked(Body body) {
                try (MutexGuard<String> g = mutex.lock()) {
                    Waits waits = new Waits() {
                        public void await() throws InterruptedException {
                            cv.await(g);
                        }

                        public void awaitUninterruptibly() {
                            cv.awaitUninterruptibly(g);
                        }

                        public boolean await(long nanos) throws InterruptedException {
                            return cv.await(g, Duration.ofNanos(nanos));
                        }

                        public boolean awaitUntilPast() throws InterruptedException {
                            return cv.awaitUntil(g, Instant.now().minusSeconds(1));
                        }
                    };
                    Object result;
                    try {
                        result = body.run(waits);
                    } catch (Exception e) {
                        result = e;
                    }
                    return new Outcome(result, g.isHeld() && mutex.isLocked(), Thread.interrupted());
                }
            }

            public void signal() {
                MutexGuard<String> g = mutex.lock(); // notifying under the mutex, as with Condition.signal()
                cv.notifyOne();
                g.close();
            }

            public boolean isLocked() {
                return mutex.isLocked();
            }
        };
    }

    private static void onBoth(java.util.function.Consumer<Monitor> scenario) {
        scenario.accept(reentrant()); // the reference: a failure here is a wrong test, not a Turnstile bug
        scenario.accept(turnstile());
    }

    // ---------------------------------------------------------------- interrupts

    @Test
    void aConsumerBlockedInAwaitEndsWithShutdownNow() {
        onBoth(monitor -> {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<Outcome> consumer = pool.submit(() -> monitor.locked(waits -> {
                for (;;) {
                    waits.await(); // nothing is ever produced
                }
            }));
            await().atMost(PATIENCE).until(() -> !monitor.isLocked()); // parked in await, lock released
            pool.shutdownNow();
            try {
                assertTrue(pool.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS), "the consumer survived shutdownNow");
                Outcome o = consumer.get();
                assertInstanceOf(InterruptedException.class, o.result());
                assertTrue(o.heldTheLock(), "InterruptedException is thrown with the lock held again");
                assertFalse(o.interruptStatus(), "throwing InterruptedException clears the status");
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertFalse(monitor.isLocked());
        });
    }

    @Test
    void awaitUninterruptiblyKeepsWaitingAndKeepsTheInterruptStatus() {
        onBoth(monitor -> {
            CompletableFuture<Thread> waiter = new CompletableFuture<>();
            CompletableFuture<Outcome> done = CompletableFuture.supplyAsync(() -> monitor.locked(waits -> {
                waiter.complete(Thread.currentThread());
                waits.awaitUninterruptibly();
                return "signalled";
            }), Executors.newVirtualThreadPerTaskExecutor());
            Thread t = waiter.join();
            await().atMost(PATIENCE).until(() -> !monitor.isLocked());
            t.interrupt();
            await().during(Duration.ofMillis(100)).atMost(PATIENCE).until(() -> !done.isDone());
            monitor.signal();
            Outcome o = done.join();
            assertEquals("signalled", o.result());
            assertTrue(o.heldTheLock());
            assertTrue(o.interruptStatus(), "the interrupt is kept as the status");
        });
    }

    @Test
    void aTimedAwaitIsInterruptible() {
        onBoth(monitor -> {
            CompletableFuture<Thread> waiter = new CompletableFuture<>();
            CompletableFuture<Outcome> done = CompletableFuture.supplyAsync(() -> monitor.locked(waits -> {
                waiter.complete(Thread.currentThread());
                return waits.await(TimeUnit.MINUTES.toNanos(5));
            }), Executors.newVirtualThreadPerTaskExecutor());
            Thread t = waiter.join();
            await().atMost(PATIENCE).until(() -> !monitor.isLocked());
            t.interrupt();
            Outcome o = done.join();
            assertInstanceOf(InterruptedException.class, o.result());
            assertTrue(o.heldTheLock());
        });
    }

    @Test
    void anAwaitEnteredWithTheInterruptStatusSetThrowsAtOnce() {
        onBoth(monitor -> {
            Outcome plain = monitor.locked(waits -> {
                Thread.currentThread().interrupt();
                waits.await();
                return "returned";
            });
            assertInstanceOf(InterruptedException.class, plain.result());
            assertTrue(plain.heldTheLock());
            Outcome timed = monitor.locked(waits -> {
                Thread.currentThread().interrupt();
                return waits.await(0);
            });
            assertInstanceOf(InterruptedException.class, timed.result());
            assertFalse(monitor.isLocked());
        });
    }

    // ---------------------------------------------------------------- non-positive waits

    @Test
    void nonPositiveConditionWaitsReturnFalseWithTheLockHeld() {
        onBoth(monitor -> {
            for (long nanos : new long[] {0, -1, Long.MIN_VALUE}) {
                Outcome o = monitor.locked(waits -> waits.await(nanos));
                assertEquals(false, o.result(), "a wait of " + nanos + " ns");
                assertTrue(o.heldTheLock());
            }
            Outcome past = monitor.locked(Waits::awaitUntilPast);
            assertEquals(false, past.result());
            assertTrue(past.heldTheLock());
        });
    }

    @Test
    void nonPositiveLockWaitsTryOnceLikeReentrantLock() throws Exception {
        ReentrantLock reference = new ReentrantLock();
        Mutex<String> mutex = new Mutex<>("v");
        for (Duration wait : new Duration[] {Duration.ZERO, Duration.ofNanos(-1), Duration.ofDays(-365)}) {
            // Free: acquired.
            assertTrue(reference.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS));
            Optional<MutexGuard<String>> g = mutex.tryLock(wait);
            assertTrue(g.isPresent(), "a free mutex, wait " + wait);
            // Held (by this thread's guard; a Mutex is not reentrant): refused at once, no exception.
            assertFalse(CompletableFuture.supplyAsync(() -> tryLockQuietly(reference, wait)).join());
            assertTrue(mutex.tryLock(wait).isEmpty(), "a held mutex, wait " + wait);
            reference.unlock();
            g.get().close();
        }
        Instant past = Instant.now().minusSeconds(1);
        mutex.tryLock(past).orElseThrow().close();
        assertFalse(mutex.isLocked());
        assertEquals(0, mutex.queueLength());
    }

    private static boolean tryLockQuietly(ReentrantLock lock, Duration wait) {
        try {
            return lock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void nonPositiveReadWriteWaitsTryOnceLikeReentrantReadWriteLock() throws Exception {
        ReentrantReadWriteLock reference = new ReentrantReadWriteLock();
        RwLock<String> lock = new RwLock<>("v");
        Duration negative = Duration.ofMillis(-5);
        assertTrue(reference.writeLock().tryLock(negative.toNanos(), TimeUnit.NANOSECONDS));
        var w = lock.tryWrite(negative).orElseThrow();
        assertFalse(CompletableFuture.supplyAsync(() -> {
            try {
                return reference.readLock().tryLock(negative.toNanos(), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }).join());
        assertTrue(lock.tryRead(negative).isEmpty());
        assertTrue(lock.tryUpgradableRead(Instant.EPOCH).isEmpty());
        assertTrue(lock.tryReadRecursive(negative).isEmpty(), "a writer holds it");
        reference.writeLock().unlock();
        w.close();
        lock.tryRead(negative).orElseThrow().close();
        try (var u = lock.tryUpgradableRead(negative).orElseThrow()) {
            u.tryUpgrade(negative).orElseThrow().close(); // no reader inside: one attempt succeeds
        }
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    /** The bug report: a retry loop computing its wait from a deadline blew up once the deadline passed. */
    @Test
    void aRetryLoopThatOverrunsItsDeadlineEndsQuietly() {
        Mutex<String> mutex = new Mutex<>("v");
        MutexGuard<String> holder = mutex.lock();
        Instant deadline = Instant.now().plusMillis(20);
        Optional<MutexGuard<String>> got = Optional.empty();
        int attempts = 0;
        while (got.isEmpty() && attempts++ < 1_000) {
            got = mutex.tryLock(Duration.between(Instant.now(), deadline)); // negative after the deadline
            if (Instant.now().isAfter(deadline)) {
                break;
            }
        }
        assertTrue(got.isEmpty());
        holder.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void nullWaitsStillThrow() {
        Mutex<String> mutex = new Mutex<>("v");
        assertThrows(NullPointerException.class, () -> mutex.tryLock((Duration) null));
        assertThrows(NullPointerException.class, () -> mutex.tryLock((Instant) null));
        Condvar cv = new Condvar();
        try (MutexGuard<String> g = mutex.lock()) {
            assertThrows(NullPointerException.class, () -> cv.await(g, null));
            assertThrows(NullPointerException.class, () -> cv.awaitUntil(g, null));
        }
        assertFalse(mutex.isLocked());
    }

    @Test
    void theConditionViewAgreesWithItsUnderlyingCondvar() throws Exception {
        Mutex<ArrayDeque<String>> mutex = new Mutex<>(new ArrayDeque<>());
        var lock = mutex.asLock();
        Condition c = lock.newCondition();
        lock.lock();
        try {
            assertFalse(c.await(-1, TimeUnit.NANOSECONDS));
            assertTrue(c.awaitNanos(Long.MIN_VALUE) <= 0);
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, c::await);
        } finally {
            lock.unlock();
        }
        assertFalse(mutex.isLocked());
    }
}
