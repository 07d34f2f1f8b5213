package dev.turnstile.lock.stress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Interruptible Condvar waits on a scheduler of ONE carrier (the {@code parallelism-1} surefire
 * execution): virtual consumers block in every await form of a bounded buffer while an interrupter
 * hits them at random. An interrupted consumer must hold the mutex when InterruptedException reaches
 * it (it touches the buffer then); a notification must never be lost (every item produced is
 * consumed, and the run ends); and nothing may stay counted as waiting.
 */
@Timeout(120)
class CondvarInterruptParallelism1Test {
    @BeforeAll
    static void onlyOnASingleCarrier() {
        assumeTrue(ClaimedTimedReadersScenario.carriers() == 1, "run by the parallelism-1 surefire execution");
    }

    /** On a hang: every thread's stack, virtual ones included, into the test's output. */
    private static void dump() throws Exception {
        var bean = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
        java.nio.file.Path f = java.nio.file.Files.createTempDirectory("dump").resolve("threads.txt");
        bean.dumpThreads(f.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
        System.out.println(java.nio.file.Files.readString(f));
    }

    @Test
    void interruptedVirtualConsumersNeverLoseANotificationOrTheMutex() throws Exception {
        Mutex<ArrayDeque<Integer>> buffer = Mutex.builder().name("buffer").build(new ArrayDeque<>());
        Condvar notEmpty = new Condvar();
        Condvar notFull = new Condvar();
        int capacity = 4;
        int consumers = 6;
        int producers = 2;
        int perProducer = 4_000;
        AtomicLong consumedSum = new AtomicLong();
        AtomicInteger consumed = new AtomicInteger();
        AtomicInteger interrupts = new AtomicInteger();
        AtomicInteger insideWhileHeld = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        List<Thread> consumerThreads = new ArrayList<>();
        for (int c = 0; c < consumers; c++) {
            int form = c % 4;
            consumerThreads.add(Thread.ofVirtual().name("consumer-" + c).start(() -> {
                while (true) {
                    try (MutexGuard<ArrayDeque<Integer>> g = buffer.lock()) {
                        while (g.get().isEmpty() && !done.get()) {
                            try {
                                switch (form) {
                                    case 0 -> notEmpty.await(g);
                                    case 1 -> notEmpty.await(g, Duration.ofMillis(50));
                                    case 2 -> notEmpty.awaitUntil(g, Instant.now().plusMillis(30));
                                    // no try-once form here: a loop of waits that never park
                                    // (await(g, ZERO) + Thread.yield()) keeps the only carrier from
                                    // the threads started by a platform thread, whatever the lock
                                    default -> notEmpty.await(g, Duration.ofMillis(1));
                                }
                            } catch (InterruptedException e) {
                                interrupts.incrementAndGet();
                                // the mutex must be ours again: touch the buffer, and count it
                                assertTrue(g.isHeld());
                                assertTrue(buffer.isLocked());
                                g.get().size();
                                insideWhileHeld.incrementAndGet();
                                // an interrupted consumer that was notified would have returned
                                // normally; one that throws passes the chance on, so re-check
                            }
                        }
                        Integer item = g.get().poll();
                        if (item == null) {
                            return; // done and drained
                        }
                        notFull.notifyOne();
                        consumedSum.addAndGet(item);
                        consumed.incrementAndGet();
                    }
                }
            }));
        }
        List<Thread> producerThreads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            producerThreads.add(Thread.ofVirtual().name("producer-" + p).start(() -> {
                for (int i = 1; i <= perProducer; i++) {
                    try (MutexGuard<ArrayDeque<Integer>> g = buffer.lock()) {
                        while (g.get().size() >= capacity) {
                            notFull.awaitUninterruptibly(g);
                        }
                        g.get().add(i);
                        notEmpty.notifyOne();
                    }
                    if (i % 50 == 0) {
                        // pause (parked, off the carrier) so that consumers wait and the interrupter
                        // finds them waiting; otherwise a warm run can finish without one interrupt
                        java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                    }
                }
            }));
        }
        Thread interrupter = Thread.ofVirtual().name("interrupter").start(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (!done.get() && producerThreads.stream().anyMatch(Thread::isAlive)) {
                consumerThreads.get(rnd.nextInt(consumers)).interrupt();
                // parks, not Thread.yield(): on one carrier a yielding loop can keep it from the
                // threads a platform thread started (they wait in the pool's external queue)
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        });
        try {
            runToTheEnd(buffer, notEmpty, notFull, consumerThreads, producerThreads, interrupter, done,
                    consumed, consumedSum, interrupts, insideWhileHeld, producers, perProducer);
        } finally {
            // a failure must not leave threads on the one carrier that the next tests of this fork share
            done.set(true);
            producerThreads.forEach(Thread::interrupt);
            consumerThreads.forEach(Thread::interrupt);
            interrupter.interrupt();
            notEmpty.notifyAllWaiters();
            notFull.notifyAllWaiters();
        }
    }

    private static void runToTheEnd(Mutex<ArrayDeque<Integer>> buffer, Condvar notEmpty, Condvar notFull,
                                    List<Thread> consumerThreads, List<Thread> producerThreads, Thread interrupter,
                                    AtomicBoolean done, AtomicInteger consumed, AtomicLong consumedSum,
                                    AtomicInteger interrupts, AtomicInteger insideWhileHeld, int producers,
                                    int perProducer) throws Exception {
        for (Thread t : producerThreads) {
            if (!t.join(Duration.ofSeconds(20))) {
                dump();
            }
            assertTrue(t.join(Duration.ofSeconds(1)), "a producer hung: lost notFull notification? "
                    + buffer + " " + notEmpty + " " + notFull + " consumed " + consumed + " interrupts " + interrupts);
        }
        interrupter.join();
        buffer.withLockDo(q -> {
            done.set(true);
            notEmpty.notifyAllWaiters();
        });
        for (Thread t : consumerThreads) {
            assertTrue(t.join(Duration.ofSeconds(30)), "a consumer hung: lost notification?");
        }
        long expected = (long) producers * perProducer * (perProducer + 1) / 2;
        assertEquals(producers * perProducer, consumed.get());
        assertEquals(expected, consumedSum.get());
        assertEquals(interrupts.get(), insideWhileHeld.get());
        assertEquals(0, notEmpty.waiterCount());
        assertEquals(0, notFull.waiterCount());
        assertFalse(buffer.isLocked());
        assertEquals(0, buffer.queueLength());
        System.out.println("interrupted consumers: " + interrupts.get());
        assertTrue(interrupts.get() > 0, "the interrupter never hit a waiting consumer");
    }
}
