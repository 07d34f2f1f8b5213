package dev.turnstile.lock.bench.contender;

import java.util.function.IntFunction;

/**
 * One lock implementation in the lockbench line-up: a name, which workloads it takes part in, and
 * how to make N of it. Exactly one of the two factories is set.
 *
 * @param name       short id used on the command line ({@code --contenders}) and in reports
 * @param label      what the reports show
 * @param role       which workloads it runs in
 * @param blocking   makes the locks for platform- and virtual-thread workers, or {@code null}
 * @param async      makes the locks for async tasks, or {@code null}
 * @param turnstile  whether this is a Turnstile lock (the reports highlight them)
 */
public record Contender(String name, String label, Role role, IntFunction<LockTable> blocking,
                        IntFunction<AsyncLockTable> async, boolean turnstile) {

    /** Which workloads a contender runs in. */
    public enum Role {
        /** Exclusive lock: the regimes, and the read mixes as an exclusive baseline (reads lock exclusively). */
        EXCLUSIVE,
        /** Has a shared mode: the read mixes only. */
        READ_WRITE,
        /** Acquired through futures: the async mode only. */
        ASYNC
    }

    /** Whether this contender runs in the regimes (exclusive increments). */
    public boolean runsRegimes() {
        return role == Role.EXCLUSIVE;
    }

    /** Whether this contender runs in the read-heavy mixes. */
    public boolean runsReadMixes() {
        return role == Role.EXCLUSIVE || role == Role.READ_WRITE;
    }

    /** Whether this contender runs in the async mode. */
    public boolean runsAsync() {
        return role == Role.ASYNC;
    }
}
