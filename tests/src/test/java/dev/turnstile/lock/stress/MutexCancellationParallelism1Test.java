package dev.turnstile.lock.stress;

/**
 * {@link MutexCancellationStressTest} again with one carrier for all virtual threads (the
 * {@code parallelism-1} surefire execution): a grant racing with a timeout or interrupt of a
 * virtual thread that is not even mounted.
 */
class MutexCancellationParallelism1Test extends MutexCancellationStressTest {
}
