package dev.turnstile.lock.bench.run;

import java.util.concurrent.TimeUnit;

/** A round did not finish within the time limit (a lost wake-up, a deadlock, or a hopeless lock). */
public final class RoundTimeoutException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RoundTimeoutException(Scenario s, long timeoutNanos) {
        super("round of " + s.workload() + "/" + s.workers().label() + " did not finish within "
                + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos) + " s");
    }
}
