package dev.turnstile.lock.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedClass;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/**
 * Counts thread parks with JFR over the measured rounds of one scenario: a recording of this JVM
 * with only {@code jdk.ThreadPark} enabled, threshold 0, no stack traces, started after the warm-up
 * and stopped after the last measured round, then read back from its file and counted.
 *
 * <p>Overhead: the JVM writes one small event per park into a thread-local buffer (a park already
 * costs a context switch, microseconds); no stack is walked, and the file is read only after the
 * measurement. Parks on {@link java.util.concurrent.CountDownLatch} are not counted: those are the
 * benchmark's own start gate and finish latch, not the lock's.
 *
 * <p>A virtual thread that parks unmounts from its carrier without a {@code jdk.ThreadPark} event
 * (JDK 25), so with virtual-thread workers the count is that of the carrier threads parking when
 * they run out of work, and in async mode that of the pool's threads; the lock's own parks are
 * counted directly only with platform-thread workers.
 */
public final class ParkCounter implements AutoCloseable {
    /** The event counted. */
    public static final String EVENT = "jdk.ThreadPark";
    private static final String HARNESS_LATCH = "java.util.concurrent.CountDownLatch";

    private final Recording recording;

    private ParkCounter(Recording recording) {
        this.recording = recording;
    }

    /** Starts counting. */
    public static ParkCounter start() {
        Recording r = new Recording();
        r.setName("lockbench-parks");
        r.enable(EVENT).withThreshold(Duration.ZERO).withoutStackTrace();
        r.setToDisk(true);
        r.start();
        return new ParkCounter(r);
    }

    /**
     * Starts and stops one empty recording, so that JFR's one-time start-up in this JVM (its threads,
     * its classes and their compilation) happens before any warm-up rather than in the first
     * scenario's measured rounds. Failures are ignored: {@link #start()} reports them.
     */
    public static void prime() {
        try (ParkCounter c = start()) {
            c.stopAndCount();
        } catch (IOException | RuntimeException | Error e) {
            // counted as "parks not counted" when the real recording fails the same way
        }
    }

    /**
     * Stops the recording and counts its park events outside the benchmark's latches.
     *
     * @return the number of parks
     * @throws IOException if the recording cannot be written or read back
     */
    public long stopAndCount() throws IOException {
        recording.stop();
        Path file = Files.createTempFile("lockbench-parks", ".jfr");
        try {
            recording.dump(file);
            long parks = 0;
            try (RecordingFile events = new RecordingFile(file)) {
                while (events.hasMoreEvents()) {
                    if (counts(events.readEvent())) {
                        parks++;
                    }
                }
            }
            return parks;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static boolean counts(RecordedEvent e) {
        if (!EVENT.equals(e.getEventType().getName())) {
            return false;
        }
        RecordedClass blocker = e.hasField("parkedClass") ? e.getClass("parkedClass") : null;
        return blocker == null || !blocker.getName().startsWith(HARNESS_LATCH);
    }

    @Override
    public void close() {
        recording.close();
    }
}
