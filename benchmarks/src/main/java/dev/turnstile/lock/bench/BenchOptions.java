package dev.turnstile.lock.bench;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.Contenders;
import dev.turnstile.lock.bench.run.WorkerKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * lockbench's knobs, parsed from the command line. Every field has a flag; {@link #HELP} explains
 * them. The quick defaults keep a whole run (with the build) under two minutes on two cores;
 * {@code --full} raises operations and rounds for the long run.
 */
final class BenchOptions {
    static final String HELP = """
            lockbench: Turnstile's locks side by side with their peers (a JVM port of matklad's lock-bench).

            T workers each lock a random one of N locks and increment the counter it guards, OPS times per
            worker, over several rounds released together by a start gate; after every round the counters
            must add up (a wrong sum is reported loudly and the exit status is 2). Each contender runs in
            its own JVM so that no lock's code warms up the JIT profile of another.

            Reports, per contender and workload: throughput (ops/ms, min/median/max over rounds); wait per
            acquisition p50/p99/p99.9/max (HdrHistogram; only acquisitions that found their lock held are
            timed, so the fast path runs without a clock); fairness as the fewest/most operations any worker
            had done when the first one finished, and Jain's index of those counts; the sum check.
            Writes a terminal table and RESULTS/lockbench.{csv,json,html} (+ two SVG charts).

            Usage: scripts/lockbench [flags]
              --full                 the long run (defaults below in brackets: quick [full])
              --threads T            workers per run [32]
              --ops N                operations per worker per round [40000 [200000]]
              --rounds R             measured rounds after one warm-up round [3 [10]]
              --round-cap MS         stop a round still running after MS ms, so that slow (fair) locks
                                     cannot eat the budget; throughput is then what was done [200 [5000]]
              --regimes LIST         extreme(N=2),heavy(64),light(1000),none(1000000), or name=N [all four]
              --workers LIST         platform,virtual [both]
              --read-mixes LIST      read percentages of the read-heavy mixes, or none [90,99]
              --mix-locks N          locks in the read-heavy mixes [2]
              --async / --no-async   the async mode: tasks on a fixed pool, over the regimes [on]
              --no-regimes           skip the exclusive regimes
              --async-pool P         threads of the async mode's pool [available processors]
              --contenders LIST      which contenders, by id [all]; --list shows them
              --list                 list the contenders and exit
              --out DIR              where the reports go [results]
              --seed S               seed of the random lock choices [42]
              --round-timeout SEC    a round taking longer fails the run [120]
              --no-fork              run every contender in this JVM (faster, but JIT profiles mix)
              --footprint            print the JOL footprint of each lock instead (see Footprint)
              --help                 this text
            """;

    boolean full;
    int threads = 32;
    int ops = -1;
    int rounds = -1;
    int roundCapMs = -1;
    List<Regime> regimes = Regime.STANDARD;
    List<WorkerKind> workers = List.of(WorkerKind.PLATFORM, WorkerKind.VIRTUAL);
    List<Integer> readMixes = List.of(90, 99);
    int mixLocks = 2;
    boolean async = true;
    boolean exclusiveRegimes = true;
    int asyncPool = Runtime.getRuntime().availableProcessors();
    List<Contender> contenders = Contenders.ALL;
    Path out = Path.of("results");
    long seed = 42;
    int roundTimeoutSeconds = 120;
    boolean fork = true;
    boolean footprint;
    boolean help;
    boolean list;
    /** Internal: run one contender and write its results to this file (set by the forking parent). */
    Path childOut;

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--full" -> o.full = true;
                case "--threads" -> o.threads = positive(a, args, ++i);
                case "--ops" -> o.ops = positive(a, args, ++i);
                case "--rounds" -> o.rounds = positive(a, args, ++i);
                case "--round-cap" -> o.roundCapMs = positive(a, args, ++i);
                case "--regimes" -> o.regimes = list(a, args, ++i).stream().map(Regime::parse).toList();
                case "--workers" -> o.workers = list(a, args, ++i).stream().map(WorkerKind::of)
                        .peek(k -> {
                            if (k == WorkerKind.ASYNC) {
                                throw new IllegalArgumentException("async is a mode: use --async");
                            }
                        }).toList();
                case "--read-mixes" -> {
                    List<String> mixes = list(a, args, ++i);
                    o.readMixes = mixes.equals(List.of("none")) ? List.of()
                            : mixes.stream().map(BenchOptions::percent).toList();
                }
                case "--mix-locks" -> o.mixLocks = positive(a, args, ++i);
                case "--async" -> o.async = true;
                case "--no-async" -> o.async = false;
                case "--no-regimes" -> o.exclusiveRegimes = false;
                case "--async-pool" -> o.asyncPool = positive(a, args, ++i);
                case "--contenders" -> o.contenders = list(a, args, ++i).stream().map(Contenders::named).toList();
                case "--list" -> o.list = true;
                case "--out" -> o.out = Path.of(value(a, args, ++i));
                case "--seed" -> o.seed = Long.parseLong(value(a, args, ++i));
                case "--round-timeout" -> o.roundTimeoutSeconds = positive(a, args, ++i);
                case "--no-fork" -> o.fork = false;
                case "--footprint" -> o.footprint = true;
                case "--help", "-h" -> o.help = true;
                case "--child-out" -> o.childOut = Path.of(value(a, args, ++i));
                default -> throw new IllegalArgumentException("unknown flag '" + a + "' (see --help)");
            }
        }
        if (o.ops < 0) {
            o.ops = o.full ? 200_000 : 40_000;
        }
        if (o.roundCapMs < 0) {
            o.roundCapMs = o.full ? 5_000 : 200;
        }
        if (o.rounds < 0) {
            o.rounds = o.full ? 10 : 3;
        }
        return o;
    }

    /** The flags that reproduce these options in a child JVM (all but the contender selection). */
    List<String> forChild() {
        List<String> a = new ArrayList<>(List.of(
                "--threads", Integer.toString(threads), "--ops", Integer.toString(ops),
                "--rounds", Integer.toString(rounds), "--round-cap", Integer.toString(roundCapMs),
                "--regimes", String.join(",", regimes.stream().map(r -> r.name() + "=" + r.locks()).toList()),
                "--workers", String.join(",", workers.stream().map(WorkerKind::label).toList()),
                "--read-mixes", readMixes.isEmpty() ? "none"
                        : String.join(",", readMixes.stream().map(String::valueOf).toList()),
                "--mix-locks", Integer.toString(mixLocks), "--async-pool", Integer.toString(asyncPool),
                "--seed", Long.toString(seed), "--round-timeout", Integer.toString(roundTimeoutSeconds),
                async ? "--async" : "--no-async"));
        if (!exclusiveRegimes) {
            a.add("--no-regimes");
        }
        return a;
    }

    private static String value(String flag, String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value (see --help)");
        }
        return args[i];
    }

    private static int positive(String flag, String[] args, int i) {
        int v = Integer.parseInt(value(flag, args, i));
        if (v < 1) {
            throw new IllegalArgumentException(flag + " must be at least 1: " + v);
        }
        return v;
    }

    private static List<String> list(String flag, String[] args, int i) {
        return Arrays.stream(value(flag, args, i).split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static int percent(String s) {
        int p = Integer.parseInt(s);
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("a read mix is a percentage: " + s);
        }
        return p;
    }
}
