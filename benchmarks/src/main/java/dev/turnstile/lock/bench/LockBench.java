package dev.turnstile.lock.bench;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.Contenders;
import dev.turnstile.lock.bench.report.CsvReport;
import dev.turnstile.lock.bench.report.HtmlReport;
import dev.turnstile.lock.bench.report.JsonReport;
import dev.turnstile.lock.bench.report.Result;
import dev.turnstile.lock.bench.report.TerminalTable;
import dev.turnstile.lock.bench.run.Scenario;
import dev.turnstile.lock.bench.run.ScenarioRunner;
import dev.turnstile.lock.bench.run.WorkerKind;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

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
            Contenders.ALL.forEach(c -> System.out.printf("%-16s %-34s %s%n", c.name(), c.label(), c.role()));
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

    static int runAll(BenchOptions o) throws Exception {
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Contender c : o.contenders) {
            if (scenarios(c, o).isEmpty()) {
                continue;
            }
            System.err.println("lockbench: " + c.label());
            if (o.fork) {
                runForked(c, o, results, failures);
            } else {
                try {
                    runContender(c, o, results);
                } catch (RuntimeException e) {
                    failures.add(c.name() + ": " + e);
                }
            }
        }
        TerminalTable.print(results, System.out);
        Files.createDirectories(o.out);
        CsvReport.write(results, o.out.resolve("lockbench.csv"));
        JsonReport.write(results, o.out.resolve("lockbench.json"));
        HtmlReport.write(results, describe(o), o.out);
        System.out.printf(Locale.ROOT, "%nReports in %s/ (lockbench.csv, lockbench.json, lockbench.html); took %d s.%n",
                o.out, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
        List<Result> wrong = results.stream().filter(r -> !r.sumOk()).toList();
        for (Result r : wrong) {
            System.out.println("SUM CHECK FAILED: " + r.label() + " in " + r.workload() + "/" + r.workers()
                    + " lost or invented increments: it did not exclude.");
        }
        failures.forEach(f -> System.out.println("RUN FAILED: " + f));
        return !wrong.isEmpty() ? SUM_MISMATCH : failures.isEmpty() ? 0 : RUN_FAILED;
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
        ScenarioRunner runner = new ScenarioRunner(TimeUnit.SECONDS.toNanos(o.roundTimeoutSeconds), o.asyncPool, o.seed);
        for (Scenario s : scenarios(c, o)) {
            Result r = runner.run(c, s);
            System.err.printf(Locale.ROOT, "  %-10s %-8s %12.0f ops/ms  p99.9 %s%s%n", s.workload(), s.workers().label(),
                    r.opsPerMsMedian(), r.waitsMeasured() ? TerminalTable.nanos(r.waitP999()) : "n/a",
                    r.sumOk() ? "" : "  SUM CHECK FAILED");
            sink.add(r);
        }
    }

    private static String describe(BenchOptions o) {
        return String.format(Locale.ROOT, "%d workers, %d ops per worker, %d rounds (+1 warm-up) capped at %d ms, %d processors, %s %s",
                o.threads, o.ops, o.rounds, o.roundCapMs, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), Runtime.version());
    }
}
