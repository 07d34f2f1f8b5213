package dev.turnstile.lock.bench.report;

import java.util.List;

/**
 * Everything one lockbench run reports: its metadata, every run of every repetition, and the
 * per-contender summaries the tables and charts show.
 *
 * @param meta          when, where, how, and by which rules
 * @param runs          one entry per repetition, contender and scenario
 * @param summaries     one entry per contender and scenario
 * @param baselineId    the contender the ratio columns divide by
 * @param baselineLabel its display name
 * @param frontier      whether this is a fairness/throughput frontier run (adds the scatter charts)
 */
public record Report(RunMetadata meta, List<Result> runs, List<Summary> summaries, String baselineId,
                     String baselineLabel, boolean frontier) {
    /** The population every wait figure is taken over, as the table headers say it. */
    public static final String WAIT_POPULATION = "over all acquisitions (one that did not wait counts as 0)";

    /** Repetitions in this run (the most any summary has). */
    public int reps() {
        return summaries.stream().mapToInt(Summary::reps).max().orElse(0);
    }
}
