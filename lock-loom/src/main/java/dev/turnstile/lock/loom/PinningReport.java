package dev.turnstile.lock.loom;

import java.util.ArrayList;
import java.util.List;

/**
 * The pinning events a {@link PinningRecorder} captured, in the order JFR delivered them.
 *
 * <pre>{@code
 * PinningReport ours = PinningRecorder.record(workload).withFrameUnder("com.example");
 * assertTrue(ours.isEmpty(), ours.describe());
 * }</pre>
 *
 * @param events every {@code jdk.VirtualThreadPinned} event recorded, from any thread of the JVM
 */
public record PinningReport(List<PinnedEvent> events) {
    /** How many frames {@link #describe()} prints per event. */
    private static final int FRAMES_PER_EVENT = 24;

    /** Copies the list, so the report stays immutable. */
    public PinningReport {
        events = List.copyOf(events);
    }

    /** {@return whether no pinning was recorded} */
    public boolean isEmpty() {
        return events.isEmpty();
    }

    /**
     * The events with at least one frame under any of the package prefixes (see
     * {@link PinnedEvent#hasFrameUnder(String)}); with no prefix, this report itself.
     *
     * @param packagePrefixes package names such as {@code "com.example"}
     * @return a report of the matching events
     * @throws IllegalArgumentException if a prefix is blank
     */
    public PinningReport withFrameUnder(String... packagePrefixes) {
        if (packagePrefixes.length == 0) {
            return this;
        }
        List<PinnedEvent> matching = new ArrayList<>();
        for (PinnedEvent event : events) {
            for (String prefix : packagePrefixes) {
                if (event.hasFrameUnder(prefix)) {
                    matching.add(event);
                    break;
                }
            }
        }
        return new PinningReport(matching);
    }

    /**
     * {@return a report of the events that did not happen during class loading} See
     * {@link PinnedEvent#duringClassLoading()}.
     */
    public PinningReport withoutClassLoading() {
        return new PinningReport(events.stream().filter(event -> !event.duringClassLoading()).toList());
    }

    /**
     * {@return every event with its top frames, for assertion messages} "no pinning recorded" when
     * there is none.
     */
    public String describe() {
        if (events.isEmpty()) {
            return "no pinning recorded";
        }
        StringBuilder text = new StringBuilder().append(events.size()).append(" pinning event(s):");
        for (PinnedEvent event : events) {
            text.append(System.lineSeparator()).append(event.describe(FRAMES_PER_EVENT));
        }
        return text.toString();
    }
}
