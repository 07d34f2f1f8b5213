package dev.turnstile.lock.bench.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a reader needs to judge a run: when, which commit, which JVM, which machine, the exact
 * command, and the rules the figures were taken by. Ordered key/value pairs, written at the top of
 * the HTML report and as the {@code "meta"} object of the JSON one.
 *
 * @param entries the pairs, in display order
 */
public record RunMetadata(Map<String, String> entries) {
    /** The keys every run writes. */
    public static final String DATE = "date";
    /** Git commit of the working tree, with "-dirty" when it has uncommitted changes. */
    public static final String COMMIT = "commit";
    /** Vendor, name and version of the JVM that ran the contenders. */
    public static final String JVM = "jvm";
    /** Cores, memory and operating system. */
    public static final String MACHINE = "machine";
    /** The command line, as typed. */
    public static final String COMMAND = "command";

    /** @param entries the pairs, in display order (copied) */
    public RunMetadata {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    /** The value of {@code key}, or empty. */
    public String get(String key) {
        return entries.getOrDefault(key, "");
    }
}
