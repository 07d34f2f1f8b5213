/**
 * Turnstile's core: the shared parking core and the locks built on it ({@link dev.turnstile.lock.Mutex}
 * and friends). No runtime dependencies.
 *
 * <p>{@code dev.turnstile.lock.park} is internal: it is exported only to Turnstile's own adapter
 * modules, which build their front-ends on its callback waiter.
 *
 * <p>{@code jdk.jfr} is optional ({@code static}): when the runtime has it, the core emits its JFR
 * events ({@code dev.turnstile.ContendedAcquisition}, {@code dev.turnstile.LongHold}); a runtime
 * without it (a {@code jlink} image of {@code java.base}) runs the locks without them.
 */
module dev.turnstile.lock {
    requires static jdk.jfr;
    exports dev.turnstile.lock;
    exports dev.turnstile.lock.spi;
    uses dev.turnstile.lock.spi.NonBlockingThreadDetector;
    exports dev.turnstile.lock.park to
            dev.turnstile.lock.reactor,
            dev.turnstile.lock.vertx,
            dev.turnstile.lock.loom;
}
