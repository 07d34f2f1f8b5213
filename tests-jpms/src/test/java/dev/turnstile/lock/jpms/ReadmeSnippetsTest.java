package dev.turnstile.lock.jpms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Mutex;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's lock-core snippets, read from {@code README.md} itself, compiled against lock-core
 * and run: they stay compiling and true. (The Reactor and Vert.x snippets are compiled and run by
 * their modules' tests.)
 */
class ReadmeSnippetsTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Pattern JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
    /** Snippets that need another module (a front-end, Micrometer) are left to that module's tests. */
    private static final Pattern OTHER_MODULE =
            Pattern.compile("Mono|Flux|Reactor|Vertx|Verticle|Future\\.await|LocalLocks|LockMetrics|meterRegistry");

    static List<String> coreSnippets() throws Exception {
        List<String> snippets = new ArrayList<>();
        Matcher m = JAVA_BLOCK.matcher(Files.readString(README));
        while (m.find()) {
            if (!OTHER_MODULE.matcher(m.group(1)).find()) {
                snippets.add(m.group(1));
            }
        }
        return snippets;
    }

    @Test
    void theCoreSnippetsCompileAndRun(@TempDir Path out) throws Exception {
        List<String> snippets = coreSnippets();
        assertTrue(snippets.size() >= 2, "the README's lock-core snippets (the blocking one and the async one): " + snippets);
        StringBuilder source = new StringBuilder("""
                package readme;

                import dev.turnstile.lock.*;
                import java.time.*;
                import java.util.*;
                import java.util.concurrent.*;
                import java.util.concurrent.locks.*;

                public final class Snippets {
                    static final class Counter {
                    }

                    /** What the later snippets take from the first. */
                    public static Mutex<List<String>> names = new Mutex<>(new ArrayList<>());

                """);
        for (int i = 0; i < snippets.size(); i++) {
            source.append("    public static void snippet").append(i).append("() throws Exception {\n")
                    .append(snippets.get(i).indent(8)).append("    }\n\n");
        }
        source.append("}\n");
        Path file = out.resolve("readme/Snippets.java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter log = new StringWriter();
        String classPath = System.getProperty("java.class.path");
        boolean ok = javac.getTask(log, null, null,
                List.of("-classpath", classPath, "-d", out.toString(), "-Xlint:all", "-Werror", "-proc:none"),
                null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
                        .getJavaFileObjects(file.toFile())).call();
        assertTrue(ok, "the README snippets do not compile cleanly:\n" + log + "\n" + source);

        try (URLClassLoader loader = new URLClassLoader(new URL[] {out.toUri().toURL()}, getClass().getClassLoader())) {
            Class<?> snippetsClass = loader.loadClass("readme.Snippets");
            for (int i = 0; i < snippets.size(); i++) {
                Method run = snippetsClass.getMethod("snippet" + i);
                run.invoke(null);
            }
            Field namesField = snippetsClass.getField("names");
            Mutex<?> names = (Mutex<?>) namesField.get(null);
            assertFalse(names.isLocked(), "the snippets leave the mutex unlocked");
            assertEquals(0, names.queueLength());
            assertEquals(List.of("bob", "cyd"), names.withLock(v -> List.copyOf((List<?>) v)));
        }
    }
}
