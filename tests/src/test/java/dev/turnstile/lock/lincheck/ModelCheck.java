package dev.turnstile.lock.lincheck;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;

/**
 * The one Lincheck configuration every lock's model check uses, so they explore alike: a few
 * threads with a couple of operations each is where lock bugs show, and 10 x 500 interleavings keep
 * each check to seconds on two cores.
 */
final class ModelCheck {
    private ModelCheck() {
    }

    /** Model-checks {@code implementation} against the sequential {@code specification}. */
    static void linearizable(Class<?> implementation, Class<?> specification) {
        new ModelCheckingOptions()
                .iterations(10)
                .invocationsPerIteration(500)
                .threads(3)
                .actorsPerThread(2)
                .sequentialSpecification(specification)
                .check(implementation);
    }
}
