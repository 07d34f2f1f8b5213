package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.childjvm.ChildJvm;
import dev.turnstile.lock.childjvm.FreshJvmScenarios;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;

/**
 * What needs a JVM of its own: lock-core as a named module on a runtime without {@code jdk.jfr}
 * (it {@code requires static jdk.jfr}), the same module emitting its events to a recording started on
 * the command line, contended locks that leave JFR uninitialized until a recording starts, and the
 * system property that turns statistics on for every lock.
 */
class DiagnosticsInAFreshJvmTest {

    @Test
    void theLocksWorkOnARuntimeWithoutJfr() throws Exception {
        String out = run(List.of("--limit-modules", "java.base,dev.turnstile.lock",
                "--module-path", location(Mutex.class), "--add-modules", "dev.turnstile.lock",
                "-cp", location(FreshJvmScenarios.class)), "no-jfr");
        assertTrue(out.contains("no jdk.jfr; contended and statistics locks work"), out);
    }

    @Test
    void aNamedModuleEmitsItsEventsToACommandLineRecording() throws Exception {
        Path file = Files.createTempFile("turnstile-child", ".jfr");
        try {
            String out = run(List.of("-XX:StartFlightRecording:filename=" + file + ",settings=none,"
                            + "+dev.turnstile.ContendedAcquisition#enabled=true,"
                            + "+dev.turnstile.ContendedAcquisition#threshold=0ms",
                    "--module-path", location(Mutex.class), "--add-modules", "dev.turnstile.lock",
                    "-cp", location(FreshJvmScenarios.class)), "contended");
            assertTrue(out.contains("contended run done"), out);
            List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                    .filter(e -> e.getEventType().getName().equals("dev.turnstile.ContendedAcquisition"))
                    .filter(e -> "child-mutex".equals(e.getString("lockName")))
                    .toList();
            assertEquals(1, events.size(), "events: " + events);
            assertEquals("handed off", events.get(0).getString("outcome"));
            assertEquals("dev.turnstile.lock.Mutex", events.get(0).getClass("lockClass").getName());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void contendedLocksDoNotStartJfrUntilARecordingDoes() throws Exception {
        String out = run(List.of("-cp", location(Mutex.class) + File.pathSeparator
                + location(FreshJvmScenarios.class)), "jfr-untouched");
        assertTrue(out.contains("JFR initialized after contended locks: false"), out);
    }

    @Test
    void theSystemPropertyTurnsStatisticsOnForEveryLockThatDoesNotChoose() throws Exception {
        String out = run(List.of("-Ddev.turnstile.lock.statistics=true",
                "-cp", location(Mutex.class) + File.pathSeparator + location(FreshJvmScenarios.class)),
                "statistics-by-default");
        assertTrue(out.contains("statistics by default: mutex true, rwlock true, opted out false"), out);
    }

    private static String location(Class<?> c) {
        return ChildJvm.location(c);
    }

    private static String run(List<String> options, String scenario) throws Exception {
        return ChildJvm.run(options, FreshJvmScenarios.class, Duration.ofSeconds(60), scenario);
    }
}
