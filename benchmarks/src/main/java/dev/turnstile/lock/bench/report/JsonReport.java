package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * lockbench.json: one object with {@code "meta"} (date, commit, JVM, machine, command line, and the
 * rules the figures were taken by, including {@code "waitPopulation"}), {@code "summaries"} (one
 * object per contender and scenario, keyed by {@link Summary#COLUMNS}) and {@code "runs"} (one per
 * repetition, keyed by {@link Result#COLUMNS}). Numbers are JSON numbers ({@code null} where not
 * measured), flags booleans, names strings.
 */
public final class JsonReport {
    private static final Set<String> TEXT = Set.of("contender", "label", "workload", "workers", "lockStats");
    private static final Set<String> FLAGS = Set.of("turnstile", "sumOk", "warmupSteady");

    private JsonReport() {
    }

    /** Writes {@code report} to {@code file}. */
    public static void write(Report report, Path file) throws IOException {
        StringBuilder json = new StringBuilder("{\n  \"meta\": {");
        int i = 0;
        for (Map.Entry<String, String> e : report.meta().entries().entrySet()) {
            json.append(i++ == 0 ? "\n" : ",\n").append("    \"").append(escape(e.getKey())).append("\": \"")
                    .append(escape(e.getValue())).append('"');
        }
        json.append(",\n    \"waitPopulation\": \"").append(escape(Report.WAIT_POPULATION)).append("\",\n")
                .append("    \"baseline\": \"").append(escape(report.baselineId())).append("\"\n  },\n");
        json.append("  \"summaries\": ");
        rows(json, Summary.COLUMNS, report.summaries().stream().map(Summary::fields).toList());
        json.append(",\n  \"runs\": ");
        rows(json, Result.COLUMNS, report.runs().stream().map(Result::fields).toList());
        Files.writeString(file, json.append("\n}\n"));
    }

    private static void rows(StringBuilder json, List<String> columns, List<List<String>> rows) {
        json.append("[\n");
        for (int i = 0; i < rows.size(); i++) {
            List<String> values = rows.get(i);
            json.append("    {");
            for (int c = 0; c < values.size(); c++) {
                String key = columns.get(c);
                String v = values.get(c);
                json.append(c == 0 ? "" : ", ").append('"').append(key).append("\": ");
                if (TEXT.contains(key)) {
                    json.append('"').append(escape(v)).append('"');
                } else if (FLAGS.contains(key) || !"NaN".equals(v)) {
                    json.append(v);
                } else {
                    json.append("null");
                }
            }
            json.append(i + 1 < rows.size() ? "},\n" : "}\n");
        }
        json.append("  ]");
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.toString();
    }
}
