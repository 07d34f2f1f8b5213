package dev.turnstile.lock.stress;

import static dev.turnstile.lock.testing.Contention.assertContended;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnstile.lock.testing.AsyncAndTimedWorkload;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The asynchronous and timed paths of an {@code RwLock} and a {@code Mutex} with its {@code Condvar}
 * (see {@link AsyncAndTimedWorkload}) with all virtual threads on ONE carrier (the {@code parallelism-1}
 * surefire execution): releasing virtual threads unmount while delivering a batch to an executor
 * whose lock is contended, and the timed waiters admitted behind them must leave the carrier to
 * them (issue #8.2). Every thread finishes, with exact counts. (Before the fix, this hung in each of
 * four runs on one carrier; two carriers needed the narrower scenario of ClaimedTimedReaders.)
 */
class AsyncAndTimedWaitersParallelism1Test {
    @BeforeAll
    static void onlyOnASingleCarrier() {
        assumeTrue("1".equals(System.getProperty("jdk.virtualThreadScheduler.parallelism")),
                "run by the parallelism-1 surefire execution");
    }

    @Test
    void asyncAndTimedWaitersBehindUnmountingReleasersAllFinish() {
        AsyncAndTimedWorkload workload = new AsyncAndTimedWorkload();
        workload.runAndCheck(200, 2, 100, Duration.ofSeconds(60));
        assertContended(workload.rwLock());
        assertContended(workload.mutex());
    }
}
