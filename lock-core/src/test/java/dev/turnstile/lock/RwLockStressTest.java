package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link RwLock} under load: no starvation either way, exclusion and snapshot consistency with every
 * kind of hold mixed, on platform and virtual threads. Waits are measured and printed; the assertion
 * is only a generous bound that a starving lock would blow through.
 */
class RwLockStressTest {
    private static final Duration GENEROUS = Duration.ofSeconds(20);

    /** A value two fields wide: a reader that sees the halves differ saw a write in progress. */
    static final class Pair {
        long a;
        long b;
    }

    private static ThreadFactory threads(boolean virtual) {
        return virtual ? Thread.ofVirtual().factory() : Thread.ofPlatform().daemon().factory();
    }

    private static void joinAll(List<Thread> ts) throws InterruptedException {
        for (Thread t : ts) {
            t.join();
        }
    }

    @ParameterizedTest
    @EnumSource(Fairness.class)
    void aWriterIsNotStarvedByAContinuousStreamOfReaders(Fairness fairness) throws Exception {
        RwLock<Pair> lock = RwLock.builder().fairness(fairness).build(new Pair());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // Overlapping read holds: without task fairness the reader count would never reach 0.
            readers.add(Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    try (ReadGuard<Pair> r = lock.read()) {
                        for (int spin = 0; spin < 200; spin++) {
                            Thread.onSpinWait();
                        }
                        reads.incrementAndGet();
                    }
                }
            }));
        }
        int writes = 50;
        try {
            long[] waits = measureWaits(writes, () -> {
                try (WriteGuard<Pair> w = lock.write()) {
                    long got = System.nanoTime();
                    w.get().a++;
                    w.get().b++;
                    return got;
                }
            });
            System.out.printf("[RwLock %s] writer among 3 streaming readers: %d writes, mean wait %.1f us, worst %.1f us, %d reads%n",
                    fairness, writes, waits[0] / 1e3 / writes, waits[1] / 1e3, reads.get());
        } finally {
            stop.set(true);
            joinAll(readers);
        }
        assertEquals((long) writes, (long) lock.withRead(p -> p.a));
    }

    /** BARGING promises no bound on waiting, so it is not held to this one. */
    @ParameterizedTest
    @EnumSource(value = Fairness.class, names = {"EVENTUAL", "FIFO"})
    void readersAreNotStarvedByAContinuousStreamOfWriters(Fairness fairness) throws Exception {
        RwLock<Pair> lock = RwLock.builder().fairness(fairness).build(new Pair());
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            writers.add(Thread.ofPlatform().daemon().start(() -> {
                while (!stop.get()) {
                    try (WriteGuard<Pair> w = lock.write()) {
                        w.get().a++;
                        for (int spin = 0; spin < 200; spin++) {
                            Thread.onSpinWait();
                        }
                        w.get().b++;
                    }
                }
            }));
        }
        int readsDone = 50;
        try {
            long[] waits = measureWaits(readsDone, () -> lock.withRead(p -> {
                assertEquals(p.a, p.b, "a read saw a write in progress");
                return System.nanoTime();
            }));
            System.out.printf("[RwLock %s] reader among 2 streaming writers: %d reads, mean wait %.1f us, worst %.1f us%n",
                    fairness, readsDone, waits[0] / 1e3 / readsDone, waits[1] / 1e3);
        } finally {
            stop.set(true);
            joinAll(writers);
        }
    }

    /**
     * Runs {@code acquisition} (which returns when it got the lock) {@code times} times, each under
     * the generous bound.
     *
     * @return the total and the worst wait, in nanoseconds
     */
    private static long[] measureWaits(int times, java.util.function.LongSupplier acquisition) {
        long total = 0;
        long worst = 0;
        for (int i = 0; i < times; i++) {
            long start = System.nanoTime();
            long waited = assertTimeoutPreemptively(GENEROUS, acquisition::getAsLong) - start;
            total += waited;
            worst = Math.max(worst, waited);
        }
        return new long[] {total, worst};
    }

    /**
     * Every kind of hold at once. Writers and upgraders bump both halves of the pair with a window in
     * between; readers check the halves agree; a shared counter of writers inside proves exclusion;
     * the final count proves no update was lost.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void mixedHoldsKeepExclusionAndConsistentSnapshots(boolean virtual) throws Exception {
        RwLock<Pair> lock = new RwLock<>(new Pair());
        AtomicInteger writersInside = new AtomicInteger();
        AtomicInteger readersInside = new AtomicInteger();
        AtomicLong expected = new AtomicLong();
        AtomicLong violations = new AtomicLong();
        int perThread = 3_000;
        ThreadFactory factory = threads(virtual);
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int role = t;
            Thread th = factory.newThread(() -> {
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                for (int i = 0; i < perThread; i++) {
                    switch ((role + i) % 5) {
                        case 0 -> { // writer
                            try (WriteGuard<Pair> w = lock.write()) {
                                exclusive(w.get(), writersInside, readersInside, violations);
                                expected.incrementAndGet();
                            }
                        }
                        case 1 -> { // writer that downgrades: the write stays visible, nobody interleaves
                            WriteGuard<Pair> w = lock.write();
                            exclusive(w.get(), writersInside, readersInside, violations);
                            expected.incrementAndGet();
                            long written = w.get().a;
                            try (ReadGuard<Pair> r = w.downgrade()) {
                                if (r.get().a != written || r.get().b != written) {
                                    violations.incrementAndGet();
                                }
                            }
                        }
                        case 2 -> { // upgradable that sometimes upgrades
                            try (UpgradableGuard<Pair> u = lock.upgradableRead()) {
                                long seen = u.get().a;
                                if (rnd.nextBoolean()) {
                                    try (WriteGuard<Pair> w = u.upgrade()) {
                                        if (w.get().a != seen) {
                                            violations.incrementAndGet(); // a writer slipped in
                                        }
                                        exclusive(w.get(), writersInside, readersInside, violations);
                                        expected.incrementAndGet();
                                    }
                                }
                            }
                        }
                        case 3 -> { // reader with a nested recursive read
                            try (ReadGuard<Pair> r = lock.read()) {
                                shared(r.get(), writersInside, readersInside, violations);
                                try (ReadGuard<Pair> nested = lock.readRecursive()) {
                                    shared(nested.get(), writersInside, readersInside, violations);
                                }
                            }
                        }
                        default -> { // timed reader
                            lock.tryRead(Duration.ofMillis(1)).ifPresent(r -> {
                                try (r) {
                                    shared(r.get(), writersInside, readersInside, violations);
                                }
                            });
                        }
                    }
                }
            });
            all.add(th);
            th.start();
        }
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> joinAll(all));
        assertEquals(0, violations.get());
        assertEquals(expected.get(), (long) lock.withRead(p -> p.a));
        assertEquals(expected.get(), (long) lock.withRead(p -> p.b));
        assertEquals(0, lock.readHolds());
        assertEquals(0, lock.queueLength());
        assertTrue(!lock.isWriteLocked() && !lock.isUpgradableLocked());
    }

    private static void exclusive(Pair p, AtomicInteger writersInside, AtomicInteger readersInside, AtomicLong violations) {
        if (writersInside.incrementAndGet() != 1 || readersInside.get() != 0) {
            violations.incrementAndGet();
        }
        p.a++;
        Thread.onSpinWait();
        p.b++;
        writersInside.decrementAndGet();
    }

    private static void shared(Pair p, AtomicInteger writersInside, AtomicInteger readersInside, AtomicLong violations) {
        readersInside.incrementAndGet();
        if (writersInside.get() != 0 || p.a != p.b) {
            violations.incrementAndGet();
        }
        readersInside.decrementAndGet();
    }
}
