package dev.turnstile.lock;

import java.util.concurrent.Executor;

/**
 * Asynchronous acquisitions of an {@link RwLock}, one subclass per kind of hold: each knows its
 * waiter mode and the guard it hands out.
 *
 * @param <G> the guard type
 */
abstract class RwAcquisition<G extends RwGuard<?>> extends Acquisition<G> {
    RwAcquisition(int mode, Executor executor, LockCallback<? super G> callback) {
        super(mode, executor, callback);
    }

    /** Node factories for the future-based front-ends (non-capturing, so allocated once). */
    static <T> Factory<ReadGuard<T>> reads() {
        return (executor, callback) -> new Read<T>(executor, callback);
    }

    static <T> Factory<WriteGuard<T>> writes() {
        return (executor, callback) -> new Write<T>(executor, callback);
    }

    static <T> Factory<UpgradableGuard<T>> upgradableReads() {
        return (executor, callback) -> new Upgradable<T>(executor, callback);
    }

    @SuppressWarnings("unchecked") // submitted only by RwLock<T>'s asynchronous methods
    final <T> RwLock<T> rwLock() {
        return (RwLock<T>) lock();
    }

    @Override
    void share(G guard) {
        guard.share();
    }

    @Override
    void release(G guard) {
        closeIfHeld(guard, guard.isHeld());
    }

    /** A shared read hold. */
    static final class Read<T> extends RwAcquisition<ReadGuard<T>> {
        Read(Executor executor, LockCallback<? super ReadGuard<T>> callback) {
            super(RwLock.READ, executor, callback);
        }

        @Override
        ReadGuard<T> newGuard() {
            RwLock<T> l = rwLock();
            return new ReadGuard<>(l, l.grantedTo(owner(), this, RwLock.READ));
        }
    }

    /** The exclusive write hold. */
    static final class Write<T> extends RwAcquisition<WriteGuard<T>> {
        Write(Executor executor, LockCallback<? super WriteGuard<T>> callback) {
            super(RwLock.WRITE, executor, callback);
        }

        @Override
        WriteGuard<T> newGuard() {
            RwLock<T> l = rwLock();
            return new WriteGuard<>(l, l.grantedTo(owner(), this, RwLock.WRITE));
        }
    }

    /**
     * The upgrade of an upgradable hold to the write hold. The upgradable guard lends its hold to this
     * node ({@link RwGuard#lend()}); a caller that cancels (the future, or the {@link PendingLock}) gets
     * it back before {@code cancel} returns, valid, whatever the race:
     * <ul>
     *   <li>still queued: the node is withdrawn and the upgrade abandoned (the readers it held back
     *       are let in);</li>
     *   <li>granted, but the delivery has not started: the canceller claims the outcome, turns the
     *       write hold back into the upgradable hold atomically, and the delivery does nothing;</li>
     *   <li>the delivery claimed it first: the cancel fails ({@code false}) and the write guard is
     *       delivered.</li>
     * </ul>
     * An executor that refuses the grant settles it the same way a cancel does (the hold goes back to
     * the guard, then {@code onFailed}), and whichever of the two claims the outcome first wins.
     * If the upgradable guard was closed while its hold was lent (the usual try-with-resources around
     * an {@code upgradeAsync}), a hold that comes back is released instead: nothing is leaked to a
     * guard nobody will close again. The claim is one compare-and-set on {@link #outcome}.
     */
    static final class Upgrade<T> extends RwAcquisition<WriteGuard<T>> {
        private static final int OPEN = 0;
        private static final int DELIVERED = 1;
        private static final int REVERTED = 2;
        private static final int REFUSED = 3;

        private final UpgradableGuard<T> from;
        private volatile int outcome;

        Upgrade(UpgradableGuard<T> from, Executor executor, LockCallback<? super WriteGuard<T>> callback) {
            super(RwLock.UPGRADE, executor, callback);
            this.from = from;
        }

        @Override
        WriteGuard<T> newGuard() {
            return new WriteGuard<>(rwLock(), rwLock().upgraded(from.holds())); // the upgradable hold's owner's
        }

        @Override
        public boolean cancel() {
            if (withdraw()) {
                from.lock.transition(RwLock.ABANDON_UPGRADE);
                giveBack();
                return true;
            }
            if (isGranted() && OUTCOME.compareAndSet(this, OPEN, REVERTED)) {
                from.lock.transition(RwLock.WRITE_TO_UPGRADABLE); // the write bits are already ours
                giveBack();
                return true;
            }
            return false;
        }

        @Override
        boolean withdrawForCaller() {
            return cancel();
        }

        @Override
        void grantReceived() {
            if (OUTCOME.compareAndSet(this, OPEN, DELIVERED)) {
                from.handedOver(); // the hold is the write guard's now
                super.grantReceived();
            }
        }

        /**
         * The executor refused the write grant: like a cancel, the write hold turns back into the
         * upgradable hold and goes back to its guard, and {@code onFailed} runs — unless a cancel
         * settled the outcome first (then it already reverted, and no callback runs).
         */
        @Override
        protected boolean releaseRefusedGrant(dev.turnstile.lock.park.RawLock granted) {
            if (!OUTCOME.compareAndSet(this, OPEN, REFUSED)) {
                return false;
            }
            from.lock.transition(RwLock.WRITE_TO_UPGRADABLE);
            giveBack();
            return true;
        }

        @Override
        void release(WriteGuard<T> guard) {
            // Only reachable if the future was completed without withdrawForCaller (never, today):
            // undo the upgrade rather than drop the hold.
            guard.markConsumed();
            from.lock.transition(RwLock.WRITE_TO_UPGRADABLE);
            from.lock.changedHold(guard.holds(), RwLock.WRITE, RwLock.UPGRADABLE_READ);
            giveBack();
        }

        /** The upgradable hold goes back to its guard, or is released if that guard was closed meanwhile. */
        private void giveBack() {
            if (!from.takeBack()) {
                from.lock.releaseUpgradable(from.holds());
            }
        }

        private static final java.lang.invoke.VarHandle OUTCOME;

        static {
            try {
                OUTCOME = java.lang.invoke.MethodHandles.lookup().findVarHandle(Upgrade.class, "outcome", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** The upgradable read hold. */
    static final class Upgradable<T> extends RwAcquisition<UpgradableGuard<T>> {
        Upgradable(Executor executor, LockCallback<? super UpgradableGuard<T>> callback) {
            super(RwLock.UPGRADABLE_READ, executor, callback);
        }

        @Override
        UpgradableGuard<T> newGuard() {
            RwLock<T> l = rwLock();
            return new UpgradableGuard<>(l, l.grantedTo(owner(), this, RwLock.UPGRADABLE_READ));
        }
    }
}
