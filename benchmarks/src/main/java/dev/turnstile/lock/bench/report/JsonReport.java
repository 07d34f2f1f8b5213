package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * lockbench.json: an array with one object per contender and scenario, keyed by
 * {@link Result#COLUMNS}; numbers are JSON numbers, flags booleans, names strings.
 */
public final class JsonReport {
    private static final Set<String> TEXT = Set.of("contender", "label", "workload", "workers");
    private static final Set<String> FLAGS = Set.of("turnstile", "sumOk");

    private JsonReport() {
    }

    public static void write(List<Result> results, Path file) throws IOException {
        StringBuilder json = new StringBuilder("[\n");
        for (int i = 0; i < results.size(); i++) {
            List<String> values = results.get(i).fields();
            json.append("  {");
            for (int c = 0; c < values.size(); c++) {
                String key = Result.COLUMNS.get(c);
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
            json.append(i + 1 < results.size() ? "},\n" : "}\n");
        }
        Files.writeString(file, json.append("]\n"));
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
