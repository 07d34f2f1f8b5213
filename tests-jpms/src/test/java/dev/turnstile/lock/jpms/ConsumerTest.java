package dev.turnstile.lock.jpms;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Turnstile as a user depends on it: the application in {@code src/test/resources/consumer} is
 * compiled against the library modules and run in a fresh JVM, once as a JPMS module on the module
 * path and once as plain classes on the class path. It reads introspection through the public types
 * ({@code m.fairness()}, which did not compile for JPMS users while it came from the unexported
 * parking core), calls a guard method reflectively, builds a lock type on the exported SPI, uses the
 * Reactor and Vert.x front-ends, relies on their {@code NonBlockingThreadDetector} services, and
 * runs lock-loom's {@code @FailOnPinning} extension through the JUnit launcher.
 */
class ConsumerTest {
    private static final Path SOURCES = Path.of("src/test/resources/consumer");
    /** What the application's module requires, plus the JUnit engine the launcher finds as a service. */
    private static final List<String> ROOTS = List.of("dev.turnstile.lock.reactor", "dev.turnstile.lock.vertx",
            "dev.turnstile.lock.loom", "org.junit.jupiter.api", "org.junit.platform.launcher", "org.junit.jupiter.engine");

    @Test
    void aModulePathApplicationCompilesAndRuns(@TempDir Path out) throws Exception {
        List<Path> modulePath = modulePathFor(ROOTS);
        String mp = join(modulePath);
        compile(sources(true), List.of("--module-path", mp), out);
        String output = run(out, List.of("--module-path", mp + File.pathSeparator + out,
                "-m", "com.example.app/com.example.app.Main"));
        assertTrue(output.strip().endsWith("OK module path"), output);
    }

    @Test
    void aClassPathApplicationCompilesAndRuns(@TempDir Path out) throws Exception {
        String cp = join(testClassPath());
        compile(sources(false), List.of("-classpath", cp), out);
        String output = run(out, List.of("-cp", cp + File.pathSeparator + out, "com.example.app.Main"));
        assertTrue(output.strip().endsWith("OK class path"), output);
    }

    @Test
    void theLibraryModulesDeclareWhatTheyExportAndProvide() {
        Map<String, Path> modules = modulesOnTheTestClassPath();
        ModuleDescriptor core = descriptor(modules, "dev.turnstile.lock");
        assertEquals(Set.of("dev.turnstile.lock", "dev.turnstile.lock.park", "dev.turnstile.lock.spi"),
                core.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                        .collect(Collectors.toSet()));
        assertTrue(core.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified), "no qualified exports");
        assertTrue(core.requires().stream().allMatch(r -> r.name().startsWith("java.")
                || r.name().equals("jdk.jfr") && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC)),
                "nothing but the JDK (JFR optionally): " + core.requires());
        assertEquals(Set.of("dev.turnstile.lock.reactor.ReactorNonBlockingThreads"),
                providers(descriptor(modules, "dev.turnstile.lock.reactor")));
        assertEquals(Set.of("dev.turnstile.lock.vertx.internal.EventLoopDetector"),
                providers(descriptor(modules, "dev.turnstile.lock.vertx")));
        assertEquals(Set.of("dev.turnstile.lock.loom"), descriptor(modules, "dev.turnstile.lock.loom").exports()
                .stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    }

    // ---------------------------------------------------------------- helpers

    private static Set<String> providers(ModuleDescriptor d) {
        return d.provides().stream()
                .filter(p -> p.service().equals("dev.turnstile.lock.spi.NonBlockingThreadDetector"))
                .flatMap(p -> p.providers().stream()).collect(Collectors.toSet());
    }

    private static ModuleDescriptor descriptor(Map<String, Path> modules, String name) {
        Path where = modules.get(name);
        if (where == null) {
            fail(name + " is not on the test class path as a module: " + modules.keySet());
        }
        ModuleDescriptor d = ModuleFinder.of(where).find(name).orElseThrow().descriptor();
        assertTrue(!d.isAutomatic(), name + " has a module descriptor");
        return d;
    }

    /** Surefire runs this test on the class path; {@code java.class.path} holds the test class path. */
    private static List<Path> testClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(s -> !s.isBlank()).map(Path::of).filter(Files::exists).toList();
    }

    /** Every class-path entry that is a module (explicit or automatic), by module name. */
    private static Map<String, Path> modulesOnTheTestClassPath() {
        Map<String, Path> byName = new LinkedHashMap<>();
        for (Path p : testClassPath()) {
            try {
                for (ModuleReference ref : ModuleFinder.of(p).findAll()) {
                    byName.putIfAbsent(ref.descriptor().name(), p);
                }
            } catch (FindException notAModule) {
                // e.g. a jar whose name gives no valid automatic module name: not needed here
            }
        }
        return byName;
    }

    /**
     * The module path an application needs: the given roots and everything they require,
     * transitively, as a user's build tool would assemble it. Optional ({@code static}) requirements
     * are added when present (javac reads them), and skipped when not.
     */
    private static List<Path> modulePathFor(List<String> roots) {
        Map<String, Path> available = modulesOnTheTestClassPath();
        ModuleFinder system = ModuleFinder.ofSystem();
        Set<Path> path = new LinkedHashSet<>();
        Set<String> seen = new LinkedHashSet<>();
        Deque<String> todo = new ArrayDeque<>(roots);
        while (!todo.isEmpty()) {
            String name = todo.pop();
            if (!seen.add(name) || system.find(name).isPresent()) {
                continue;
            }
            Path where = available.get(name);
            if (where == null) {
                fail("module " + name + " is required but not on the test class path; found " + available.keySet());
            }
            path.add(where);
            ModuleDescriptor d = ModuleFinder.of(where).find(name).orElseThrow().descriptor();
            for (ModuleDescriptor.Requires r : d.requires()) {
                boolean optional = r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC);
                if (!optional || available.containsKey(r.name())) {
                    todo.add(r.name());
                }
            }
        }
        return new ArrayList<>(path);
    }

    private static List<Path> sources(boolean withModuleInfo) throws IOException {
        try (Stream<Path> files = Files.walk(SOURCES)) {
            return files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> withModuleInfo || !f.getFileName().toString().equals("module-info.java"))
                    .toList();
        }
    }

    private static void compile(List<Path> sources, List<String> pathOptions, Path out) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = javac.getStandardFileManager(diagnostics, null, StandardCharsets.UTF_8)) {
            List<String> options = new ArrayList<>(pathOptions);
            options.addAll(List.of("--release", "21", "-d", out.toString()));
            StringWriter log = new StringWriter();
            boolean ok = javac.getTask(log, files, diagnostics, options, null,
                    files.getJavaFileObjectsFromPaths(sources)).call();
            String errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(Object::toString).collect(Collectors.joining("\n"));
            assertTrue(ok && errors.isEmpty(), "the application does not compile:\n" + errors + log);
        }
    }

    private static String run(Path out, List<String> launch) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("--sun-misc-unsafe-memory-access=allow"); // Netty, on JDK 24+ (the build JDK is 25)
        command.addAll(launch);
        Path log = out.resolve("run.log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the application did not finish in 180 s:\n" + Files.readString(log));
        }
        String output = Files.readString(log);
        assertEquals(0, p.exitValue(), String.join(" ", command) + "\n" + output);
        return output;
    }

    private static String join(List<Path> paths) {
        return paths.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator));
    }
}
