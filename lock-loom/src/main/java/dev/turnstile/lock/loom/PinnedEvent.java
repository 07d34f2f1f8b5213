package dev.turnstile.lock.loom;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One {@code jdk.VirtualThreadPinned} event: a virtual thread blocked while it could not unmount,
 * so its carrier thread was blocked with it for {@link #duration()}.
 *
 * @param threadName  the pinned virtual thread's name (often empty: virtual threads are unnamed by default)
 * @param start       when the pinned wait began
 * @param duration    how long the carrier stayed blocked
 * @param reason      why the thread could not unmount, as JFR words it (for example "Native or VM
 *                    frame on stack"); empty when the JDK does not record a reason
 * @param stackTrace  the virtual thread's stack at the pinned wait, innermost frame first; empty when
 *                    JFR recorded no stack trace. Frames carry class, method and line, not file names.
 */
public record PinnedEvent(String threadName, Instant start, Duration duration, String reason,
                          List<StackTraceElement> stackTrace) {

    /** Copies the stack trace, so the event stays immutable. */
    public PinnedEvent {
        Objects.requireNonNull(threadName, "threadName");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(reason, "reason");
        stackTrace = List.copyOf(stackTrace);
    }

    /**
     * Whether a frame of the stack trace belongs to a class in {@code packagePrefix} or one of its
     * sub-packages: {@code "dev.turnstile"} matches {@code dev.turnstile.lock.Mutex} but not
     * {@code dev.turnstilex.Other}. A trailing dot is allowed.
     *
     * @param packagePrefix a package name such as {@code "com.example"}
     * @return whether a frame's class is in that package or below it
     * @throws IllegalArgumentException if {@code packagePrefix} is blank
     */
    public boolean hasFrameUnder(String packagePrefix) {
        String prefix = PackagePrefix.normalize(packagePrefix);
        for (StackTraceElement frame : stackTrace) {
            if (PackagePrefix.contains(prefix, frame.getClassName())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the carrier was pinned while the JVM loaded or initialized a class for this thread:
     * JFR says it waited for another thread's class initialization, or the innermost JDK frames
     * (those above the first frame outside {@code java.}, {@code jdk.} and {@code sun.}) are inside a
     * class loader's {@code loadClass}. JDK 25 pins a virtual thread that contends for a class-loading
     * lock or waits for a class initializer; that happens once per class, the first time many
     * virtual threads need it at once, whatever the code does with locks.
     *
     * @return whether this pin came from class loading or initialization
     */
    public boolean duringClassLoading() {
        if (reason.startsWith("Waited for initialization")) {
            return true;
        }
        for (StackTraceElement frame : stackTrace) {
            String type = frame.getClassName();
            if (!(type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun."))) {
                return false;
            }
            if (frame.getMethodName().startsWith("loadClass") && type.endsWith("ClassLoader")) {
                return true;
            }
        }
        return false;
    }

    /**
     * A human-readable description: thread, duration, reason and at most {@code maxFrames} frames,
     * one per line, for assertion messages.
     *
     * @param maxFrames how many frames to print at most, innermost first
     * @return the description, over several lines
     */
    public String describe(int maxFrames) {
        StringBuilder text = new StringBuilder("virtual thread '").append(threadName)
                .append("' pinned its carrier for ").append(duration.toNanos()).append(" ns");
        if (!reason.isEmpty()) {
            text.append(" (").append(reason).append(')');
        }
        int shown = Math.min(maxFrames, stackTrace.size());
        for (int i = 0; i < shown; i++) {
            text.append(System.lineSeparator()).append("\tat ").append(stackTrace.get(i));
        }
        if (shown < stackTrace.size()) {
            text.append(System.lineSeparator()).append("\t... ").append(stackTrace.size() - shown).append(" more");
        }
        return text.toString();
    }
}
