package dev.turnstile.lock.bench;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.Contenders;
import dev.turnstile.lock.bench.run.WarmUpRule;
import dev.turnstile.lock.bench.run.WorkerKind;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * lockbench's knobs, parsed from the command line. Every field has a flag; {@link #HELP} explains
 * them. The quick defaults keep a whole run within a few minutes on two cores; {@code --full} raises
 * operations, rounds and the warm-up budget for the long run.
 */
final class BenchOptions {
    static final String HELP = """
            lockbench: Turnstile's locks side by side with their peers (a JVM port of matklad's lock-bench).

            T workers each lock a random one of N locks and increment the counter it guards, OPS times per
            worker, over several rounds released together by a start gate; after every round the counters
            must add up (a wrong sum is reported loudly and the exit status is 2). Each contender runs in
            its own JVM so that no lock's code warms up the JIT profile of another.

            Warm-up (the same rule for every contender, each scenario): unmeasured rounds until at least 2
            rounds and the warm-up minimum have passed, the last two rounds' throughputs are within the
            tolerance of each other and the JIT compiled for at most 2% of the last round; or until the
            warm-up cap (the result is then marked "warm-up capped"). Then the measured rounds.

            Reports, per contender and workload: throughput (ops/ms of the median round, with the slowest and
            fastest round, or with --reps the median and min-max over repetitions); its ratio to the baseline
            (--baseline) in the same repetition; wait per acquisition p50/p99/p99.9/max OVER ALL ACQUISITIONS
            (HdrHistogram; an acquisition that found its lock free counts as a wait of 0: only those that
            found it held read the clock, the others are added as zeros after the round) and, beside them,
            "waited", how many found the lock held (and their share); fairness as Jain's index of the
            operations each worker had done when the first one finished (worst round); thread parks over
            the measured rounds (JFR jdk.ThreadPark, threshold 0, no stack traces, the benchmark's own
            latches left out; with virtual or async workers these are the carrier/pool threads' parks),
            total and per 1M acquisitions; bytes allocated per operation by all threads over the
            measured rounds; rounds stopped at the round cap; the sum check.
            Writes a terminal table and RESULTS/<timestamp>/lockbench.{csv,json,html}, lockbench-runs.csv and
            SVG charts, with the date, commit, JVM, machine and command line; RESULTS/latest points there.

            Usage: scripts/lockbench [flags]
              --full                 the long run (defaults below in brackets: quick [full])
              --threads T            workers per run [32]
              --ops N                operations per worker per round [40000 [200000]]
              --rounds R             measured rounds after the warm-up [3 [10]]
              --round-cap MS         stop a round still running after MS ms, so that slow (fair) locks
                                     cannot eat the budget; throughput is then what was done [200 [5000]]
              --warmup-min MS        warm up for at least MS ms per scenario [300 [1000]]
              --warmup-cap MS        warm up for at most MS ms per scenario [1500 [10000]]
              --warmup-tolerance P   two rounds are level when within P percent [10 [5]]
              --reps K               run the whole contender set K times, interleaved (A,B,C,A,B,C,...,
                                     a fresh JVM each), and report medians and min-max [1]
              --baseline ID          the contender the ratio columns divide by [reentrant]
              --frontier             the fairness/throughput frontier: Mutex FIFO, EVENTUAL with hand-off
                                     every 0.1/0.5/1/5 ms, BARGING, ReentrantLock fair and nonfair, in
                                     the extreme and heavy regimes (unless --regimes/--contenders say
                                     otherwise); adds throughput-vs-wait scatter charts to the HTML
              --regimes LIST         extreme(N=2),heavy(64),light(1000),none(1000000), or name=N [all four]
              --workers LIST         platform,virtual [both]
              --read-mixes LIST      read percentages of the read-heavy mixes, or none [90,99]
              --mix-locks N          locks in the read-heavy mixes [2]
              --async / --no-async   the async mode: tasks on a fixed pool, over the regimes [on]
              --no-regimes           skip the exclusive regimes
              --async-pool P         threads of the async mode's pool (one FIFO queue) [available processors]
              --contenders LIST      which contenders, by id [all]; --list shows them
              --list                 list the contenders and exit
              --out DIR              where the timestamped run folders go [results]
              --seed S               seed of the random lock choices [42]
              --round-timeout SEC    a round whose workers have not all ended SEC seconds after the
                                     round cap fails the run (a lost wake-up, a deadlock) [120]
              --no-jfr               do not count parks (no JFR recording)
              --no-fork              run every contender in this JVM (faster, but JIT profiles mix)
              --footprint            print the JOL footprint of each lock instead (see Footprint)
              --help                 this text
            """;

    boolean full;
    /** The command line as given, for the report's metadata. */
    List<String> args = List.of();
    int threads = 32;
    int ops = -1;
    int rounds = -1;
    int roundCapMs = -1;
    int warmupMinMs = -1;
    int warmupCapMs = -1;
    int warmupTolerancePercent = -1;
    int reps = 1;
    String baseline = "reentrant";
    boolean frontier;
    boolean jfr = true;
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
    /** The folder this run's reports went to (set by the run). */
    Path runDir;

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
        o.args = List.of(args);
        boolean regimesGiven = false;
        boolean contendersGiven = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--full" -> o.full = true;
                case "--threads" -> o.threads = positive(a, args, ++i);
                case "--ops" -> o.ops = positive(a, args, ++i);
                case "--rounds" -> o.rounds = positive(a, args, ++i);
                case "--round-cap" -> o.roundCapMs = positive(a, args, ++i);
                case "--regimes" -> {
                    o.regimes = list(a, args, ++i).stream().map(Regime::parse).toList();
                    regimesGiven = true;
                }
                case "--warmup-min" -> o.warmupMinMs = nonNegative(a, args, ++i);
                case "--warmup-cap" -> o.warmupCapMs = positive(a, args, ++i);
                case "--warmup-tolerance" -> {
                    o.warmupTolerancePercent = positive(a, args, ++i);
                    if (o.warmupTolerancePercent >= 100) {
                        throw new IllegalArgumentException("--warmup-tolerance is a percentage below 100: "
                                + o.warmupTolerancePercent);
                    }
                }
                case "--reps" -> o.reps = positive(a, args, ++i);
                case "--baseline" -> o.baseline = Contenders.named(value(a, args, ++i)).name();
                case "--frontier" -> o.frontier = true;
                case "--no-jfr" -> o.jfr = false;
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
                case "--contenders" -> {
                    o.contenders = list(a, args, ++i).stream().map(Contenders::named).toList();
                    contendersGiven = true;
                }
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
        if (o.warmupMinMs < 0) {
            o.warmupMinMs = o.full ? 1_000 : 300;
        }
        if (o.warmupCapMs < 0) {
            o.warmupCapMs = Math.max(o.warmupMinMs, o.full ? 10_000 : 1_500);
        }
        if (o.warmupCapMs < o.warmupMinMs) {
            throw new IllegalArgumentException("--warmup-cap " + o.warmupCapMs + " is below --warmup-min " + o.warmupMinMs);
        }
        if (o.warmupTolerancePercent < 0) {
            o.warmupTolerancePercent = o.full ? 5 : 10;
        }
        if (o.frontier) {
            // The contended regimes of the exclusive locks only, unless the caller chose otherwise.
            if (!contendersGiven) {
                o.contenders = Contenders.FRONTIER;
            }
            if (!regimesGiven) {
                o.regimes = Regime.STANDARD.subList(0, 2);
            }
            o.readMixes = List.of();
            o.async = false;
            o.exclusiveRegimes = true;
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
                async ? "--async" : "--no-async",
                "--warmup-min", Integer.toString(warmupMinMs), "--warmup-cap", Integer.toString(warmupCapMs),
                "--warmup-tolerance", Integer.toString(warmupTolerancePercent)));
        if (!exclusiveRegimes) {
            a.add("--no-regimes");
        }
        if (!jfr) {
            a.add("--no-jfr");
        }
        return a;
    }

    /** The warm-up rule these options set. */
    WarmUpRule warmUpRule() {
        return new WarmUpRule(2, TimeUnit.MILLISECONDS.toNanos(warmupMinMs), TimeUnit.MILLISECONDS.toNanos(warmupCapMs),
                warmupTolerancePercent / 100.0);
    }

    private static String value(String flag, String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value (see --help)");
        }
        return args[i];
    }

    private static int nonNegative(String flag, String[] args, int i) {
        int v = Integer.parseInt(value(flag, args, i));
        if (v < 0) {
            throw new IllegalArgumentException(flag + " must not be negative: " + v);
        }
        return v;
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
