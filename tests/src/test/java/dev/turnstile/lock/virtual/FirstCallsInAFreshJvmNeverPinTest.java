package dev.turnstile.lock.virtual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * issue #8.10: in a fresh JVM, the first concurrent calls of the asynchronous paths made virtual
 * threads wait for another thread's initialization of {@code LockFuture}, {@code AcquisitionFuture}
 * and {@code LockFuture$Timed}, pinning their carriers (JFR {@code jdk.VirtualThreadPinned}: "Waited
 * for initialization of ... by another thread"). A test JVM has long initialized every class, so this
 * one starts a fresh JVM ({@link FirstCallsWorkload}) with the same Java runtime and class path, which
 * records pins at threshold 0 while hundreds of virtual threads make the first call of every
 * asynchronous and contended path at once, and reports the pins that have a frame in the library.
 * ANCHORS ("Virtual threads"): JFR {@code jdk.VirtualThreadPinned} at threshold 0.
 *
 * <p>The child runs on eight carriers (on two cores the OS then interleaves them, which makes the
 * first calls overlap far more often than two carriers would) and proves its own eyesight: a pin
 * provoked on purpose while waiting for a mutex must be reported with library frames.
 */
class FirstCallsInAFreshJvmNeverPinTest {
    private static final long BOUND_SECONDS = 120;
    private static final int THREADS_PER_PATH = 32;

    @Test
    void theFirstConcurrentCallsOfEveryPathInAFreshJvmNeverPinACarrier(@TempDir Path dir) throws Exception {
        List<String> output = runFreshJvm(dir);
        String all = String.join(System.lineSeparator(), output);
        assertTrue(count(output, FirstCallsWorkload.CONTROL_PINS) > 0,
                "the child's recorder must see the pin provoked on purpose, or its silence proves nothing:\n" + all);
        assertEquals(0, count(output, FirstCallsWorkload.LIBRARY_PINS),
                "virtual threads pinned their carriers in the library's first calls:\n" + all);
    }

    private static List<String> runFreshJvm(Path dir) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> command = new ArrayList<>(List.of(java,
                "-Djdk.virtualThreadScheduler.parallelism=8",
                "-cp", System.getProperty("java.class.path"),
                FirstCallsWorkload.class.getName(), Integer.toString(THREADS_PER_PATH)));
        File log = dir.resolve("child.log").toFile();
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log).start();
        if (!child.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            fail("the child JVM did not finish within " + BOUND_SECONDS + " s:\n" + Files.readString(log.toPath()));
        }
        List<String> output = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
        assertTrue(child.exitValue() == 0, "the child JVM failed (exit " + child.exitValue() + "):\n"
                + String.join(System.lineSeparator(), output));
        return output;
    }

    /** The number after {@code label} on the line that starts with it. */
    private static int count(List<String> output, String label) {
        return output.stream().filter(line -> line.startsWith(label))
                .mapToInt(line -> Integer.parseInt(line.substring(label.length()).trim()))
                .findFirst().orElseThrow(() -> new AssertionError("no " + label + " line in:\n" + output));
    }
}
