package dev.turnstile.lock.stress;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnstile.lock.testing.AsyncAndTimedWorkload;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous and timed paths of an {@code RwLock} and a {@code Mutex} with its {@code Condvar}
 * (see {@link AsyncAndTimedWorkload}) with all virtual threads on TWO carriers (the {@code parallelism-2}
 * surefire execution): releasing virtual threads unmount while delivering a batch to an executor
 * whose lock is contended, and the timed waiters admitted behind them must leave the carriers to
 * them (issue #8.2). Every thread finishes, with exact counts.
 */
class AsyncAndTimedWaitersParallelism2Test {
    @BeforeAll
    static void onlyOnTwoCarriers() {
        assumeTrue("2".equals(System.getProperty("jdk.virtualThreadScheduler.parallelism")),
                "run by the parallelism-2 surefire execution");
    }

    @Test
    void asyncAndTimedWaitersBehindUnmountingReleasersAllFinish() {
        AsyncAndTimedWorkload workload = new AsyncAndTimedWorkload();
        workload.runAndCheck(200, 2, 100, Duration.ofSeconds(60));
        assertContended(workload.rwLock());
        assertContended(workload.mutex());
    }
}
