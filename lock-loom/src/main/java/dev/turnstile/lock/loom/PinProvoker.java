package dev.turnstile.lock.loom;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;

/**
 * Runs code where a virtual thread cannot unmount, so that any blocking inside it pins the carrier:
 * a positive control for pinning checks. A check that reports "no pinning" proves something only if
 * it does report the pin this class provokes.
 *
 * <pre>{@code
 * Thread pinned = Thread.ofVirtual().start(() -> PinProvoker.runPinned(() -> latch.await()));
 * }</pre>
 *
 * <h2>How</h2>
 * Blocking inside a class initializer pins a virtual thread on every JDK with virtual threads (up to
 * at least JDK 25), unlike {@code synchronized}, which stopped pinning in JDK 24. Each call defines a
 * fresh hidden class from the bytes of a template class whose static initializer runs the given
 * action, and initializes it on the calling thread; a hidden class is never shared, so every call
 * runs a class initializer of its own.
 *
 * <p>Use it only in tests: each call defines a class (unloaded with it once unreachable).
 */
public final class PinProvoker {
    /** The action the template's initializer runs for the thread that is initializing it. */
    private static final ThreadLocal<Runnable> ACTION = new ThreadLocal<>();
    private static final byte[] TEMPLATE = templateBytes();

    private PinProvoker() {
    }

    /**
     * Runs {@code action} on the calling thread inside a class initializer. On a virtual thread,
     * every blocking operation in {@code action} pins the carrier.
     *
     * @param action the code to run pinned
     * @throws NullPointerException if {@code action} is null
     * @throws RuntimeException     or {@link Error}: whatever {@code action} throws, unwrapped
     */
    public static void runPinned(Runnable action) {
        if (action == null) {
            throw new NullPointerException("action");
        }
        ACTION.set(action);
        try {
            MethodHandles.lookup().defineHiddenClass(TEMPLATE, true);
        } catch (ExceptionInInitializerError e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw e;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot define the pinning template class", e);
        } finally {
            ACTION.remove();
        }
    }

    /** Called by {@link PinningInitializer}'s static initializer. */
    static void runCurrentAction() {
        Runnable action = ACTION.get();
        if (action != null) {
            action.run();
        }
    }

    private static byte[] templateBytes() {
        String resource = PinningInitializer.class.getSimpleName() + ".class";
        try (InputStream in = PinProvoker.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("class file " + resource + " not found beside " + PinProvoker.class);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
