package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CSV files: {@code lockbench.csv}, one row per contender and scenario (the columns of
 * {@link Summary#COLUMNS}, medians over repetitions), and {@code lockbench-runs.csv}, one row per
 * repetition, contender and scenario ({@link Result#COLUMNS}). Wait columns are named for their
 * population: {@code allAcqWait…} is over all acquisitions, a non-waiting one counting as 0.
 */
public final class CsvReport {
    private CsvReport() {
    }

    /** Writes both files into {@code dir}. */
    public static void write(Report report, Path dir) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(String.join(",", Summary.COLUMNS));
        for (Summary s : report.summaries()) {
            lines.add(String.join(",", s.fields().stream().map(CsvReport::quote).toList()));
        }
        Files.write(dir.resolve("lockbench.csv"), lines);
        List<String> runs = new ArrayList<>();
        runs.add(String.join(",", Result.COLUMNS));
        for (Result r : report.runs()) {
            runs.add(String.join(",", r.fields().stream().map(CsvReport::quote).toList()));
        }
        Files.write(dir.resolve("lockbench-runs.csv"), runs);
    }

    private static String quote(String field) {
        return field.contains(",") || field.contains("\"") ? '"' + field.replace("\"", "\"\"") + '"' : field;
    }
}
