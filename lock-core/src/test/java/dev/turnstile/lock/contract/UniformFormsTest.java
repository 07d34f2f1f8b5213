package dev.turnstile.lock.contract;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The forms that every acquisition has the same way: timed and deadline forms, asynchronous timed
 * forms completed at once for non-positive waits, executor overloads, the {@code Consumer} forms,
 * recursive-read variants, and the introspection declared on the public types.
 */
@Timeout(60)
class UniformFormsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final String EXECUTOR_THREAD = "uniform-forms-executor";

    private final ExecutorService executor = Executors.newSingleThreadExecutor(named());

    @AfterEach
    void stopExecutor() throws InterruptedException {
        executor.shutdownNow();
        assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
    }

    private static ThreadFactory named() {
        return r -> new Thread(r, EXECUTOR_THREAD);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        return assertThrows(CompletionException.class, f::join).getCause();
    }

    // ---------------------------------------------------------------- Consumer forms

    @Test
    void consumerFormsTakeVoidMethodReferences() {
        Mutex<List<String>> names = new Mutex<>(new ArrayList<>(List.of("ada", "bob")));
        names.withLockDo(List::clear);
        names.withLockDo(l -> l.add("cyd")); // an implicitly typed lambda is not ambiguous either
        assertEquals(List.of("cyd"), names.withLock(l -> List.copyOf(l)));
        assertEquals(1, (int) names.withLock(List::size));

        RwLock<Map<String, Integer>> prices = new RwLock<>(new HashMap<>(Map.of("tea", 3)));
        List<Integer> seen = new ArrayList<>();
        prices.withReadDo(m -> seen.add(m.get("tea")));
        prices.withWriteDo(Map::clear);
        assertEquals(List.of(3), seen);
        assertTrue((boolean) prices.withRead(Map::isEmpty));
        assertFalse(names.isLocked());
        assertEquals(0, prices.readHolds());
        assertThrows(NullPointerException.class, () -> names.withLockDo(null));
        assertThrows(NullPointerException.class, () -> prices.withWriteDo(null));
    }

    // ---------------------------------------------------------------- deadlines

    @Test
    void deadlineFormsWaitUntilTheInstantAndTryOnceWhenItPassed() throws Exception {
        Mutex<String> mutex = new Mutex<>("v");
        MutexGuard<String> held = mutex.lock();
        assertTrue(mutex.tryLock(Instant.now().minusSeconds(10)).isEmpty());
        CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
            var g = mutex.tryLock(Instant.now().plusSeconds(60));
            g.ifPresent(MutexGuard::close);
            return g.isPresent();
        });
        await().atMost(PATIENCE).until(() -> mutex.queueLength() == 1);
        held.close();
        assertTrue(waiting.get(10, TimeUnit.SECONDS));

        RwLock<String> lock = new RwLock<>("v");
        WriteGuard<String> w = lock.write();
        assertTrue(lock.tryRead(Instant.now().plusMillis(20)).isEmpty());
        assertTrue(lock.tryWrite(Instant.now().minusMillis(1)).isEmpty());
        assertTrue(lock.tryUpgradableRead(Instant.now().plusMillis(5)).isEmpty());
        w.close();
        try (UpgradableGuard<String> u = lock.upgradableRead()) {
            ReadGuard<String> reader = lock.read();
            assertTrue(u.tryUpgrade(Instant.now().plusMillis(20)).isEmpty(), "a reader is inside");
            assertTrue(u.isHeld(), "a failed upgrade keeps the upgradable hold");
            reader.close();
            u.tryUpgrade(Instant.now().minusSeconds(1)).orElseThrow().close();
        }
        assertEquals(0, lock.queueLength());
        assertEquals(0, lock.readHolds());
    }

    @Test
    void asyncDeadlineFormsTimeOutAtTheInstant() {
        Mutex<String> mutex = Mutex.builder().name("ledger").build("v");
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> soon = mutex.tryLockAsync(Instant.now().plusMillis(30));
        CompletableFuture<MutexGuard<String>> onExecutor = mutex.tryLockAsync(Instant.now().plusMillis(30), executor);
        AtomicReference<String> completedOn = new AtomicReference<>();
        onExecutor.whenComplete((g, e) -> completedOn.set(Thread.currentThread().getName()));
        LockTimeoutException timeout = assertInstanceOf(LockTimeoutException.class, failure(soon));
        assertEquals("ledger", timeout.lockName());
        await().atMost(PATIENCE).until(() -> completedOn.get() != null); // not join(): see below
        assertEquals(EXECUTOR_THREAD, completedOn.get());
        assertInstanceOf(LockTimeoutException.class, failure(onExecutor));
        held.close();
        assertEquals(0, mutex.queueLength());
        assertFalse(mutex.isLocked());
    }

    // ---------------------------------------------------------------- non-positive async waits

    @Test
    void asyncTriesWithNonPositiveWaitsCompleteBeforeTheyReturn() {
        Mutex<String> mutex = new Mutex<>("v");
        for (Duration wait : new Duration[] {Duration.ZERO, Duration.ofMillis(-1)}) {
            CompletableFuture<MutexGuard<String>> free = mutex.tryLockAsync(wait);
            assertTrue(free.isDone() && !free.isCompletedExceptionally(), "granted at once: the mutex was free");
            CompletableFuture<MutexGuard<String>> taken = mutex.tryLockAsync(wait);
            assertTrue(taken.isDone(), "timed out at once: the mutex was held");
            assertInstanceOf(LockTimeoutException.class, failure(taken));
            assertEquals(Duration.ZERO, ((LockTimeoutException) failure(taken)).waitDuration());
            free.join().close();
        }
        CompletableFuture<MutexGuard<String>> past = mutex.tryLockAsync(Instant.EPOCH);
        assertTrue(past.isDone());
        past.join().close();
        assertEquals(0, mutex.queueLength());

        RwLock<String> lock = new RwLock<>("v");
        Duration negative = Duration.ofSeconds(-1);
        WriteGuard<String> w = lock.tryWriteAsync(negative).join();
        for (CompletableFuture<?> f : List.of(lock.tryReadAsync(negative), lock.tryWriteAsync(Duration.ZERO),
                lock.tryUpgradableReadAsync(Instant.EPOCH))) {
            assertTrue(f.isDone());
            assertInstanceOf(LockTimeoutException.class, failure(f));
        }
        w.close();
        ReadGuard<String> r = lock.tryReadAsync(Instant.EPOCH).join();
        UpgradableGuard<String> u = lock.tryUpgradableReadAsync(negative).join();
        r.close();
        u.close();
        assertEquals(0, lock.queueLength());
        assertEquals(0, lock.readHolds());

        Condvar cv = new Condvar();
        CompletableFuture<Condvar.Wakeup<String>> woken = cv.awaitAsync(mutex.lock(), negative);
        assertTrue(woken.isDone(), "the wait ends at once and the free mutex is taken back at once");
        assertFalse(woken.join().notified());
        woken.join().guard().close();
        Condvar.Wakeup<String> until = cv.awaitUntilAsync(mutex.lock(), Instant.EPOCH).join();
        assertFalse(until.notified());
        until.guard().close();
        assertFalse(mutex.isLocked());
    }

    // ---------------------------------------------------------------- RwLock timed async

    @Test
    void aTimedOutAsyncWriterLetsTheReadersItHeldBackIn() {
        RwLock<String> lock = RwLock.builder().name("catalog").build("v");
        ReadGuard<String> inside = lock.read();
        CompletableFuture<WriteGuard<String>> writer = lock.tryWriteAsync(Duration.ofMillis(30));
        CompletableFuture<ReadGuard<String>> behind = lock.readAsync(); // queues behind the writer
        assertFalse(behind.isDone());
        LockTimeoutException timeout = assertInstanceOf(LockTimeoutException.class, failure(writer));
        assertEquals("catalog", timeout.lockName());
        assertEquals(Duration.ofMillis(30), timeout.waitDuration());
        behind.join().close();
        inside.close();
        assertEquals(0, lock.queueLength());
        assertEquals(0, lock.readHolds());
    }

    @Test
    void timedAsyncAcquisitionsAreGrantedWithinTheirWaitAndCompleteOnTheExecutor() {
        RwLock<String> lock = new RwLock<>("v");
        WriteGuard<String> w = lock.write();
        CompletableFuture<ReadGuard<String>> read = lock.tryReadAsync(Duration.ofMinutes(1), executor);
        CompletableFuture<UpgradableGuard<String>> upgradable = lock.tryUpgradableReadAsync(Duration.ofMinutes(1), executor);
        AtomicReference<String> readOn = new AtomicReference<>();
        AtomicReference<String> upgradableOn = new AtomicReference<>();
        read.thenAccept(g -> readOn.set(Thread.currentThread().getName()));
        upgradable.thenAccept(g -> upgradableOn.set(Thread.currentThread().getName()));
        w.close();
        // Not join(): a joining thread may run pending dependents itself (CompletableFuture.postComplete).
        await().atMost(PATIENCE).until(() -> readOn.get() != null && upgradableOn.get() != null);
        assertEquals(EXECUTOR_THREAD, readOn.get());
        assertEquals(EXECUTOR_THREAD, upgradableOn.get());
        read.getNow(null).close();
        upgradable.getNow(null).close();
        WriteGuard<String> later = lock.tryWriteAsync(Instant.now().plusSeconds(60), executor).join();
        later.close();
        assertEquals(0, lock.readHolds());
    }

    // ---------------------------------------------------------------- executor overloads

    @Test
    void scopedReadWriteBodiesRunOnTheGivenExecutor() {
        RwLock<List<String>> lock = new RwLock<>(new ArrayList<>());
        String writtenOn = lock.<String>withWriteAsync(w -> {
            w.get().add("x");
            return CompletableFuture.completedFuture(Thread.currentThread().getName());
        }, executor).join();
        String readOn = lock.<String>withReadAsync(r -> CompletableFuture.completedFuture(
                Thread.currentThread().getName() + ":" + r.get().size()), executor).join();
        assertEquals(EXECUTOR_THREAD, writtenOn);
        assertEquals(EXECUTOR_THREAD + ":1", readOn);
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
        assertThrows(NullPointerException.class, () -> lock.withReadAsync(r -> null, null));
    }

    // ---------------------------------------------------------------- recursive reads

    @Test
    void recursiveReadFormsPassAQueuedWriterButNotAHoldingOne() throws Exception {
        RwLock<String> lock = new RwLock<>("v");
        ReadGuard<String> outer = lock.read();
        CompletableFuture<WriteGuard<String>> writer = lock.writeAsync(); // queued behind the outer read
        assertTrue(lock.tryRead().isEmpty(), "a plain read does not pass the queued writer");
        lock.tryReadRecursive().orElseThrow().close();
        lock.tryReadRecursive(Duration.ZERO).orElseThrow().close();
        lock.tryReadRecursive(Instant.now().plusSeconds(1)).orElseThrow().close();
        lock.readRecursiveInterruptibly().close();
        outer.close();
        WriteGuard<String> w = writer.join();
        assertTrue(lock.tryReadRecursive().isEmpty(), "a writer holds the lock");
        assertTrue(lock.tryReadRecursive(Duration.ofMillis(10)).isEmpty());
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, lock::readRecursiveInterruptibly);
        assertFalse(Thread.currentThread().isInterrupted());
        w.close();
        assertEquals(0, lock.queueLength());
        assertEquals(0, lock.readHolds());
    }

    // ---------------------------------------------------------------- condvar callback deadline

    @Test
    void theCallbackLevelDeadlineAwaitReportsTheTimeout() {
        Mutex<String> mutex = new Mutex<>("v");
        Condvar cv = new Condvar();
        CompletableFuture<Condvar.Wakeup<String>> outcome = new CompletableFuture<>();
        cv.awaitUntilAsync(mutex.lock(), Instant.now().plusMillis(20), new LockCallback<>() {
            @Override
            public void onLocked(Condvar.Wakeup<String> wakeup) {
                outcome.complete(wakeup);
            }

            @Override
            public void onFailed(Throwable cause) {
                outcome.completeExceptionally(cause);
            }
        }, null);
        Condvar.Wakeup<String> w = outcome.join();
        assertFalse(w.notified());
        w.guard().close();
        assertFalse(mutex.isLocked());
    }

    // ---------------------------------------------------------------- introspection

    @Test
    void introspectionIsDeclaredOnThePublicTypes() {
        Mutex<String> plain = new Mutex<>("v");
        assertEquals(Fairness.EVENTUAL, plain.fairness());
        assertNull(plain.name());
        Mutex<String> fifo = Mutex.builder().fairness(Fairness.FIFO).name("fifo").build("v");
        assertEquals(Fairness.FIFO, fifo.fairness());
        assertEquals("fifo", fifo.name());

        MutexGuard<String> held = fifo.lock();
        assertFalse(fifo.hasQueuedWaiters());
        CompletableFuture<MutexGuard<String>> queued = fifo.lockAsync();
        assertTrue(fifo.isLocked());
        assertTrue(fifo.hasQueuedWaiters());
        assertEquals(1, fifo.queueLength());
        held.close();
        queued.join().close();
        assertFalse(fifo.hasQueuedWaiters());
        assertEquals(0, fifo.queueLength());

        RwLock<String> rw = RwLock.builder().fairness(Fairness.BARGING).name("rw").build("v");
        assertEquals(Fairness.BARGING, rw.fairness());
        assertEquals("rw", rw.name());
        WriteGuard<String> w = rw.write();
        CompletableFuture<ReadGuard<String>> reader = rw.readAsync();
        assertTrue(rw.hasQueuedWaiters());
        assertEquals(1, rw.queueLength());
        w.close();
        reader.join().close();
        assertFalse(rw.hasQueuedWaiters());

        Condvar cv = new Condvar();
        assertFalse(cv.hasWaiters());
        CompletableFuture<MutexGuard<String>> waiting = cv.awaitAsync(plain.lock());
        assertTrue(cv.hasWaiters());
        assertEquals(1, cv.waiterCount());
        cv.notifyOne();
        waiting.join().close();
        assertEquals(0, cv.waiterCount());
        assertSame(Fairness.EVENTUAL, plain.fairness());
    }
}
