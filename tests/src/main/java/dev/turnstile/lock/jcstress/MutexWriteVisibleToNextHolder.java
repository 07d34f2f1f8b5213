package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Writes made in one critical section are all visible in the next: a release happens-before the
 * acquisition that follows it. The fields are plain, so only the mutex's ordering can make the
 * reader see both writes; seeing one without the other (or in the wrong order) is forbidden.
 * The writer uses the guard API, the reader {@code withLock}, so both front doors are covered.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "the reader's critical section ran first")
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "the reader's critical section ran second and saw both writes")
@Outcome(expect = Expect.FORBIDDEN, desc = "a partial or reordered view of the previous critical section")
@State
public class MutexWriteVisibleToNextHolder {
    private final Mutex<Void> mutex = new Mutex<>(null);
    private int first;
    private int second;

    @Actor
    @SuppressWarnings("try") // the guard is held for its scope only
    public void writer() {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            first = 1;
            second = 2;
        }
    }

    @Actor
    public void reader(II_Result r) {
        mutex.withLock(unused -> {
            // Read in the opposite order of the writes: seeing "second" but not "first" would be a reordering.
            r.r2 = second;
            r.r1 = first;
            return null;
        });
    }
}
