package dev.turnstile.lock.loom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class PinnedEventTest {
    private static final PinnedEvent IN_MUTEX = event("dev.turnstile.lock.Mutex", "java.lang.Thread");
    private static final PinnedEvent IN_LOOKALIKE = event("dev.turnstilex.Other", "java.lang.Thread");

    @Test
    void aPackagePrefixMatchesWholePackageNamesOnly() {
        assertTrue(IN_MUTEX.hasFrameUnder("dev.turnstile"));
        assertTrue(IN_MUTEX.hasFrameUnder("dev.turnstile.lock"));
        assertTrue(IN_MUTEX.hasFrameUnder("dev.turnstile."));
        assertFalse(IN_LOOKALIKE.hasFrameUnder("dev.turnstile"));
        assertFalse(IN_MUTEX.hasFrameUnder("dev.turnstile.lock.Mutex"));
    }

    @Test
    void aBlankPrefixIsRejectedRatherThanMatchingEverything() {
        assertThrows(IllegalArgumentException.class, () -> IN_MUTEX.hasFrameUnder(" "));
        assertThrows(IllegalArgumentException.class,
                () -> new PinningReport(List.of(IN_MUTEX)).withFrameUnder(""));
    }

    @Test
    void aReportKeepsTheEventsWithAFrameUnderAnyPrefix() {
        PinningReport report = new PinningReport(List.of(IN_MUTEX, IN_LOOKALIKE));
        assertEquals(List.of(IN_MUTEX), report.withFrameUnder("dev.turnstile").events());
        assertEquals(List.of(IN_MUTEX, IN_LOOKALIKE),
                report.withFrameUnder("dev.turnstilex", "dev.turnstile").events());
        assertEquals(report, report.withFrameUnder());
        assertTrue(report.withFrameUnder("com.example").isEmpty());
    }

    @Test
    void pinsWhileTheJvmLoadsOrInitializesAClassAreToldApart() {
        // Shapes recorded on JDK 25 when many virtual threads first needed a class at once.
        PinnedEvent loading = new PinnedEvent("vt", Instant.EPOCH, Duration.ofNanos(5), "Freeze or preempt failed (2)",
                List.of(new StackTraceElement("jdk.internal.loader.BuiltinClassLoader", "loadClassOrNull", null, -1),
                        new StackTraceElement("java.lang.ClassLoader", "loadClass", null, -1),
                        new StackTraceElement("dev.turnstile.lock.park.RawLock", "config", null, -1)));
        PinnedEvent waitingForInit = new PinnedEvent("vt", Instant.EPOCH, Duration.ofNanos(5),
                "Waited for initialization of dev.turnstile.lock.park.ThreadWaiter by another thread",
                List.of(new StackTraceElement("dev.turnstile.lock.park.RawLock", "acquireBlocking", null, -1)));
        // A class loader frame below user code is not class loading at the pin: the user code blocked.
        PinnedEvent blockedInUserCode = new PinnedEvent("vt", Instant.EPOCH, Duration.ofNanos(5), "Native or VM frame on stack",
                List.of(new StackTraceElement("java.util.concurrent.CountDownLatch", "await", null, -1),
                        new StackTraceElement("com.example.Plugin", "<clinit>", null, -1),
                        new StackTraceElement("java.lang.ClassLoader", "loadClass", null, -1)));
        assertTrue(loading.duringClassLoading());
        assertTrue(waitingForInit.duringClassLoading());
        assertFalse(blockedInUserCode.duringClassLoading());
        assertFalse(IN_MUTEX.duringClassLoading());
        assertEquals(List.of(blockedInUserCode),
                new PinningReport(List.of(loading, waitingForInit, blockedInUserCode)).withoutClassLoading().events());
    }

    @Test
    void theDescriptionNamesTheFramesAndTheReason() {
        String text = new PinningReport(List.of(IN_MUTEX)).describe();
        assertTrue(text.contains("dev.turnstile.lock.Mutex.lock"), text);
        assertTrue(text.contains("Native or VM frame on stack"), text);
        assertEquals("no pinning recorded", new PinningReport(List.of()).describe());
    }

    private static PinnedEvent event(String... classes) {
        List<StackTraceElement> frames = java.util.Arrays.stream(classes)
                .map(c -> new StackTraceElement(c, "lock", null, 1))
                .toList();
        return new PinnedEvent("vt", Instant.EPOCH, Duration.ofNanos(5), "Native or VM frame on stack", frames);
    }
}
