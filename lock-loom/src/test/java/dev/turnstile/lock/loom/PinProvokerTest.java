package dev.turnstile.lock.loom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PinProvokerTest {

    @Test
    void everyCallRunsItsActionInAFreshClassInitializer() {
        AtomicInteger runs = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            PinProvoker.runPinned(() -> {
                // The template is a hidden class, whose frames only a walker that shows them sees.
                boolean inInitializer = StackWalker.getInstance(StackWalker.Option.SHOW_HIDDEN_FRAMES)
                        .walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("<clinit>")));
                if (inInitializer) {
                    runs.incrementAndGet();
                }
            });
        }
        assertEquals(3, runs.get());
    }

    @Test
    void anExceptionFromTheActionReachesTheCallerUnwrapped() {
        IllegalArgumentException failure = new IllegalArgumentException("from the action");
        IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                () -> PinProvoker.runPinned(() -> {
                    throw failure;
                }));
        assertSame(failure, thrown);
    }
}
