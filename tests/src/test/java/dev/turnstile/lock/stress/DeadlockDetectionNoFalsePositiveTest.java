package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Deadlock;
import dev.turnstile.lock.Deadlocks;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import dev.turnstile.lock.park.RawLock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * No false positive: 10^5 acquisitions of ranked, deadlock-detected locks by platform threads,
 * virtual threads and asynchronous tasks, while a detector thread runs {@link Deadlocks#detect()}
 * over and over. Every acquirer takes locks in rank order (so no cycle can form, and no rank check
 * may fail), in every mode (mutex locks, timed tries, reads, writes, upgradable reads and upgrades),
 * with condvar waits on the highest lock held, releases in random order, and guards handed to
 * another thread, which uses the guard before the giver goes on (a hold belongs to the thread that
 * last used its guard) and closes it later. A reported deadlock, a rank violation or a hang fails.
 * Replay a run with {@code -Dturnstile.deadlocks.seed=…}.
 */
class DeadlockDetectionNoFalsePositiveTest {
    private static final int OPERATIONS = 100_000;
    private static final int PLATFORM_THREADS = 2;
    private static final int VIRTUAL_THREADS = 3;
    private static final int TASKS = 3;
    private static final Duration BOUND = Duration.ofMinutes(4);

    private final long seed = Long.getLong("turnstile.deadlocks.seed", System.nanoTime());
    /** Index = rank: mutexes and read-write locks interleaved. */
    private final List<Object> locks = new ArrayList<>();
    private final List<Condvar> condvars = new ArrayList<>();
    private final AtomicLong acquisitions = new AtomicLong();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final LinkedBlockingQueue<HandOff> handOvers = new LinkedBlockingQueue<>();
    private final AtomicLong handedOver = new AtomicLong();
    private final AtomicLong detections = new AtomicLong();
    private volatile boolean done;

    /** A guard on its way to the receiver; {@code used} opens once the receiver has used it. */
    private record HandOff(AutoCloseable guard, Runnable use, CountDownLatch used) {
    }

    @Test
    void aLongRandomWorkloadWithoutCyclesIsNeverReportedAsDeadlocked() {
        for (int i = 0; i < 9; i++) {
            String name = "lock-" + i;
            if (i % 3 == 2) {
                locks.add(RwLock.builder().name(name).rank(i).build(new long[1]));
            } else {
                locks.add(Mutex.builder().name(name).rank(i).build(new long[1]));
            }
            condvars.add(new Condvar());
        }
        assertTimeoutPreemptively(BOUND, this::run, "seed " + seed);
        assertTrue(failures.isEmpty(), "seed " + seed + ": " + failures);
        assertTrue(acquisitions.get() >= OPERATIONS);
        assertTrue(handedOver.get() > 0, "guards were handed over");
        assertTrue(detections.get() > 10, "the detector ran throughout: " + detections.get());
        for (Object l : locks) {
            RawLock raw = (RawLock) l;
            assertFalse(raw instanceof Mutex<?> m && m.isLocked(), l + " left locked");
            assertFalse(raw instanceof RwLock<?> r && (r.isWriteLocked() || r.readHolds() > 0), l + " left held");
        }
        assertTrue(locks.stream().anyMatch(l -> ((RawLock) l).waitQueueIfPresent() != null), "some lock was contended");
    }

    private void run() throws Exception {
        SplittableRandom root = new SplittableRandom(seed);
        List<Thread> threads = new ArrayList<>();
        Thread receiver = Thread.ofPlatform().name("receiver").start(this::receive);
        Thread detector = Thread.ofPlatform().name("detector").start(this::detect);
        for (int i = 0; i < PLATFORM_THREADS; i++) {
            SplittableRandom r = root.split();
            threads.add(Thread.ofPlatform().name("platform-" + i).start(() -> transactions(r)));
        }
        for (int i = 0; i < VIRTUAL_THREADS; i++) {
            SplittableRandom r = root.split();
            threads.add(Thread.ofVirtual().name("virtual-" + i).start(() -> transactions(r)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<CompletableFuture<Void>> tasks = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
            tasks.add(taskLoop(LockOwner.named("task-" + i), root.split(), pool));
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
            CompletableFuture.allOf(tasks.toArray(CompletableFuture[]::new)).get();
        } finally {
            done = true;
            receiver.interrupt();
            receiver.join();
            detector.join();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(List.of(), List.copyOf(handOvers), "every handed-over guard was closed");
    }

    // ---------------------------------------------------------------- threads

    private void transactions(SplittableRandom r) {
        try {
            while (!done && acquisitions.get() < OPERATIONS && failures.isEmpty()) {
                transaction(r);
            }
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    /** Acquires a few locks in rank order, maybe waits on a condvar or hands a guard over, releases. */
    private void transaction(SplittableRandom r) throws InterruptedException {
        List<AutoCloseable> held = new ArrayList<>();
        List<Integer> heldIndex = new ArrayList<>();
        for (int index : pick(r)) {
            AutoCloseable g = acquire(index, r);
            acquisitions.incrementAndGet();
            if (g != null) {
                held.add(g);
                heldIndex.add(index);
            }
        }
        if (!held.isEmpty()) {
            int top = held.size() - 1;
            int choice = r.nextInt(10);
            if (choice == 0 && held.get(top) instanceof MutexGuard<?> g) {
                condvars.get(heldIndex.get(top)).await(g, Duration.ofNanos(r.nextInt(200_000)));
            } else if (choice == 1) {
                condvars.get(r.nextInt(condvars.size())).notifyOne();
            } else if (choice == 2) {
                AutoCloseable g = held.remove(top);
                heldIndex.remove(top);
                handOver(g);
            }
        }
        Collections.shuffle(held, new java.util.Random(r.nextLong()));
        for (AutoCloseable g : held) {
            close(g);
        }
    }

    /** One acquisition of lock {@code index} in a random mode; {@code null} if a timed try failed. */
    private AutoCloseable acquire(int index, SplittableRandom r) {
        Object l = locks.get(index);
        if (l instanceof Mutex<?> m) {
            return switch (r.nextInt(3)) {
                case 0 -> m.lock();
                case 1 -> m.tryLock(Duration.ofMillis(r.nextInt(5))).orElse(null);
                default -> m.tryLock().orElse(null);
            };
        }
        RwLock<?> rw = (RwLock<?>) l;
        return switch (r.nextInt(4)) {
            case 0 -> rw.read();
            case 1 -> rw.write();
            case 2 -> {
                UpgradableGuard<?> u = rw.upgradableRead();
                yield r.nextBoolean() ? u.upgrade() : u;
            }
            default -> rw.tryRead(Duration.ofMillis(r.nextInt(5))).orElse(null);
        };
    }

    /** Hands {@code guard} to the receiver and waits until the receiver has used it. */
    private void handOver(AutoCloseable guard) throws InterruptedException {
        Runnable use = switch (guard) {
            case MutexGuard<?> g -> g::get;
            case ReadGuard<?> g -> g::get;
            case WriteGuard<?> g -> g::get;
            case UpgradableGuard<?> g -> g::get;
            default -> throw new AssertionError(guard);
        };
        HandOff h = new HandOff(guard, use, new CountDownLatch(1));
        handOvers.put(h);
        h.used.await();
        handedOver.incrementAndGet();
    }

    private void receive() {
        try {
            for (;;) {
                HandOff h = handOvers.take();
                h.use.run(); // the guard is the receiver's from here
                h.used.countDown();
                LockSupport.parkNanos(50_000); // holds it a little while the giver goes on
                close(h.guard);
            }
        } catch (InterruptedException finished) {
            // the workload is over
        } catch (Throwable t) {
            failures.add(t);
        }
    }

    private void detect() {
        while (!done) {
            List<Deadlock> found = Deadlocks.detect();
            detections.incrementAndGet();
            if (!found.isEmpty()) {
                failures.add(new AssertionError("false positive: " + found));
                return;
            }
            LockSupport.parkNanos(200_000);
        }
    }

    // ---------------------------------------------------------------- asynchronous tasks

    /** One task: transactions one after the other, each a chain of acquisitions in rank order. */
    private CompletableFuture<Void> taskLoop(LockOwner owner, SplittableRandom r, ExecutorService pool) {
        if (done || acquisitions.get() >= OPERATIONS || !failures.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Integer> indices = pick(r);
        List<AutoCloseable> held = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int index : indices) {
            boolean write = r.nextBoolean();
            chain = chain.thenCompose(ignored -> acquireAsync(index, write, owner)).thenAccept(g -> {
                acquisitions.incrementAndGet();
                held.add(g);
            });
        }
        long shuffle = r.nextLong();
        return chain.handle((ok, failure) -> {
            if (failure != null) {
                failures.add(failure);
            }
            List<AutoCloseable> release = new ArrayList<>(held);
            Collections.shuffle(release, new java.util.Random(shuffle));
            release.forEach(DeadlockDetectionNoFalsePositiveTest::close);
            return null;
        }).thenComposeAsync(ignored -> taskLoop(owner, r, pool), pool);
    }

    private CompletableFuture<? extends AutoCloseable> acquireAsync(int index, boolean write, LockOwner owner) {
        Object l = locks.get(index);
        if (l instanceof Mutex<?> m) {
            return m.lockAsync(owner);
        }
        RwLock<?> rw = (RwLock<?>) l;
        return write ? rw.writeAsync(owner) : rw.readAsync(owner);
    }

    // ---------------------------------------------------------------- helpers

    /** One to three distinct lock indices, ascending: rank order. */
    private List<Integer> pick(SplittableRandom r) {
        TreeSet<Integer> s = new TreeSet<>();
        int n = 1 + r.nextInt(3);
        while (s.size() < n) {
            s.add(r.nextInt(locks.size()));
        }
        return List.copyOf(s);
    }

    private static void close(AutoCloseable g) {
        try {
            g.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
