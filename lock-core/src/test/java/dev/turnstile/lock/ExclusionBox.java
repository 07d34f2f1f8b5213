package dev.turnstile.lock;

/**
 * What the break tests guard with a lock: a counter with a non-atomic read-modify-write that stays
 * inside its critical section for a while (a spin, or a yield every 16th time), so that two holders
 * at once throw and lost updates show in the count.
 */
final class ExclusionBox {
    /** Completed increments; read it under the lock. */
    long n;
    private boolean inside;

    /** Increments {@link #n}, slowly; throws if another holder is inside. */
    void bump() {
        if (inside) {
            throw new AssertionError("two holders inside the critical section");
        }
        inside = true;
        long v = n;
        if ((v & 15) == 0) {
            Thread.yield();
        } else {
            for (int i = (int) (v & 63); i >= 0; i--) {
                Thread.onSpinWait();
            }
        }
        n = v + 1;
        inside = false;
    }
}
