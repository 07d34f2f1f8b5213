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
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * An asynchronous upgrade races its own cancellation: the last reader leaves (granting the upgrade,
 * delivered on that reader's thread) while the caller cancels the upgrade's future. A cancel that
 * wins must hand the upgradable hold back to its guard, whether it withdrew a queued upgrade or
 * reverted a granted one; a cancel that loses leaves the write hold with the future. Either way,
 * once the arbiter closes whatever it holds, the lock must be entirely free.
 *
 * <p>r1: cancel returned true; r2: 1 if the upgradable guard holds and the lock is upgradable-locked
 * and not write-locked, 2 if the future holds the write guard instead, 0 otherwise; r3: anything
 * still held or queued after the arbiter closed it all.
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "cancel won: the upgradable hold is back with its guard")
@Outcome(id = "0, 2, 0", expect = Expect.ACCEPTABLE, desc = "upgrade won: the future holds the write lock")
@Outcome(expect = Expect.FORBIDDEN, desc = "a hold was lost, duplicated or stranded")
@State
public class UpgradeGrantVersusCancel {
    private final RwLock<Void> lock = new RwLock<>(null);
    private final UpgradableGuard<Void> upgradable = lock.upgradableRead();
    private final ReadGuard<Void> reader = lock.read();
    private final CompletableFuture<WriteGuard<Void>> upgrade = upgradable.upgradeAsync();

    @Actor
    public void lastReaderLeaves() {
        reader.close();
    }

    @Actor
    public void cancel(III_Result r) {
        r.r1 = upgrade.cancel(false) ? 1 : 0;
    }

    @Arbiter
    public void settle(III_Result r) {
        boolean upgraded = upgrade.isDone() && !upgrade.isCompletedExceptionally();
        if (upgraded && !upgradable.isHeld() && lock.isWriteLocked()) {
            r.r2 = 2;
            upgrade.join().close();
        } else if (!upgraded && upgradable.isHeld() && lock.isUpgradableLocked() && !lock.isWriteLocked()) {
            r.r2 = 1;
            upgradable.close();
        }
        r.r3 = lock.isWriteLocked() || lock.readHolds() != 0 || lock.queueLength() != 0 ? 1 : 0;
    }
}
