package dev.turnstile.lock.vertx;

import io.vertx.core.Context;
import java.util.function.Consumer;

/**
 * An acquisition whose future completes with the guard lock-core delivers (what {@link VertxLocks}
 * hands out).
 *
 * @param <G> the guard type
 */
final class GuardAcquisition<G> extends Acquisition<G, G> {
    /** Releases a guard whose delivery failed; a shared, stateless function per guard type. */
    private final Consumer<? super G> release;

    GuardAcquisition(Context context, Consumer<? super G> release) {
        super(context);
        this.release = release;
    }

    @Override
    G granted(G guard) {
        return guard;
    }

    @Override
    void abandon(G guard) {
        release.accept(guard);
    }
}
