package dev.turnstile.lock.childjvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a scenario's {@code main} in a JVM of its own, on the JDK running the tests: for what needs a
 * fresh JVM (class initialization, system properties read once) or JVM options (a virtual-thread
 * scheduler with one carrier).
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * Runs {@code main} with virtual threads on a scheduler of exactly one carrier, on a class path of
     * the code locations of {@code classPath}; asserts that it exits with status 0 within
     * {@code timeout}.
     *
     * @return what it wrote to standard output and standard error
     */
    public static String onOneCarrier(Class<?> main, Duration timeout, Class<?>... classPath) throws Exception {
        String cp = String.join(File.pathSeparator, Stream.of(classPath).map(ChildJvm::location).toList());
        return run(List.of("-Djdk.virtualThreadScheduler.parallelism=1", "-Djdk.virtualThreadScheduler.maxPoolSize=1",
                "-cp", cp), main, timeout);
    }

    /**
     * Runs {@code main} with {@code options} (which give its class or module path) and {@code args};
     * asserts that it exits with status 0 within {@code timeout}, and kills it if not.
     *
     * @return what it wrote to standard output and standard error
     */
    public static String run(List<String> options, Class<?> main, Duration timeout, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.add(main.getName());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Read while it runs: a child that fills the pipe would otherwise block and never exit.
        CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String out = output.get(10, TimeUnit.SECONDS);
        assertTrue(finished, "the child JVM did not finish within " + timeout + "; output:\n" + out);
        assertEquals(0, p.exitValue(), "the child JVM's exit status; output:\n" + out);
        return out;
    }

    /** Where {@code c} was loaded from: a class folder or a jar, for a child's class or module path. */
    public static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
