package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous front-end of {@link RwLock}: reads, writes, upgradable reads and upgrades that wait
 * in the same task-fair queue as threads, and cancellations that never leave a hold behind.
 */
class RwLockAsyncTest {
    private final RwLock<List<String>> lock = new RwLock<>(new ArrayList<>());

    @Test
    void readersShareAndAWriterWaitsForThem() {
        ReadGuard<List<String>> r1 = lock.readAsync().join();
        ReadGuard<List<String>> r2 = lock.readAsync().join();
        assertEquals(2, lock.readHolds());

        CompletableFuture<WriteGuard<List<String>>> w = lock.writeAsync();
        assertFalse(w.isDone());
        CompletableFuture<ReadGuard<List<String>>> lateReader = lock.readAsync();
        assertFalse(lateReader.isDone(), "a reader does not overtake a queued writer");

        r1.close();
        assertFalse(w.isDone());
        r2.close();
        assertTrue(w.isDone());
        assertTrue(lock.isWriteLocked());
        assertFalse(lateReader.isDone());

        w.join().close();
        assertTrue(lateReader.isDone());
        lateReader.join().close();
        assertEquals(0, lock.readHolds());
    }

    @Test
    void asyncAndBlockingWaitersShareOneQueue() throws Exception {
        WriteGuard<List<String>> held = lock.write();
        CompletableFuture<Void> asyncWriter = lock.writeAsync().thenAccept(w -> {
            w.get().add("async writer");
            w.close();
        });
        assertEquals(1, lock.queueLength());
        CompletableFuture<List<String>> seenByReader = new CompletableFuture<>();
        Thread blockingReader = Thread.ofPlatform().start(() -> {
            try (ReadGuard<List<String>> r = lock.read()) {
                seenByReader.complete(List.copyOf(r.get()));
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> lock.queueLength() == 2); // behind the async writer

        held.close();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            asyncWriter.join();
            blockingReader.join();
        });
        assertEquals(List.of("async writer"), seenByReader.join(), "the thread was served after the async writer");
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void cancelledQueuedWriterLetsTheReadersItHeldBackIn() {
        ReadGuard<List<String>> r = lock.read();
        CompletableFuture<WriteGuard<List<String>>> w = lock.writeAsync();
        CompletableFuture<ReadGuard<List<String>>> behind = lock.readAsync();
        assertFalse(behind.isDone());

        assertTrue(w.cancel(false));

        assertTrue(behind.isDone(), "the reader no longer waits behind a writer");
        behind.join().close();
        r.close();
        assertEquals(0, lock.readHolds());
        assertEquals(0, lock.queueLength());
    }

    @Test
    void writeGrantThatLostToACancelIsReleased() {
        QueuedExecutor executor = new QueuedExecutor();
        WriteGuard<List<String>> held = lock.write();
        CompletableFuture<WriteGuard<List<String>>> w = lock.writeAsync(executor);
        held.close();
        assertTrue(lock.isWriteLocked(), "granted, delivery pending");
        assertTrue(w.cancel(false));
        executor.runAll();
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void upgradeAsyncWaitsForTheReadersInsideAndKeepsNewOnesOut() {
        UpgradableGuard<List<String>> u = lock.upgradableReadAsync().join();
        ReadGuard<List<String>> reader = lock.read();
        CompletableFuture<WriteGuard<List<String>>> upgraded = u.upgradeAsync();
        assertFalse(upgraded.isDone());
        CompletableFuture<ReadGuard<List<String>>> newReader = lock.readAsync();
        assertFalse(newReader.isDone(), "new readers wait while an upgrade is pending");

        reader.close();

        assertTrue(upgraded.isDone());
        assertTrue(lock.isWriteLocked());
        upgraded.join().close();
        newReader.join().close();
        u.close(); // consumed by the upgrade: does nothing
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void upgradeAsyncWithoutReadersCompletesAtOnce() {
        UpgradableGuard<List<String>> u = lock.upgradableRead();
        CompletableFuture<WriteGuard<List<String>>> upgraded = u.upgradeAsync();
        assertTrue(upgraded.isDone());
        upgraded.join().close();
        assertFalse(lock.isWriteLocked());
        assertThrows(IllegalStateException.class, u::upgradeAsync, "the guard was consumed");
    }

    @Test
    void cancellingAPendingUpgradeGivesTheUpgradableHoldBack() {
        UpgradableGuard<List<String>> u = lock.upgradableRead();
        ReadGuard<List<String>> reader = lock.read();
        CompletableFuture<WriteGuard<List<String>>> upgraded = u.upgradeAsync();
        CompletableFuture<ReadGuard<List<String>>> heldBack = lock.readAsync();
        assertFalse(heldBack.isDone());

        assertTrue(upgraded.cancel(false));

        assertTrue(u.isHeld(), "the upgradable guard holds again");
        assertTrue(lock.isUpgradableLocked());
        assertTrue(heldBack.isDone(), "the readers the upgrade held back are let in");
        heldBack.join().close();
        reader.close();
        u.close();
        assertEquals(0, lock.readHolds());
        assertEquals(0, lock.queueLength());
    }

    /**
     * The upgrade was granted (the last reader left) but not yet delivered when the caller cancels:
     * the write hold is turned back into the upgradable hold before cancel returns, so the guard is
     * usable and closable at once, and the delivery that follows does nothing.
     */
    @Test
    void cancellingAGrantedButUndeliveredUpgradeRevertsItAtOnce() {
        UpgradableGuard<List<String>> u = lock.upgradableRead();
        ReadGuard<List<String>> reader = lock.read();
        CompletableFuture<WriteGuard<List<String>>> upgraded = u.upgradeAsync();
        Mutex<String> driver = new Mutex<>("driver");
        MutexGuard<String> driverHeld = driver.lock();
        List<Object> seen = new ArrayList<>();
        driver.lockAsync().thenAccept(g -> {
            reader.close(); // grants the upgrade; its delivery waits on the trampoline behind this callback
            seen.add(upgraded.cancel(false));
            seen.add(u.isHeld());
            seen.add(lock.isWriteLocked());
            seen.add(lock.isUpgradableLocked());
            g.close();
        });

        driverHeld.close(); // runs the callback above inside a trampoline delivery on this thread

        assertEquals(List.of(true, true, false, true), seen);
        assertTrue(upgraded.isCancelled());
        u.close();
        assertEquals(0, lock.readHolds());
        assertFalse(lock.isUpgradableLocked());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void withReadAndWithWriteAsyncReleaseWhenTheirStagesEnd() {
        CompletableFuture<String> body = new CompletableFuture<>();
        CompletableFuture<String> read = lock.withReadAsync(r -> body);
        assertEquals(1, lock.readHolds());
        body.complete("done");
        assertEquals("done", read.join());
        assertEquals(0, lock.readHolds());

        CompletableFuture<Integer> write = lock.withWriteAsync(w -> {
            w.get().add("x");
            return CompletableFuture.completedFuture(w.get().size());
        });
        assertEquals(1, write.join());
        assertFalse(lock.isWriteLocked());

        CompletableFuture<Integer> throwing = lock.withWriteAsync(w -> {
            throw new IllegalStateException("boom");
        });
        assertTrue(throwing.isCompletedExceptionally());
        assertFalse(lock.isWriteLocked());
    }

    @Test
    void callbackLevelReadAndWriteDeliverGuards() {
        List<ReadGuard<List<String>>> reads = new ArrayList<>();
        PendingLock p = lock.readAsync(new LockCallback<>() {
            @Override
            public void onLocked(ReadGuard<List<String>> guard) {
                reads.add(guard);
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        }, null);
        assertTrue(p.isGranted());
        assertEquals(1, reads.size());
        reads.get(0).close();
        assertEquals(0, lock.readHolds());
    }

    @Test
    void badArgumentsFailFast() {
        assertThrows(NullPointerException.class, () -> lock.readAsync((java.util.concurrent.Executor) null));
        assertThrows(NullPointerException.class, () -> lock.writeAsync((java.util.concurrent.Executor) null));
        assertThrows(NullPointerException.class, () -> lock.upgradableReadAsync((java.util.concurrent.Executor) null));
        assertThrows(NullPointerException.class, () -> lock.withReadAsync(null));
        assertThrows(NullPointerException.class, () -> lock.withWriteAsync(null));
        assertThrows(NullPointerException.class, () -> lock.readAsync(null, null));
        assertEquals(0, lock.queueLength());
    }
}
