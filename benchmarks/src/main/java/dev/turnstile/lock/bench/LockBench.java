package dev.turnstile.lock.bench;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.Contenders;
import dev.turnstile.lock.bench.report.CsvReport;
import dev.turnstile.lock.bench.report.HtmlReport;
import dev.turnstile.lock.bench.report.JsonReport;
import dev.turnstile.lock.bench.report.Report;
import dev.turnstile.lock.bench.report.Result;
import dev.turnstile.lock.bench.report.RunMetadata;
import dev.turnstile.lock.bench.report.Summary;
import dev.turnstile.lock.bench.report.TerminalTable;
import dev.turnstile.lock.bench.run.ParkCounter;
import dev.turnstile.lock.bench.run.Scenario;
import dev.turnstile.lock.bench.run.ScenarioRunner;
import dev.turnstile.lock.bench.run.WorkerKind;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * lockbench, the command behind {@code scripts/lockbench}: plans the scenarios of every contender,
 * runs each contender in a JVM of its own, checks the sums, and writes the reports. See
 * {@link BenchOptions#HELP} for what it measures and its flags.
 */
public final class LockBench {
    /** Exit status when a round's counters did not add up: a lock failed to exclude. */
    static final int SUM_MISMATCH = 2;
    /** Exit status when a contender's run failed (timeout, exception, crashed JVM). */
    static final int RUN_FAILED = 1;

    private LockBench() {
    }

    /**
     * Runs lockbench and exits with its status (0, {@value #RUN_FAILED}, {@value #SUM_MISMATCH}, or 64 for
     * a bad command line).
     *
     * @param args the flags of {@link BenchOptions#HELP}
     * @throws Exception if the reports cannot be written
     */
    public static void main(String[] args) throws Exception {
        System.exit(run(args));
    }

    static int run(String[] args) throws Exception {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("lockbench: " + e.getMessage());
            return 64;
        }
        if (options.help) {
            System.out.print(BenchOptions.HELP);
            return 0;
        }
        if (options.list) {
            Contenders.ALL.forEach(c -> System.out.printf("%-22s %-50s %s%n", c.name(), c.label(), c.role()));
            Contenders.FRONTIER.stream().filter(c -> !Contenders.ALL.contains(c)).forEach(c -> System.out.printf(
                    "%-22s %-50s %s (in --frontier)%n", c.name(), c.label(), c.role()));
            return 0;
        }
        if (options.footprint) {
            Footprint.main(new String[0]);
            return 0;
        }
        if (options.childOut != null) {
            return runChild(options);
        }
        return runAll(options);
    }

    /** The scenarios {@code c} takes part in under {@code o}. */
    static List<Scenario> scenarios(Contender c, BenchOptions o) {
        List<Scenario> list = new ArrayList<>();
        if (c.runsRegimes() && o.exclusiveRegimes) {
            for (Regime r : o.regimes) {
                for (WorkerKind k : o.workers) {
                    list.add(new Scenario(r.name(), r.locks(), 0, k, o.threads, o.ops, o.rounds, capNanos(o)));
                }
            }
        }
        if (c.runsReadMixes()) {
            for (int p : o.readMixes) {
                for (WorkerKind k : o.workers) {
                    list.add(new Scenario("read " + p + "%", o.mixLocks, p, k, o.threads, o.ops, o.rounds, capNanos(o)));
                }
            }
        }
        if (c.runsAsync() && o.async) {
            for (Regime r : o.regimes) {
                list.add(new Scenario(r.name(), r.locks(), 0, WorkerKind.ASYNC, o.threads, o.ops, o.rounds, capNanos(o)));
            }
        }
        return list;
    }

    private static long capNanos(BenchOptions o) {
        return TimeUnit.MILLISECONDS.toNanos(o.roundCapMs);
    }

    /** One JVM of the run: repetition {@code rep} (from 1) of contender {@code contender}. */
    record Slot(int rep, Contender contender) {
    }

    /**
     * The order of the JVMs: the whole line-up once per repetition (A, B, C, A, B, C, …), so that a
     * drift of the machine (another job, thermal state) spreads over every contender instead of
     * landing on one.
     */
    static List<Slot> schedule(List<Contender> lineUp, int reps) {
        List<Slot> slots = new ArrayList<>();
        for (int rep = 1; rep <= reps; rep++) {
            for (Contender c : lineUp) {
                slots.add(new Slot(rep, c));
            }
        }
        return slots;
    }

    static int runAll(BenchOptions o) throws Exception {
        long start = System.nanoTime();
        ZonedDateTime started = ZonedDateTime.now().truncatedTo(ChronoUnit.SECONDS);
        List<Result> results = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        List<Contender> lineUp = o.contenders.stream().filter(c -> !scenarios(c, o).isEmpty()).toList();
        if (lineUp.stream().noneMatch(c -> c.name().equals(o.baseline))) {
            System.err.println("lockbench: the baseline '" + o.baseline + "' is not in this run; ratios read n/a"
                    + " (choose one with --baseline)");
        }
        for (Slot slot : schedule(lineUp, o.reps)) {
            Contender c = slot.contender();
            System.err.println("lockbench: " + c.label() + (o.reps > 1 ? " (rep " + slot.rep() + " of " + o.reps + ")" : ""));
            List<Result> sink = new ArrayList<>();
            if (o.fork) {
                runForked(c, o, sink, failures);
            } else {
                try {
                    runContender(c, o, sink);
                } catch (RuntimeException e) {
                    failures.add(c.name() + ": " + e);
                }
            }
            sink.forEach(r -> results.add(r.withRep(slot.rep())));
        }
        String baselineLabel = Contenders.named(o.baseline).label();
        Report report = new Report(metadata(o, started, baselineLabel), results, Summary.of(results, o.baseline),
                o.baseline, baselineLabel, o.frontier);
        TerminalTable.print(report, System.out);
        Path dir = runDirectory(o.out, started);
        o.runDir = dir;
        CsvReport.write(report, dir);
        JsonReport.write(report, dir.resolve("lockbench.json"));
        HtmlReport.write(report, dir);
        String latest = pointLatestAt(o.out, dir);
        System.out.printf(Locale.ROOT, "%nReports in %s/ (lockbench.html, lockbench.csv, lockbench-runs.csv, lockbench.json)%s;"
                        + " took %d s.%n", dir, latest, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        List<Result> wrong = results.stream().filter(r -> !r.sumOk()).toList();
        for (Result r : wrong) {
            System.out.println("SUM CHECK FAILED: " + r.label() + " in " + r.workload() + "/" + r.workers()
                    + (o.reps > 1 ? " (rep " + r.rep() + ")" : "") + " lost or invented increments: it did not exclude.");
        }
        failures.forEach(f -> System.out.println("RUN FAILED: " + f));
        return !wrong.isEmpty() ? SUM_MISMATCH : failures.isEmpty() ? 0 : RUN_FAILED;
    }

    /** A new folder under {@code base} named for the run's start time (with a suffix if taken). */
    static Path runDirectory(Path base, ZonedDateTime started) throws IOException {
        Files.createDirectories(base);
        String stamp = started.format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss", Locale.ROOT));
        Path dir = base.resolve(stamp);
        for (int n = 2; Files.exists(dir); n++) {
            dir = base.resolve(stamp + "-" + n);
        }
        return Files.createDirectories(dir);
    }

    /** Points {@code base/latest} at {@code dir}; says where it points, or why it could not. */
    private static String pointLatestAt(Path base, Path dir) {
        Path link = base.resolve("latest");
        try {
            if (Files.isSymbolicLink(link) || !Files.exists(link)) {
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, dir.getFileName());
                return "; " + link + " points there";
            }
            return "; " + link + " exists and is not a link, left alone";
        } catch (IOException | UnsupportedOperationException e) {
            return "; " + link + " could not be made (" + e.getMessage() + ")";
        }
    }

    /** Date, commit, JVM, machine, command line, settings and the rules of the figures. */
    static RunMetadata metadata(BenchOptions o, ZonedDateTime started, String baselineLabel) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RunMetadata.DATE, started.toOffsetDateTime().toString());
        m.put(RunMetadata.COMMIT, gitCommit());
        m.put(RunMetadata.JVM, System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + (o.fork ? ", one JVM per contender per repetition" : ", one JVM")
                + ", flags " + ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put(RunMetadata.MACHINE, machine());
        m.put(RunMetadata.COMMAND, "scripts/lockbench" + o.args.stream().map(a -> " " + shellQuote(a))
                .collect(Collectors.joining()));
        m.put("settings", describe(o));
        m.put("warm-up", o.warmUpRule().describe());
        m.put("repetitions", o.reps + (o.reps > 1 ? ", interleaved: the whole contender set in order, then again,"
                + " one fresh JVM per contender per repetition; figures are medians over repetitions" : ""));
        m.put("baseline", baselineLabel + " (" + o.baseline + "): ratios divide by its throughput in the same"
                + " repetition and scenario");
        m.put("waits", "wait percentiles " + Report.WAIT_POPULATION + "; only acquisitions that found the lock held"
                + " read the clock, the others are added as zeros after each round");
        m.put("parks", o.jfr ? "JFR " + ParkCounter.EVENT + " events in the contender's JVM over the measured rounds"
                + " (an in-process recording with only that event, threshold 0, no stack traces, counted after it stops;"
                + " parks on the benchmark's own CountDownLatches left out). A virtual thread parks without that event,"
                + " so with virtual and async workers the count is the carrier/pool threads' parks"
                : "not counted (--no-jfr)");
        m.put("allocation", "bytes allocated by all of the contender's JVM threads over the measured rounds"
                + " (ThreadMXBean.getTotalThreadAllocatedBytes), per operation: the lock's allocations and the"
                + " harness's, which are the same for every contender of a kind");
        return new RunMetadata(m);
    }

    private static String machine() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        String memory = os instanceof com.sun.management.OperatingSystemMXBean sun
                ? String.format(Locale.ROOT, ", %.1f GiB memory", sun.getTotalMemorySize() / (1024.0 * 1024 * 1024)) : "";
        double load = os.getSystemLoadAverage();
        return String.format(Locale.ROOT, "%d processors%s, %s %s %s%s", Runtime.getRuntime().availableProcessors(),
                memory, os.getName(), os.getVersion(), os.getArch(),
                load >= 0 ? String.format(Locale.ROOT, ", load average %.2f at the start", load) : "");
    }

    /** The commit of the working tree ("-dirty" with local changes), or "unknown" outside git. */
    static String gitCommit() {
        String head = git("rev-parse", "HEAD");
        if (head.isEmpty()) {
            return "unknown";
        }
        String status = git("status", "--porcelain", "--untracked-files=no");
        return head + (status.isEmpty() ? "" : "-dirty");
    }

    private static String git(String... args) {
        List<String> cmd = new ArrayList<>(List.of("git"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroy();
                return "";
            }
            return out;
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static String shellQuote(String a) {
        return a.matches("[A-Za-z0-9_./=,:%+-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
    }

    private static void runForked(Contender c, BenchOptions o, List<Result> results, List<String> failures)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("lockbench-" + c.name(), ".tsv");
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElse("java"));
            cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(LockBench.class.getName());
            cmd.addAll(o.forChild());
            cmd.addAll(List.of("--contenders", c.name(), "--child-out", out.toString()));
            int status = new ProcessBuilder(cmd).inheritIO().start().waitFor();
            for (String line : Files.readAllLines(out)) {
                if (!line.isBlank()) {
                    results.add(Result.fromLine(line));
                }
            }
            if (status != 0 && status != SUM_MISMATCH) {
                failures.add(c.name() + ": its JVM exited with status " + status);
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private static int runChild(BenchOptions o) throws IOException, InterruptedException {
        List<Result> results = new ArrayList<>();
        int status = 0;
        try {
            for (Contender c : o.contenders) {
                runContender(c, o, results);
            }
        } catch (RuntimeException e) {
            System.err.println("lockbench: " + e);
            status = RUN_FAILED;
        }
        Files.write(o.childOut, results.stream().map(Result::toLine).toList());
        if (status == 0 && results.stream().anyMatch(r -> !r.sumOk())) {
            status = SUM_MISMATCH;
        }
        return status;
    }

    /** Runs {@code c}'s scenarios, adding each result to {@code sink} as soon as it is known. */
    static void runContender(Contender c, BenchOptions o, List<Result> sink) throws InterruptedException {
        ScenarioRunner runner = new ScenarioRunner(TimeUnit.SECONDS.toNanos(o.roundTimeoutSeconds), o.asyncPool, o.seed,
                o.warmUpRule(), o.jfr);
        if (o.jfr) {
            ParkCounter.prime();
        }
        for (Scenario s : scenarios(c, o)) {
            Result r = runner.run(c, s);
            System.err.printf(Locale.ROOT, "  %-10s %-8s %12.0f ops/ms  p99.9 (all acq.) %8s  parks %6s  warm-up %d rounds%s%s%n",
                    s.workload(), s.workers().label(), r.opsPerMsMedian(),
                    r.waitsMeasured() ? TerminalTable.nanos(r.waitP999()) : "n/a",
                    r.parksCounted() ? Long.toString(r.parks()) : "n/a", r.warmupRounds(), r.warmupSteady() ? "" : " (capped)",
                    r.sumOk() ? "" : "  SUM CHECK FAILED");
            sink.add(r);
        }
    }

    private static String describe(BenchOptions o) {
        return String.format(Locale.ROOT, "%s%d workers, %d ops per worker per round, %d measured rounds capped at %d ms each,"
                        + " seed %d%s", o.frontier ? "frontier mode; " : o.full ? "full run; " : "quick run; ", o.threads, o.ops,
                o.rounds, o.roundCapMs, o.seed, o.async ? ", async pool of " + o.asyncPool + " threads" : "");
    }
}
