package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The same scenarios against ReentrantLock / ReentrantReadWriteLock and Turnstile's views; the
 * observable outcomes must match (where the views document no difference).
 */
class JucContractBreakTest {

    interface Scenario {
        String run(Lock lock) throws Exception;
    }

    private static Map<String, String> both(Supplier<Lock> turnstile, Scenario s) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("juc", s.run(new ReentrantLock()));
        out.put("turnstile", s.run(turnstile.get()));
        return out;
    }

    private static void same(Scenario s) {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Map<String, String> r = both(() -> new Mutex<>(0).asLock(), s);
            assertEquals(r.get("juc"), r.get("turnstile"));
        });
    }

    private static Thread holdUntil(Lock l, CountDownLatch held, CountDownLatch release) {
        return Thread.ofPlatform().start(() -> {
            l.lock();
            held.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                l.unlock();
            }
        });
    }

    @Test
    void tryLockWithLongMaxValueWaitsAndAcquires() {
        same(l -> {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread t = holdUntil(l, held, release);
            held.await();
            Thread.ofPlatform().start(() -> {
                sleep(30);
                release.countDown();
            });
            boolean got = l.tryLock(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
            if (got) {
                l.unlock();
            }
            t.join();
            boolean got2 = l.tryLock(Long.MAX_VALUE, TimeUnit.DAYS);
            if (got2) {
                l.unlock();
            }
            return got + " " + got2;
        });
    }

    @Test
    void tryLockWithLongMinValueDoesNotWait() {
        same(l -> {
            boolean free = l.tryLock(Long.MIN_VALUE, TimeUnit.NANOSECONDS);
            if (free) {
                l.unlock();
            }
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread t = holdUntil(l, held, release);
            held.await();
            boolean contended = l.tryLock(Long.MIN_VALUE, TimeUnit.DAYS);
            release.countDown();
            t.join();
            return free + " " + contended;
        });
    }

    @Test
    void lockKeepsAPendingInterruptAndLockInterruptiblyThrows() {
        same(l -> {
            StringBuilder sb = new StringBuilder();
            Thread.currentThread().interrupt();
            l.lock();
            sb.append(Thread.interrupted()).append(' ');
            l.unlock();
            Thread.currentThread().interrupt();
            try {
                l.lockInterruptibly();
                sb.append("locked ");
                l.unlock();
            } catch (InterruptedException e) {
                sb.append("IE ").append(Thread.currentThread().isInterrupted()).append(' ');
            }
            Thread.currentThread().interrupt();
            try {
                boolean b = l.tryLock(1, TimeUnit.SECONDS);
                sb.append("try ").append(b);
                if (b) {
                    l.unlock();
                }
            } catch (InterruptedException e) {
                sb.append("IE ").append(Thread.currentThread().isInterrupted());
            }
            // contended lock(): interrupted while queued, acquires later, status kept
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread t = holdUntil(l, held, release);
            held.await();
            Thread me = Thread.currentThread();
            Thread.ofPlatform().start(() -> {
                sleep(30);
                me.interrupt();
                sleep(30);
                release.countDown();
            });
            l.lock();
            sb.append(" queued-lock kept=").append(Thread.interrupted());
            l.unlock();
            t.join();
            return sb.toString();
        });
    }

    @Test
    void lockInterruptiblyInterruptedWhileQueuedLeavesNoTrace() {
        same(l -> {
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread t = holdUntil(l, held, release);
            held.await();
            Thread me = Thread.currentThread();
            Thread.ofPlatform().start(() -> {
                sleep(30);
                me.interrupt();
            });
            String r;
            try {
                l.lockInterruptibly();
                r = "locked";
                l.unlock();
            } catch (InterruptedException e) {
                r = "IE " + Thread.currentThread().isInterrupted();
            }
            release.countDown();
            t.join();
            boolean free = l.tryLock();
            if (free) {
                l.unlock();
            }
            return r + " " + free;
        });
    }

    @Test
    void conditionContracts() {
        same(l -> {
            StringBuilder sb = new StringBuilder();
            Condition c = l.newCondition();
            try {
                c.signal();
            } catch (IllegalMonitorStateException e) {
                sb.append("IMSE ");
            }
            try {
                c.await();
            } catch (IllegalMonitorStateException e) {
                sb.append("IMSE ");
            }
            l.lock();
            Thread.currentThread().interrupt();
            try {
                c.await();
            } catch (InterruptedException e) {
                sb.append("IE ");
            }
            sb.append(c.awaitNanos(Long.MIN_VALUE) <= 0).append(' ');
            sb.append(c.awaitNanos(0) <= 0).append(' ');
            sb.append(c.await(Long.MIN_VALUE, TimeUnit.DAYS)).append(' ');
            sb.append(c.awaitUntil(new Date(Long.MIN_VALUE))).append(' ');
            sb.append(c.awaitUntil(new Date(0))).append(' ');
            // long waits, signalled
            for (int i = 0; i < 4; i++) {
                int k = i;
                Thread.ofPlatform().start(() -> {
                    sleep(20);
                    l.lock();
                    try {
                        c.signal();
                    } finally {
                        l.unlock();
                    }
                });
                switch (k) {
                    case 0 -> sb.append(c.awaitNanos(Long.MAX_VALUE) > 0).append(' ');
                    case 1 -> sb.append(c.await(Long.MAX_VALUE, TimeUnit.DAYS)).append(' ');
                    case 2 -> sb.append(c.awaitUntil(new Date(Long.MAX_VALUE))).append(' ');
                    default -> {
                        Thread.currentThread().interrupt();
                        c.awaitUninterruptibly();
                        sb.append("kept=").append(Thread.interrupted()).append(' ');
                    }
                }
            }
            l.unlock();
            try {
                l.unlock();
            } catch (IllegalMonitorStateException e) {
                sb.append("IMSE");
            }
            return sb.toString();
        });
    }

    @Test
    void readWriteLockContracts() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertEquals(rwScenario(new ReentrantReadWriteLock()), rwScenario(new RwLock<>(0).asReadWriteLock()));
        });
    }

    private static String rwScenario(ReadWriteLock rw) throws Exception {
        StringBuilder sb = new StringBuilder();
        CountDownLatch readHeld = new CountDownLatch(1);
        CountDownLatch releaseRead = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            rw.readLock().lock();
            readHeld.countDown();
            try {
                releaseRead.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                rw.readLock().unlock();
            }
        });
        readHeld.await();
        AtomicReference<String> writerSaw = new AtomicReference<>();
        CountDownLatch writerDone = new CountDownLatch(1);
        Thread writer = Thread.ofPlatform().start(() -> {
            try {
                boolean b = rw.writeLock().tryLock(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
                writerSaw.set("w" + b);
                if (b) {
                    rw.writeLock().unlock();
                }
            } catch (InterruptedException e) {
                writerSaw.set("IE");
            }
            writerDone.countDown();
        });
        sleep(50); // the writer queues
        boolean rTry = rw.readLock().tryLock();
        sb.append("readTry=").append(rTry).append(' ');
        if (rTry) {
            rw.readLock().unlock();
        }
        sb.append("writeTry=").append(rw.writeLock().tryLock()).append(' ');
        sb.append("readTimed0=").append(rw.readLock().tryLock(Long.MIN_VALUE, TimeUnit.NANOSECONDS)).append(' ');
        releaseRead.countDown();
        reader.join();
        writerDone.await();
        writer.join();
        sb.append(writerSaw.get()).append(' ');
        Thread.currentThread().interrupt();
        try {
            rw.readLock().lockInterruptibly();
            sb.append("locked");
            rw.readLock().unlock();
        } catch (InterruptedException e) {
            sb.append("IE ").append(Thread.currentThread().isInterrupted());
        }
        try {
            rw.readLock().unlock();
        } catch (IllegalMonitorStateException e) {
            sb.append(" IMSE");
        }
        return sb.toString();
    }

    @Test
    void condvarAwaitUntilExtremeInstants() {
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Mutex<Integer> m = new Mutex<>(0);
            Condvar cv = new Condvar();
            MutexGuard<Integer> g = m.lock();
            assertFalse(cv.awaitUntil(g, Instant.MIN));
            assertTrue(g.isHeld());
            Thread.ofPlatform().start(() -> {
                sleep(30);
                try (MutexGuard<Integer> n = m.lock()) {
                    cv.notifyOne();
                }
            });
            assertTrue(cv.awaitUntil(g, Instant.MAX));
            assertFalse(cv.await(g, Duration.ZERO));
            g.close();
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
            m.tryLock(Duration.ofNanos(-1)).orElseThrow().close(); // a negative wait is one attempt
            assertTrue(m.tryLock(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999)).isPresent());
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
