package dev.turnstile.lock.loom;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingStream;

/**
 * Records every time a virtual thread pins its carrier, using JFR's {@code jdk.VirtualThreadPinned}
 * event with a threshold of zero (JFR's default of 20 ms would hide the short pins that add up under
 * load), and returns the events with their stack traces.
 *
 * <pre>{@code
 * PinningReport report = PinningRecorder.record(() -> {
 *     try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
 *         for (int i = 0; i < 1_000; i++) executor.submit(() -> mutex.withLock(v -> v.add(1)));
 *     }
 * });
 * assertTrue(report.withFrameUnder("dev.turnstile").isEmpty(), report.describe());
 *
 * try (PinningRecorder recorder = PinningRecorder.start()) {   // or around a longer scope
 *     runWorkload();
 *     PinningReport during = recorder.stop();
 * }
 * }</pre>
 *
 * <h2>What it sees</h2>
 * The recording is JVM-wide: pins of every virtual thread that happen between {@link #start()} and
 * {@link #stop()} are reported, not only those of the workload's threads; narrow them down with
 * {@link PinningReport#withFrameUnder(String...)}. An event is emitted when the pinned wait ends, so
 * a workload must have finished its blocking operations (joined its threads, closed its executor)
 * before {@link #stop()}; {@code stop()} then waits until JFR has delivered every event.
 *
 * <h2>Proving a negative</h2>
 * "No event" is only evidence if the recorder would have seen a pin. Blocking inside a class
 * initializer pins on every JDK with virtual threads, so a test suite can provoke one and check the
 * recorder reports it (this module's own tests do).
 *
 * <p>A recorder is used by one thread; {@link #stop()} may be called once. Starting one costs JFR's
 * start-up (hundreds of milliseconds the first time in a JVM), so record around a whole workload,
 * not around each operation.
 */
public final class PinningRecorder implements AutoCloseable {
    /** The JFR event type this recorder enables and collects. */
    public static final String PINNED_EVENT = "jdk.VirtualThreadPinned";

    private final RecordingStream stream;
    /** Appended to by JFR's stream thread, read after {@link RecordingStream#stop()} returned. */
    private final List<PinnedEvent> events = new ArrayList<>();
    private boolean stopped;

    private PinningRecorder() {
        stream = new RecordingStream();
        try {
            stream.enable(PINNED_EVENT).withThreshold(Duration.ZERO).withStackTrace();
            // Events are converted at once, but never share the stream's mutable event objects.
            stream.setReuse(false);
            stream.onEvent(PINNED_EVENT, event -> {
                PinnedEvent pinned = convert(event);
                synchronized (events) {
                    events.add(pinned);
                }
            });
            // The recording itself starts before startAsync returns; only delivery is asynchronous.
            stream.startAsync();
        } catch (RuntimeException | Error e) {
            stream.close();
            throw e;
        }
    }

    /**
     * Starts recording pinning events now.
     *
     * @return the recorder; {@link #stop()} or {@link #close()} it
     * @throws IllegalStateException if JFR is not available or cannot start a recording
     */
    public static PinningRecorder start() {
        return new PinningRecorder();
    }

    /**
     * Records pinning while {@code workload} runs on the calling thread, and returns what was seen.
     * The workload must wait for the threads it starts before returning (see the class notes).
     *
     * @param workload the code to run while recording
     * @return the pinning events recorded while the workload ran
     * @throws Exception whatever the workload throws; the recording is discarded then
     */
    public static PinningReport record(Workload workload) throws Exception {
        try (PinningRecorder recorder = start()) {
            workload.run();
            return recorder.stop();
        }
    }

    /**
     * Stops recording, waits until every event recorded so far has been delivered, and returns them.
     *
     * @return the pinning events recorded since {@link #start()}
     * @throws IllegalStateException if this recorder was already stopped or closed
     */
    public PinningReport stop() {
        if (stopped) {
            throw new IllegalStateException("this pinning recorder was already stopped");
        }
        stopped = true;
        stream.stop();
        stream.close();
        synchronized (events) {
            return new PinningReport(events);
        }
    }

    /** Stops recording and discards the events, if {@link #stop()} has not done so already. */
    @Override
    public void close() {
        if (!stopped) {
            stopped = true;
            stream.close();
        }
    }

    private static PinnedEvent convert(RecordedEvent event) {
        RecordedThread thread = event.getThread();
        String threadName = thread == null || thread.getJavaName() == null ? "" : thread.getJavaName();
        // "pinnedReason" exists from JDK 24 on; absent on JDK 21.
        String reason = event.hasField("pinnedReason") && event.getString("pinnedReason") != null
                ? event.getString("pinnedReason") : "";
        return new PinnedEvent(threadName, event.getStartTime(), event.getDuration(), reason,
                frames(event.getStackTrace()));
    }

    private static List<StackTraceElement> frames(RecordedStackTrace stackTrace) {
        if (stackTrace == null) {
            return List.of();
        }
        List<StackTraceElement> frames = new ArrayList<>(stackTrace.getFrames().size());
        for (RecordedFrame frame : stackTrace.getFrames()) {
            if (frame.getMethod() == null || frame.getMethod().getType() == null) {
                continue;
            }
            frames.add(new StackTraceElement(frame.getMethod().getType().getName(), frame.getMethod().getName(),
                    null, frame.getLineNumber()));
        }
        return frames;
    }

    /** Code to run while recording; may throw, and must join the threads it starts before returning. */
    @FunctionalInterface
    public interface Workload {
        /**
         * Runs the workload.
         *
         * @throws Exception whatever the workload throws
         */
        void run() throws Exception;
    }
}
