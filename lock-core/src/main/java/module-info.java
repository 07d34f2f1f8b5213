/**
 * Turnstile's core: the locks ({@link dev.turnstile.lock.Mutex}, {@link dev.turnstile.lock.RwLock},
 * {@link dev.turnstile.lock.Condvar}), the service interface of the blocking-call check, and the
 * parking core they are built on, exported as an extension SPI for new lock types. No dependencies.
 *
 * <p>{@code jdk.jfr} is optional ({@code static}): when the runtime has it, the core emits its JFR
 * events ({@code dev.turnstile.ContendedAcquisition}, {@code dev.turnstile.LongHold}); a runtime
 * without it (a {@code jlink} image of {@code java.base}) runs the locks without them.
 */
module dev.turnstile.lock {
    requires static jdk.jfr;
    exports dev.turnstile.lock;
    exports dev.turnstile.lock.park;
    exports dev.turnstile.lock.spi;
    uses dev.turnstile.lock.spi.NonBlockingThreadDetector;
}
