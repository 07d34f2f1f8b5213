package dev.turnstile.lock.loom;

/**
 * The template {@link PinProvoker} copies into a fresh hidden class for each call: its static
 * initializer runs the caller's action. Never initialized under its own name (the action is absent
 * then, so that would do nothing).
 */
final class PinningInitializer {
    static {
        PinProvoker.runCurrentAction();
    }

    private PinningInitializer() {
    }
}
