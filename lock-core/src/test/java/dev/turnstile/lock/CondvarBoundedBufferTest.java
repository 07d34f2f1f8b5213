package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The textbook bounded buffer on a {@link Mutex} and two {@link Condvar}s ("not full", "not empty"):
 * 4 producers and 4 consumers move 1,000,000 items. Exact counts and sums prove nothing was lost or
 * duplicated; finishing at all proves no wake-up was lost (a lost one leaves a thread waiting for
 * ever, and the preemptive timeout fails the test).
 */
class CondvarBoundedBufferTest {
    private static final int ITEMS = 1_000_000;
    private static final int PRODUCERS = 4;
    private static final int CONSUMERS = 4;
    private static final int CAPACITY = 64;

    @ParameterizedTest(name = "virtual threads: {0}")
    @ValueSource(booleans = {false, true})
    void fourProducersAndFourConsumersMoveAMillionItemsExactly(boolean virtual) {
        Mutex<ArrayDeque<Integer>> buffer = new Mutex<>(new ArrayDeque<>(CAPACITY));
        Condvar notFull = new Condvar();
        Condvar notEmpty = new Condvar();
        AtomicLong consumedSum = new AtomicLong();
        AtomicLong consumedCount = new AtomicLong();
        ThreadFactory factory = virtual ? Thread.ofVirtual().factory() : Thread.ofPlatform().factory();
        List<Thread> threads = new ArrayList<>();

        int perProducer = ITEMS / PRODUCERS;
        for (int p = 0; p < PRODUCERS; p++) {
            int first = p * perProducer;
            threads.add(factory.newThread(() -> {
                for (int i = first; i < first + perProducer; i++) {
                    try (MutexGuard<ArrayDeque<Integer>> g = buffer.lock()) {
                        while (g.get().size() == CAPACITY) {
                            notFull.awaitUninterruptibly(g);
                        }
                        g.get().addLast(i);
                        notEmpty.notifyOne();
                    }
                }
            }));
        }
        int perConsumer = ITEMS / CONSUMERS;
        for (int c = 0; c < CONSUMERS; c++) {
            threads.add(factory.newThread(() -> {
                long sum = 0;
                for (int n = 0; n < perConsumer; n++) {
                    try (MutexGuard<ArrayDeque<Integer>> g = buffer.lock()) {
                        while (g.get().isEmpty()) {
                            notEmpty.awaitUninterruptibly(g);
                        }
                        sum += g.get().pollFirst();
                        notFull.notifyOne();
                    }
                }
                consumedSum.addAndGet(sum);
                consumedCount.addAndGet(perConsumer);
            }));
        }

        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
        });
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("[Condvar bounded buffer] %s threads: %,d items in %d ms (mutex hand-offs %d, wake-ups %d)%n",
                virtual ? "virtual" : "platform", ITEMS, elapsedMs,
                buffer.waitQueueIfPresent() == null ? 0 : buffer.waitQueueIfPresent().handOffs(),
                buffer.waitQueueIfPresent() == null ? 0 : buffer.waitQueueIfPresent().wakeUps());

        assertEquals(ITEMS, consumedCount.get());
        assertEquals((long) ITEMS * (ITEMS - 1) / 2, consumedSum.get(), "every item exactly once");
        assertEquals(0, (int) buffer.withLock(ArrayDeque::size));
        assertEquals(0, notFull.waiterCount());
        assertEquals(0, notEmpty.waiterCount());
    }
}
