package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;

/**
 * lockbench.html: one self-contained page (inline SVG, no scripts, no external files) with a
 * throughput chart and a p99.9-wait chart for each part of the run, and the full table. The two
 * charts of the exclusive regimes are also written as standalone SVG files for documentation.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** A part of the run drawn as one pair of charts. */
    private record Part(String title, Predicate<Result> member) {
    }

    private static final List<Part> PARTS = List.of(
            new Part("Exclusive regimes", r -> r.readPercent() == 0 && !"async".equals(r.workers())),
            new Part("Read-heavy mixes", r -> r.readPercent() > 0),
            new Part("Async mode", r -> "async".equals(r.workers())));

    public static void write(List<Result> results, String description, Path dir) throws IOException {
        StringBuilder html = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>lockbench</title>
                <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}
                td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}
                tr.turnstile{background:#fff3e0}</style></head><body>
                <h1>lockbench</h1>
                """);
        html.append("<p>").append(SvgBarChart.esc(description)).append(
                ". Throughput is the median round; waits are timed only for acquisitions that found their lock held."
                        + " synchronized has no wait times (a monitor cannot be probed).</p>\n");
        for (Part part : PARTS) {
            List<Result> members = results.stream().filter(part.member()).toList();
            if (members.isEmpty()) {
                continue;
            }
            String throughput = chart(part.title() + ": throughput (median round)", "ops/ms", members,
                    Result::opsPerMsMedian);
            String tail = chart(part.title() + ": p99.9 wait of waiting acquisitions", "microseconds", members,
                    r -> r.waitsMeasured() && r.waitsTimed() > 0 ? r.waitP999() / 1e3 : Double.NaN);
            html.append("<h2>").append(part.title()).append("</h2>\n").append(throughput).append(tail);
            if (part == PARTS.get(0)) {
                Files.writeString(dir.resolve("lockbench-throughput.svg"), throughput);
                Files.writeString(dir.resolve("lockbench-p999.svg"), tail);
            }
        }
        html.append("<h2>All results</h2>\n<table><tr>");
        for (String c : Result.COLUMNS) {
            html.append("<th>").append(c).append("</th>");
        }
        html.append("</tr>\n");
        for (Result r : results) {
            html.append(r.turnstile() ? "<tr class=\"turnstile\">" : "<tr>");
            for (String f : r.fields()) {
                html.append("<td>").append(SvgBarChart.esc(f)).append("</td>");
            }
            html.append("</tr>\n");
        }
        Files.writeString(dir.resolve("lockbench.html"), html.append("</table></body></html>\n"));
    }

    private static String chart(String title, String unit, List<Result> results, ToDoubleFunction<Result> metric) {
        List<String> groups = new ArrayList<>(new LinkedHashSet<>(results.stream().map(HtmlReport::group).toList()));
        List<String> series = new ArrayList<>(new LinkedHashSet<>(results.stream().map(Result::label).toList()));
        double[][] values = new double[series.size()][groups.size()];
        for (double[] row : values) {
            java.util.Arrays.fill(row, Double.NaN);
        }
        for (Result r : results) {
            values[series.indexOf(r.label())][groups.indexOf(group(r))] = metric.applyAsDouble(r);
        }
        return SvgBarChart.render(title, unit, groups, series, values);
    }

    private static String group(Result r) {
        return String.format(Locale.ROOT, "%s/%s", r.workload(), r.workers());
    }
}
