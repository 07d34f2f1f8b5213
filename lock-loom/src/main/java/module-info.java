/**
 * Virtual-thread tooling for Turnstile users: JFR-based pinning detection
 * ({@link dev.turnstile.lock.loom.PinningRecorder}) and a JUnit 5 extension that fails tests whose
 * virtual threads pinned a carrier ({@link dev.turnstile.lock.loom.FailOnPinning}). JUnit is needed
 * only by the extension, so it is an optional requirement ({@code static}), and a transitive one:
 * a test module that uses {@code @FailOnPinning} reads JUnit's API through this module.
 */
module dev.turnstile.lock.loom {
    requires dev.turnstile.lock;
    requires jdk.jfr;
    requires static transitive org.junit.jupiter.api;

    exports dev.turnstile.lock.loom;
}
