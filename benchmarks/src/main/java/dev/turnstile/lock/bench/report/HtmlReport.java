package dev.turnstile.lock.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * lockbench.html: one self-contained page (inline SVG, no scripts, no external files): the run's
 * metadata and rules, a throughput chart and a p99.9-wait chart for each part of the run (linear
 * axes from 0, values on the bars, capped rounds hatched), the frontier scatter charts in a
 * frontier run, the summary table with the ratio to the baseline, and every run. The charts of the
 * exclusive regimes (and of the frontier) are also written as standalone SVG files.
 */
public final class HtmlReport {
    private HtmlReport() {
    }

    /** A part of the run drawn as one pair of charts. */
    private record Part(String title, String file, Predicate<Summary> member) {
    }

    private static final List<Part> PARTS = List.of(
            new Part("Exclusive regimes", "lockbench", s -> s.readPercent() == 0 && !"async".equals(s.workers())),
            new Part("Read-heavy mixes", "lockbench-reads", s -> s.readPercent() > 0),
            new Part("Async mode", "lockbench-async", s -> "async".equals(s.workers())));

    /** Writes lockbench.html and the standalone SVG charts into {@code dir}. */
    public static void write(Report report, Path dir) throws IOException {
        StringBuilder html = new StringBuilder("""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>lockbench</title>
                <style>body{font-family:sans-serif;margin:2em;max-width:1500px}table{border-collapse:collapse;font-size:12px}
                td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}
                td:first-child,th:first-child{text-align:left}table.summary td{white-space:nowrap}tr.block th{background:#eee;text-align:left}table.meta td{text-align:left}
                tr.turnstile{background:#fff3e0}tr.baseline{background:#e8f0fe}svg{display:block;margin:1em 0;max-width:100%;height:auto}
                p.note{max-width:75em}</style></head><body>
                <h1>lockbench</h1>
                """);
        html.append("<table class=\"meta\">\n");
        for (Map.Entry<String, String> e : report.meta().entries().entrySet()) {
            html.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(e.getValue()))
                    .append("</td></tr>\n");
        }
        html.append("</table>\n<p class=\"note\">How to read: throughput is the median measured round of each run"
                + (report.reps() > 1 ? "; with " + report.reps() + " interleaved repetitions (one fresh JVM each) a bar"
                        + " is the median of the repetitions and its whisker their min–max" : "")
                + ". Every wait figure is " + esc(Report.WAIT_POPULATION) + "; \"waited\" is how many"
                + " acquisitions found their lock held, and their share of all acquisitions. The ratio column divides by "
                + esc(report.baselineLabel()) + " in the same repetition and scenario. Parks are JFR jdk.ThreadPark"
                + " events over the measured rounds. A hatched bar or a \"capped\" note means rounds were stopped at"
                + " the round cap; such a throughput is what was done before the cap. synchronized has no wait"
                + " times (a monitor cannot be probed without slowing its fast path). In the tables, Turnstile's"
                + " rows are shaded orange and the baseline's blue.</p>\n");
        if (report.frontier()) {
            frontier(report, html, dir);
        }
        for (Part part : PARTS) {
            List<Summary> members = report.summaries().stream().filter(part.member()).toList();
            if (members.isEmpty()) {
                continue;
            }
            String throughput = chart(part.title() + ": throughput", "higher is better",
                    "ops/ms (median round" + (report.reps() > 1 ? ", median of reps" : "") + ")", members,
                    s -> new SvgBarChart.Bar(s.opsPerMs(), report.reps() > 1 ? s.opsPerMsMin() : Double.NaN,
                            report.reps() > 1 ? s.opsPerMsMax() : Double.NaN, s.cappedRounds() > 0));
            String tail = chart(part.title() + ": p99.9 wait over all acquisitions", "lower is better",
                    "p99.9 wait, µs (a non-waiting acquisition counts as 0)", members,
                    s -> SvgBarChart.Bar.of(s.waitsMeasured() ? s.waitP999() / 1e3 : Double.NaN, s.cappedRounds() > 0));
            html.append("<h2>").append(part.title()).append("</h2>\n").append(throughput).append(tail);
            Files.writeString(dir.resolve(part.file() + "-throughput.svg"), throughput);
            Files.writeString(dir.resolve(part.file() + "-p999.svg"), tail);
        }
        html.append("<h2>Summary</h2>\n");
        summaryTable(report, html);
        html.append("<details><summary>Every run (").append(report.runs().size())
                .append(" rows: one per repetition, contender and scenario)</summary>\n<table><tr>");
        for (String c : Result.COLUMNS) {
            html.append("<th>").append(esc(c)).append("</th>");
        }
        html.append("</tr>\n");
        for (Result r : report.runs()) {
            html.append(r.turnstile() ? "<tr class=\"turnstile\">" : "<tr>");
            for (String f : r.fields()) {
                html.append("<td>").append(esc(f)).append("</td>");
            }
            html.append("</tr>\n");
        }
        Files.writeString(dir.resolve("lockbench.html"), html.append("</table></details></body></html>\n"));
    }

    private static void summaryTable(Report report, StringBuilder html) {
        boolean reps = report.reps() > 1;
        String range = reps ? " [min–max over reps]" : " [slowest–fastest round]";
        html.append("<table class=\"summary\"><tr><th rowspan=\"2\">contender</th><th rowspan=\"2\">scenario</th>")
                .append("<th rowspan=\"2\">ops/ms median<br>").append(range).append("</th><th rowspan=\"2\">÷ ")
                .append(esc(report.baselineLabel())).append(reps ? "<br>median [min–max]" : "")
                .append("</th><th rowspan=\"2\">waited<br>(share)</th><th colspan=\"4\">wait ").append(esc(Report.WAIT_POPULATION))
                .append("</th><th rowspan=\"2\">Jain</th><th rowspan=\"2\">parks</th><th rowspan=\"2\">parks per<br>1M acq.</th>")
                .append("<th rowspan=\"2\">bytes<br>per op</th>")
                .append("<th rowspan=\"2\">capped<br>rounds</th><th rowspan=\"2\">warm-up<br>rounds").append(reps ? " (median)" : "")
                .append("</th><th rowspan=\"2\">warm-up<br>capped</th><th rowspan=\"2\">sum</th></tr>\n")
                .append("<tr><th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr>\n");
        List<String> scenarios = new ArrayList<>(new LinkedHashSet<>(report.summaries().stream().map(Summary::scenario).toList()));
        List<Summary> byScenario = report.summaries().stream()
                .sorted(java.util.Comparator.comparingInt(s -> scenarios.indexOf(s.scenario()))).toList();
        String previous = "";
        for (Summary s : byScenario) {
            if (!s.scenario().equals(previous)) {
                html.append("<tr class=\"block\"><th colspan=\"17\">").append(esc(s.scenario())).append("</th></tr>\n");
                previous = s.scenario();
            }
            double low = reps ? s.opsPerMsMin() : s.slowestRound();
            double high = reps ? s.opsPerMsMax() : s.fastestRound();
            String cls = s.contender().equals(report.baselineId()) ? " class=\"baseline\""
                    : s.turnstile() ? " class=\"turnstile\"" : "";
            html.append("<tr").append(cls).append("><td>").append(esc(s.label())).append("</td><td>")
                    .append(esc(s.scenario())).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%,.0f [%,.0f–%,.0f]", s.opsPerMs(), low, high))
                    .append("</td><td>").append(!s.hasRatio() ? "n/a" : reps
                            ? String.format(Locale.ROOT, "%.2fx [%.2f–%.2f]", s.ratio(), s.ratioMin(), s.ratioMax())
                            : Summary.formatRatio(s.ratio()))
                    .append("</td><td>").append(TerminalTable.waited(s));
            for (double w : new double[] {s.waitP50(), s.waitP99(), s.waitP999(), s.waitMax()}) {
                html.append("</td><td>").append(s.waitsMeasured() ? TerminalTable.nanos(Math.round(w)) : "n/a");
            }
            html.append("</td><td>").append(String.format(Locale.ROOT, "%.3f", s.jain()))
                    .append("</td><td>").append(count(s.parks())).append("</td><td>").append(count(s.parksPerMillion()))
                    .append("</td><td>").append(TerminalTable.bytes(s.allocatedPerOp()))
                    .append("</td><td>").append(s.cappedRounds()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.0f", s.warmupRounds())).append("</td><td>")
                    .append(s.warmupCapped() == 0 ? "no" : s.warmupCapped() + " of " + s.reps()).append("</td><td>")
                    .append(s.sumOk() ? "ok" : "FAIL").append("</td></tr>\n");
        }
        html.append("</table>\n");
    }

    /** One scatter chart per contended scenario: throughput against p99.9 wait, and against max wait. */
    private static void frontier(Report report, StringBuilder html, Path dir) throws IOException {
        html.append("<h2>Fairness/throughput frontier</h2>\n<p class=\"note\">Each point is one lock configuration"
                + " in one scenario: throughput against the p99.9 and the longest wait, both "
                + esc(Report.WAIT_POPULATION) + ". Turnstile's EVENTUAL policy is shown at several hand-off"
                + " intervals between FIFO (hand off on every contended release) and BARGING (never).</p>\n");
        List<String> scenarios = new ArrayList<>(new LinkedHashSet<>(
                report.summaries().stream().filter(Summary::waitsMeasured).map(Summary::scenario).toList()));
        for (String scenario : scenarios) {
            List<Summary> members = report.summaries().stream().filter(s -> s.scenario().equals(scenario)).toList();
            String file = "lockbench-frontier-" + scenario.replaceAll("[^A-Za-z0-9]+", "-");
            String p999 = scatter(scenario + ": throughput vs p99.9 wait", "p99.9 wait, µs", members,
                    s -> s.waitP999() / 1e3);
            String max = scatter(scenario + ": throughput vs longest wait", "longest wait, µs", members,
                    s -> s.waitMax() / 1e3);
            html.append("<h3>").append(esc(scenario)).append("</h3>\n").append(p999).append(max);
            Files.writeString(dir.resolve(file + "-p999.svg"), p999);
            Files.writeString(dir.resolve(file + "-max.svg"), max);
        }
    }

    private static String scatter(String title, String xUnit, List<Summary> members, Function<Summary, Double> x) {
        List<SvgScatterChart.Point> points = new ArrayList<>();
        for (int i = 0; i < members.size(); i++) {
            Summary s = members.get(i);
            points.add(new SvgScatterChart.Point(s.label().replace("Turnstile ", ""),
                    s.waitsMeasured() ? x.apply(s) : Double.NaN, s.opsPerMs(), i, s.cappedRounds() > 0));
        }
        return SvgScatterChart.render(title, xUnit + " " + Report.WAIT_POPULATION, "ops/ms (median round)", points);
    }

    private static String chart(String title, String better, String unit, List<Summary> members,
                                Function<Summary, SvgBarChart.Bar> bar) {
        List<String> groups = new ArrayList<>(new LinkedHashSet<>(members.stream().map(Summary::scenario).toList()));
        List<String> series = new ArrayList<>(new LinkedHashSet<>(members.stream().map(Summary::label).toList()));
        SvgBarChart.Bar[][] bars = new SvgBarChart.Bar[series.size()][groups.size()];
        for (Summary s : members) {
            bars[series.indexOf(s.label())][groups.indexOf(s.scenario())] = bar.apply(s);
        }
        return SvgBarChart.render(title, better, unit, groups, series, bars);
    }

    private static String count(double c) {
        return Double.isNaN(c) ? "n/a" : String.format(Locale.ROOT, "%,.0f", c);
    }

    private static String esc(String s) {
        return SvgBarChart.esc(s);
    }
}
