package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random mixes of every RwLock acquisition path (blocking, timed, interruptible, recursive, upgradable,
 * upgrades blocking and asynchronous, async with cancellation, scoped bodies) on platform and virtual
 * threads, with an interrupter; checks exclusion on every entry and a clean state at the end.
 */
class CoreFuzzTest {
    static List<Object[]> seeds() {
        List<Object[]> l = new ArrayList<>();
        long base = Long.getLong("fuzz.seed", 1L);
        int n = Integer.getInteger("fuzz.seeds", 6);
        Fairness[] fs = Fairness.values();
        for (int i = 0; i < n; i++) {
            l.add(new Object[] {base + i, fs[i % fs.length]});
        }
        return l;
    }

    private static final long RUN_NANOS = TimeUnit.MILLISECONDS.toNanos(Long.getLong("fuzz.millis", 3000L));

    static final class Checker {
        final AtomicInteger readers = new AtomicInteger();
        final AtomicInteger writers = new AtomicInteger();
        final AtomicInteger upgradables = new AtomicInteger();
        final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();

        void enterRead(String how) {
            readers.incrementAndGet();
            if (writers.get() != 0) {
                errors.add("reader (" + how + ") beside a writer");
            }
        }

        void leaveRead() {
            readers.decrementAndGet();
        }

        void enterWrite(String how) {
            if (writers.incrementAndGet() != 1 || readers.get() != 0 || upgradables.get() != 0) {
                errors.add("writer (" + how + ") not alone: w=" + writers.get() + " r=" + readers.get() + " u=" + upgradables.get());
            }
        }

        void leaveWrite() {
            writers.decrementAndGet();
        }

        void enterUpgradable(String how) {
            if (upgradables.incrementAndGet() != 1 || writers.get() != 0) {
                errors.add("upgradable (" + how + ") not alone: w=" + writers.get() + " u=" + upgradables.get());
            }
        }

        void leaveUpgradable() {
            upgradables.decrementAndGet();
        }
    }

    @ParameterizedTest
    @MethodSource("seeds")
    void rwLockRandomMix(long seed, Fairness fairness) {
        RwLock<int[]> rw = RwLock.builder().fairness(fairness).build(new int[1]);
        Checker c = new Checker();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        AtomicInteger ops = new AtomicInteger();
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                List<Thread> workers = new ArrayList<>();
                long end = System.nanoTime() + RUN_NANOS;
                for (int i = 0; i < 6; i++) {
                    long s = seed * 31 + i;
                    Thread.Builder b = i % 2 == 0 ? Thread.ofPlatform() : Thread.ofVirtual();
                    workers.add(b.start(() -> {
                        Random r = new Random(s);
                        while (System.nanoTime() - end < 0) {
                            try {
                                step(rw, c, r, pool);
                            } catch (InterruptedException ignored) {
                                // fine
                            }
                            ops.incrementAndGet();
                        }
                        Thread.interrupted();
                    }));
                }
                Thread interrupter = Thread.ofPlatform().start(() -> {
                    Random r = new Random(seed);
                    while (workers.stream().anyMatch(Thread::isAlive)) {
                        workers.get(r.nextInt(workers.size())).interrupt();
                        try {
                            Thread.sleep(0, 200_000);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
                for (Thread w : workers) {
                    w.join();
                }
                interrupter.join();
            }, () -> "hang: " + rw + " ops=" + ops);
        } finally {
            pool.shutdownNow();
        }
        assertTrue(c.errors.isEmpty(), () -> c.errors.size() + " violations, first: " + c.errors.peek());
        assertFalse(rw.isWriteLocked(), rw::toString);
        assertEquals(0, rw.readHolds(), rw::toString);
        assertEquals(0, rw.queueLength(), rw::toString);
        assertFalse(rw.hasQueuedWaiters(), rw::toString);
        assertTrue(rw.tryWrite().isPresent(), rw::toString);
    }

    private static void spin(Random r) {
        for (int i = r.nextInt(50); i > 0; i--) {
            Thread.onSpinWait();
        }
    }

    private static void step(RwLock<int[]> rw, Checker c, Random r, ExecutorService pool) throws InterruptedException {
        switch (r.nextInt(16)) {
            case 0 -> {
                try (ReadGuard<int[]> g = rw.read()) {
                    c.enterRead("read");
                    spin(r);
                    if (r.nextBoolean()) {
                        try (ReadGuard<int[]> g2 = rw.readRecursive()) {
                            c.enterRead("recursive");
                            spin(r);
                            c.leaveRead();
                        }
                    }
                    c.leaveRead();
                }
            }
            case 1 -> {
                Optional<ReadGuard<int[]>> g = rw.tryRead(Duration.ofNanos(r.nextInt(100_000)));
                if (g.isPresent()) {
                    c.enterRead("tryRead(d)");
                    spin(r);
                    c.leaveRead();
                    g.get().close();
                }
            }
            case 2 -> {
                try (ReadGuard<int[]> g = rw.readInterruptibly()) {
                    c.enterRead("readInterruptibly");
                    spin(r);
                    c.leaveRead();
                }
            }
            case 3 -> {
                try (WriteGuard<int[]> g = rw.write()) {
                    c.enterWrite("write");
                    spin(r);
                    c.leaveWrite();
                }
            }
            case 4 -> {
                Optional<WriteGuard<int[]>> g = rw.tryWrite(Duration.ofNanos(r.nextInt(100_000)));
                if (g.isPresent()) {
                    c.enterWrite("tryWrite(d)");
                    spin(r);
                    c.leaveWrite();
                    g.get().close();
                }
            }
            case 5 -> {
                try (WriteGuard<int[]> g = rw.writeInterruptibly()) {
                    c.enterWrite("writeInterruptibly");
                    spin(r);
                    if (r.nextBoolean()) {
                        c.leaveWrite();
                        ReadGuard<int[]> rg = g.downgrade();
                        c.enterRead("downgrade");
                        spin(r);
                        c.leaveRead();
                        rg.close();
                    } else {
                        c.leaveWrite();
                    }
                }
            }
            case 6, 7 -> {
                UpgradableGuard<int[]> u = r.nextBoolean() ? rw.upgradableRead()
                        : rw.tryUpgradableRead(Duration.ofNanos(r.nextInt(100_000))).orElse(null);
                if (u == null) {
                    return;
                }
                c.enterUpgradable("upgradable");
                spin(r);
                switch (r.nextInt(4)) {
                    case 0 -> {
                        c.leaveUpgradable();
                        u.close();
                    }
                    case 1 -> {
                        c.leaveUpgradable();
                        WriteGuard<int[]> w = u.upgrade();
                        c.enterWrite("upgrade");
                        spin(r);
                        c.leaveWrite();
                        w.close();
                    }
                    case 2 -> {
                        // leave the counter first: the moment the upgrade succeeds we are the writer
                        c.leaveUpgradable();
                        Optional<WriteGuard<int[]>> w = u.tryUpgrade(Duration.ofNanos(r.nextInt(100_000)));
                        if (w.isPresent()) {
                            c.enterWrite("tryUpgrade(d)");
                            spin(r);
                            c.leaveWrite();
                            w.get().close();
                        } else {
                            u.close();
                        }
                    }
                    default -> {
                        c.leaveUpgradable();
                        CompletableFuture<WriteGuard<int[]>> f = u.upgradeAsync();
                        if (r.nextBoolean()) {
                            f.cancel(false);
                        }
                        try {
                            WriteGuard<int[]> w = f.join();
                            c.enterWrite("upgradeAsync");
                            spin(r);
                            c.leaveWrite();
                            w.close();
                        } catch (java.util.concurrent.CancellationException e) {
                            // hold given back to u
                        }
                        u.close(); // does nothing if consumed
                    }
                }
            }
            case 8, 9 -> {
                CompletableFuture<WriteGuard<int[]>> f = r.nextBoolean() ? rw.writeAsync() : rw.writeAsync(pool);
                if (r.nextInt(3) == 0) {
                    spin(r);
                    f.cancel(false);
                }
                try {
                    WriteGuard<int[]> w = f.join();
                    c.enterWrite("writeAsync");
                    spin(r);
                    c.leaveWrite();
                    w.close();
                } catch (java.util.concurrent.CancellationException e) {
                    // withdrawn or released on arrival
                }
            }
            case 10, 11 -> {
                CompletableFuture<ReadGuard<int[]>> f = r.nextBoolean() ? rw.readAsync() : rw.readAsync(pool);
                if (r.nextInt(3) == 0) {
                    spin(r);
                    f.cancel(false);
                }
                try {
                    ReadGuard<int[]> g = f.join();
                    c.enterRead("readAsync");
                    spin(r);
                    c.leaveRead();
                    g.close();
                } catch (java.util.concurrent.CancellationException e) {
                    // fine
                }
            }
            case 12 -> {
                CompletableFuture<Integer> f = rw.withWriteAsync(w -> {
                    c.enterWrite("withWriteAsync");
                    return CompletableFuture.supplyAsync(() -> {
                        spin(r);
                        c.leaveWrite();
                        return 1;
                    }, pool);
                });
                if (r.nextBoolean()) {
                    f.cancel(false);
                }
                try {
                    f.join();
                } catch (java.util.concurrent.CancellationException | java.util.concurrent.CompletionException e) {
                    // fine
                }
            }
            case 13 -> {
                CompletableFuture<Integer> f = rw.withReadAsync(g -> {
                    c.enterRead("withReadAsync");
                    spin(r);
                    c.leaveRead();
                    return CompletableFuture.completedFuture(1);
                });
                if (r.nextBoolean()) {
                    f.cancel(false);
                }
                try {
                    f.join();
                } catch (java.util.concurrent.CancellationException | java.util.concurrent.CompletionException e) {
                    // fine
                }
            }
            case 14 -> {
                Optional<WriteGuard<int[]>> g = rw.tryWrite();
                if (g.isPresent()) {
                    c.enterWrite("tryWrite");
                    spin(r);
                    c.leaveWrite();
                    if (r.nextBoolean()) {
                        UpgradableGuard<int[]> u = g.get().downgradeToUpgradable();
                        c.enterUpgradable("downgradeToUpgradable");
                        c.leaveUpgradable();
                        u.close();
                    } else {
                        g.get().close();
                    }
                }
            }
            default -> {
                java.util.concurrent.locks.Lock l = r.nextBoolean() ? rw.asReadWriteLock().readLock() : null;
                if (l != null && l.tryLock(r.nextInt(100_000), TimeUnit.NANOSECONDS)) {
                    c.enterRead("view");
                    spin(r);
                    c.leaveRead();
                    l.unlock();
                }
            }
        }
    }
}
