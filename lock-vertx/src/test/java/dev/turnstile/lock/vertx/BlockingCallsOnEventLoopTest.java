package dev.turnstile.lock.vertx;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.BlockingCalls;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.spi.NonBlockingThreadDetector;
import dev.turnstile.lock.vertx.internal.EventLoopDetector;
import io.vertx.core.Context;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.util.ServiceLoader;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** lock-core's blocking calls refuse to park an event loop in strict mode, and only an event loop. */
@ExtendWith(VertxExtension.class)
class BlockingCallsOnEventLoopTest {
    private BlockingCalls.Policy before;

    @BeforeEach
    void remember() {
        before = BlockingCalls.policy();
    }

    @AfterEach
    void restore() {
        BlockingCalls.setPolicy(before);
    }

    @Test
    void theDetectorIsInstalledAsAService() {
        assertTrue(ServiceLoader.load(NonBlockingThreadDetector.class).stream()
                .anyMatch(p -> p.type() == EventLoopDetector.class));
        assertEquals(null, new EventLoopDetector().nonBlockingReason(), "a test thread may block");
    }

    @Test
    void strictModeRefusesToParkAnEventLoopAndLeavesTheMutexAlone(Vertx vertx) throws Exception {
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Mutex<Integer> mutex = new Mutex<>(0);
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        try (MutexGuard<Integer> held = mutex.lock()) {
            Throwable refused = Contexts.get(runOn(loop, () -> mutex.lock().close()));
            assertInstanceOf(IllegalStateException.class, refused);
            assertTrue(refused.getMessage().contains("VertxLocks"), refused.getMessage());
            assertEquals(0, mutex.queueLength());
            assertTrue(held.isHeld());
        }
        assertFalse(mutex.isLocked());
        // The non-blocking way works on the same event loop in strict mode.
        assertEquals(null, Contexts.get(runOn(loop, () -> VertxLocks.lock(mutex).result().close())));
    }

    @ParameterizedTest
    @EnumSource(value = ThreadingModel.class, names = {"WORKER", "VIRTUAL_THREAD"})
    void strictModeLetsWorkersAndVirtualThreadsBlock(ThreadingModel model, Vertx vertx) throws Exception {
        Context context = Contexts.deploy(vertx, model);
        Mutex<Integer> mutex = new Mutex<>(0);
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        MutexGuard<Integer> held = mutex.lock();
        CompletableFuture<Throwable> outcome = runOn(context, () -> mutex.lock().close());
        await().atMost(Contexts.WAIT).until(() -> mutex.queueLength() == 1);
        held.close();
        assertEquals(null, Contexts.get(outcome));
    }

    @Test
    void warnModeCountsAnEventLoopThatParks(Vertx vertx) throws Exception {
        Context loop = Contexts.deploy(vertx, ThreadingModel.EVENT_LOOP);
        Mutex<Integer> mutex = new Mutex<>(0);
        BlockingCalls.setPolicy(BlockingCalls.Policy.WARN);
        long detected = BlockingCalls.detected();
        MutexGuard<Integer> held = mutex.lock();
        CompletableFuture<Throwable> outcome = runOn(loop, () -> mutex.lock().close());
        await().atMost(Contexts.WAIT).until(() -> mutex.queueLength() == 1);
        held.close();
        assertEquals(null, Contexts.get(outcome), "warn mode parks anyway");
        assertTrue(BlockingCalls.detected() > detected);
    }

    /** Runs {@code action} on {@code context}; the future holds what it threw, or null. */
    private static CompletableFuture<Throwable> runOn(Context context, Runnable action) {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                action.run();
                outcome.complete(null);
            } catch (Throwable t) {
                outcome.complete(t);
            }
        });
        return outcome;
    }
}
