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
