/**
 * Virtual-thread tooling for code that uses Turnstile locks (or any other code): a JFR-based
 * {@link dev.turnstile.lock.loom.PinningRecorder} that captures every time a virtual thread pinned
 * its carrier, and a JUnit 5 extension ({@link dev.turnstile.lock.loom.FailOnPinning}) that fails a
 * test whose virtual threads pinned one.
 *
 * <p>What pins on JDK 25: blocking while the virtual thread cannot unmount, i.e. inside a class
 * initializer or under a native frame (JNI or an FFM upcall). {@code LockSupport.park},
 * {@code java.util.concurrent} locks and, since JDK 24, {@code synchronized} and
 * {@code Object.wait} do not. On JDK 21 blocking inside {@code synchronized} pins as well, which is
 * why Turnstile never blocks while holding a monitor.
 */
package dev.turnstile.lock.loom;
