package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** lockbench.csv: one row per contender and scenario, the columns of {@link Result#COLUMNS}. */
public final class CsvReport {
    private CsvReport() {
    }

    public static void write(List<Result> results, Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(String.join(",", Result.COLUMNS));
        for (Result r : results) {
            lines.add(String.join(",", r.fields().stream().map(CsvReport::quote).toList()));
        }
        Files.write(file, lines);
    }

    private static String quote(String field) {
        return field.contains(",") || field.contains("\"") ? '"' + field.replace("\"", "\"\"") + '"' : field;
    }
}
