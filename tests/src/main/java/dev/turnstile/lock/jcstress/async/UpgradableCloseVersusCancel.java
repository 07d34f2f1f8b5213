package dev.turnstile.lock.jcstress.async;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * The try-with-resources idiom around an asynchronous upgrade: the upgradable guard's block ends
 * ({@code close()}) while another thread cancels the still-queued upgrade, which gives the lent hold
 * back to the guard. Whichever comes first, {@code close()} must not throw and the upgradable hold
 * must end released exactly once: by {@code close()} if the hold came back first, by the cancel if
 * the guard was closed first.
 *
 * <p>r1: 1 if {@code close()} threw; r2: anything still held or queued once the reader that kept the
 * upgrade queued has left too.
 */
@JCStressTest
@Outcome(id = "0, 0", expect = Expect.ACCEPTABLE, desc = "closed once, released once, lock free")
@Outcome(expect = Expect.FORBIDDEN, desc = "close threw, or the upgradable hold leaked or was released twice")
@State
public class UpgradableCloseVersusCancel {
    private final RwLock<Void> lock = new RwLock<>(null);
    private final UpgradableGuard<Void> upgradable = lock.upgradableRead();
    private final ReadGuard<Void> reader = lock.read(); // keeps the upgrade queued
    private final CompletableFuture<WriteGuard<Void>> upgrade = upgradable.upgradeAsync();

    @Actor
    public void scopeEnds(II_Result r) {
        try {
            upgradable.close();
        } catch (IllegalStateException e) {
            r.r1 = 1;
        }
    }

    @Actor
    public void cancel() {
        upgrade.cancel(false);
    }

    @Arbiter
    public void settle(II_Result r) {
        reader.close();
        r.r2 = lock.isWriteLocked() || lock.isUpgradableLocked() || lock.readHolds() != 0 || lock.queueLength() != 0 ? 1 : 0;
    }
}
