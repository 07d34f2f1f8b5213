package dev.turnstile.lock.breakapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Consumed guards attacked: closed twice, closed while their consumer (an asynchronous upgrade)
 * is granted or cancelled on other threads, and every public method called reflectively on open,
 * closed and consumed guards of every type.
 */
@Timeout(120)
class ConsumedGuardBreakTest {

    /**
     * An asynchronous upgrade waits for a reader; three threads race: one closes the upgradable guard
     * (a try-with-resources exit), one cancels the upgrade, one lets the reader out. Whatever wins,
     * exactly one release happens for the upgradable hold and any write guard delivered is the caller's
     * to close: the lock ends free.
     */
    @Test
    void closeRacingCancelRacingGrantOfAnAsyncUpgradeReleasesExactlyOnce() throws Exception {
        for (int round = 0; round < 2_000; round++) {
            RwLock<int[]> lock = new RwLock<>(new int[1]);
            ReadGuard<int[]> reader = lock.read();
            UpgradableGuard<int[]> u = lock.upgradableRead();
            CompletableFuture<WriteGuard<int[]>> up = u.upgradeAsync();
            CyclicBarrier start = new CyclicBarrier(3);
            List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
            Runnable[] actions = {u::close, () -> up.cancel(false), reader::close};
            List<Thread> ts = new ArrayList<>();
            for (Runnable a : actions) {
                ts.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await(10, TimeUnit.SECONDS);
                        a.run();
                    } catch (Throwable t) {
                        errors.add(t);
                    }
                }));
            }
            for (Thread t : ts) {
                t.join();
            }
            assertEquals(List.of(), errors, "round " + round);
            if (!up.isCancelled()) {
                up.get(5, TimeUnit.SECONDS).close(); // the upgrade won: its write guard is ours to close
            }
            assertFalse(u.isHeld());
            assertEquals(0, lock.readHolds(), "round " + round);
            assertFalse(lock.isWriteLocked(), "round " + round);
            assertFalse(lock.isUpgradableLocked(), "round " + round + ": the upgradable hold leaked");
            lock.write().close(); // and nothing is stuck in the queue
        }
    }

    /** A consumed guard closed on two threads at once: both closes do nothing, the lock stays as its new guard says. */
    @Test
    void closingAConsumedGuardTwiceAndFromTwoThreadsDoesNothing() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        for (int round = 0; round < 500; round++) {
            MutexGuard<String> g = mutex.lock();
            CompletableFuture<Condvar.Wakeup<String>> w = cv.awaitAsync(g, Duration.ZERO);
            CountDownLatch go = new CountDownLatch(1);
            Thread other = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                g.close();
            });
            go.countDown();
            g.close();
            other.join();
            g.close();
            MutexGuard<String> again = w.get(5, TimeUnit.SECONDS).guard();
            assertTrue(mutex.isLocked() && again.isHeld());
            again.close();
            assertFalse(mutex.isLocked());
        }
    }

    private static Object invokeNoArg(Object target, Method m) throws Throwable {
        try {
            return m.invoke(target);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Every public no-argument method of every guard type, reflectively, on open, consumed and closed guards. */
    @Test
    void everyPublicMethodIsReflectivelyCallableInEveryState() throws Throwable {
        RwLock<String> lock = new RwLock<>("rw");
        Mutex<String> mutex = new Mutex<>("m");
        Condvar cv = new Condvar();
        List<Supplier<AutoCloseable>> kinds = List.of(mutex::lock, lock::read, lock::write, lock::upgradableRead);
        for (Supplier<AutoCloseable> kind : kinds) {
            for (String state : List.of("closed", "consumed")) {
                AutoCloseable g = kind.get();
                List<AutoCloseable> successors = new ArrayList<>();
                if (state.equals("closed")) {
                    g.close();
                } else if (g instanceof MutexGuard<?> mg) {
                    @SuppressWarnings("unchecked")
                    MutexGuard<String> typed = (MutexGuard<String>) mg;
                    successors.add(cv.awaitAsync(typed, Duration.ZERO).join().guard());
                } else if (g instanceof WriteGuard<?> wg) {
                    successors.add(wg.downgrade());
                } else if (g instanceof UpgradableGuard<?> ug) {
                    successors.add(ug.upgrade());
                } else {
                    g.close();
                }
                for (Method m : g.getClass().getMethods()) {
                    if (m.getParameterCount() != 0 || m.getDeclaringClass() == Object.class
                            || Modifier.isStatic(m.getModifiers()) || m.getName().equals("hashCode")) {
                        continue;
                    }
                    Object result;
                    try {
                        result = invokeNoArg(g, m);
                    } catch (IllegalStateException expected) {
                        assertTrue(expected.getMessage().contains("already"), m + ": " + expected);
                        continue;
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(m + " is not reflectively callable", e);
                    }
                    if (m.getName().equals("isHeld")) {
                        assertEquals(false, result, m.toString());
                    }
                    if (result instanceof AutoCloseable leaked && result != lock && result != mutex) {
                        throw new AssertionError(m + " handed out " + leaked + " from a " + state + " guard");
                    }
                }
                for (AutoCloseable s : successors) {
                    s.close();
                }
                assertFalse(mutex.isLocked());
                assertFalse(lock.isWriteLocked());
                assertEquals(0, lock.readHolds(), kind + " " + state);
            }
        }
        try (ReadGuard<String> r = lock.read()) {
            assertInstanceOf(RwLock.class, ReadGuard.class.getMethod("lock").invoke(r));
        }
    }
}
