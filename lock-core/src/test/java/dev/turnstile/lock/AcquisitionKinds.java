package dev.turnstile.lock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;

/**
 * Every way a thread takes a {@code Mutex}, for the break tests that check each one is seen (counted,
 * timed, recorded) whatever the queue holds: {@link #bumpOnce} takes the mutex by one of them, bumps
 * its {@link ExclusionBox} once and releases.
 */
final class AcquisitionKinds {
    /** How many kinds {@link #bumpOnce} knows: pass {@code 0 .. COUNT - 1}. */
    static final int COUNT = 9;

    private AcquisitionKinds() {
    }

    /**
     * Takes {@code m} by kind {@code kind}: {@code lock()}, {@code lockInterruptibly()},
     * {@code withLockDo}, {@code update}, the {@code asLock()} view {@code view}, {@code tryLock()},
     * {@code tryLock(Duration)} (under 50 µs), {@code lockAsync()}, or {@code lock()} and a wait on
     * {@code cv} (under 50 µs, notifying one waiter first); bumps the box once and releases.
     *
     * @return the holds taken: 1, 0 when a try failed, 2 for the condition wait (its re-acquisition)
     */
    static int bumpOnce(Mutex<ExclusionBox> m, Lock view, Condvar cv, int kind) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        switch (kind) {
            case 0 -> {
                try (MutexGuard<ExclusionBox> g = m.lock()) {
                    g.get().bump();
                }
            }
            case 1 -> {
                try (MutexGuard<ExclusionBox> g = m.lockInterruptibly()) {
                    g.get().bump();
                }
            }
            case 2 -> m.withLockDo(ExclusionBox::bump);
            case 3 -> m.update(b -> {
                b.bump();
                return b;
            });
            case 4 -> {
                view.lock();
                try {
                    m.value().bump();
                } finally {
                    view.unlock();
                }
            }
            case 5 -> {
                return bumpIfTaken(m.tryLock());
            }
            case 6 -> {
                return bumpIfTaken(m.tryLock(Duration.ofNanos(r.nextInt(1, 50_000))));
            }
            case 7 -> {
                try (MutexGuard<ExclusionBox> g = m.lockAsync().get(20, TimeUnit.SECONDS)) {
                    g.get().bump();
                }
            }
            case 8 -> {
                try (MutexGuard<ExclusionBox> g = m.lock()) {
                    cv.notifyOne();
                    cv.await(g, Duration.ofNanos(r.nextInt(1, 50_000)));
                    g.get().bump();
                }
                return 2;
            }
            default -> throw new IllegalArgumentException("no acquisition kind " + kind);
        }
        return 1;
    }

    private static int bumpIfTaken(Optional<MutexGuard<ExclusionBox>> taken) {
        if (taken.isEmpty()) {
            return 0;
        }
        try (MutexGuard<ExclusionBox> g = taken.get()) {
            g.get().bump();
        }
        return 1;
    }
}
