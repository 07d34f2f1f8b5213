package dev.turnstile.lock.stress;

/**
 * {@link MutexStressTest} again with one carrier for all virtual threads (the {@code parallelism-1}
 * surefire execution): hand-offs to virtual threads that must wait for the only carrier to mount.
 */
class MutexStressParallelism1Test extends MutexStressTest {
}
