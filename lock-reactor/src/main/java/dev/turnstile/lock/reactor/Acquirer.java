package dev.turnstile.lock.reactor;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.PendingLock;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;

/**
 * One kind of hold on one lock, as the Reactor operators see it: how to submit an acquisition at
 * lock-core's callback level, and how to give back a hold nobody will use. Created once per
 * assembled {@code Mono}/{@code Flux} (not per subscription), so a subscription costs only its own
 * subscriber and lock-core's queue node, and no node when the lock is free ({@link #takeIfFree}).
 *
 * @param <G> the guard (or wake-up) type the acquisition delivers
 */
abstract class Acquirer<G> {

    /**
     * Submits one acquisition without an executor: the callback runs on the granting thread through
     * lock-core's trampoline, possibly before this returns. It counts for {@code owner} (the
     * {@link LockOwner} in the subscriber's {@code Context}, or {@code null}) for lock ranks and
     * deadlock detection; an upgrade or a condvar re-acquisition counts for the owner of the guard it
     * starts from.
     *
     * @throws dev.turnstile.lock.LockOrderViolationException if the owner may not acquire this ranked
     *                                                        lock now (nothing was queued)
     */
    abstract PendingLock submit(LockCallback<? super G> callback, LockOwner owner);

    /**
     * The free-lock fast path: takes the hold now, for {@code owner}, exactly when lock-core's own
     * fast path would ({@link Mutex#lockIfFree}, {@link RwLock#readIfFree} …: free for this kind of
     * hold, nobody queued or a mutex that lets arrivals barge, no grant delivery running on this
     * thread), so that the caller can deliver
     * it with {@link LockCallback#deliver} instead of queueing a node; {@code null} otherwise (and
     * always for holds that have no such path: an upgrade, a condition wait), when the caller
     * {@link #submit submits}. Checks the owner's rank order first, as {@link #submit} does.
     *
     * @throws dev.turnstile.lock.LockOrderViolationException if the owner may not acquire this ranked
     *                                                        lock now (nothing was taken)
     */
    G takeIfFree(LockOwner owner) {
        return null;
    }

    /**
     * One acquisition for a subscriber whose {@code context} carries its {@link LockOwner}: when
     * {@code mayTakeNow} (no scheduler hop is needed) and the lock is free, the hold is taken at once
     * ({@link #takeIfFree}) and delivered to {@code callback} with {@link LockCallback#deliver} before
     * this returns {@code null}; otherwise the acquisition is {@link #submit submitted} and its pending
     * acquisition returned.
     *
     * @throws dev.turnstile.lock.LockOrderViolationException if the owner may not acquire this ranked
     *                                                        lock now (nothing was taken or queued)
     */
    final PendingLock takeOrSubmit(LockCallback<? super G> callback, reactor.util.context.ContextView context,
                                   boolean mayTakeNow) {
        LockOwner owner = ownerIn(context);
        G now = mayTakeNow ? takeIfFree(owner) : null;
        if (now == null) {
            return submit(callback, owner);
        }
        LockCallback.deliver(callback, now); // onLocked signals it, or releases it if a cancel came in meanwhile
        return null;
    }

    /** The {@link LockOwner} a subscriber's context carries (key {@code LockOwner.class}), or {@code null}. */
    static LockOwner ownerIn(reactor.util.context.ContextView context) {
        return context.getOrDefault(LockOwner.class, null);
    }

    /**
     * Gives back the hold {@code granted} carries. Tolerates a guard its user already closed (a
     * {@code with…} body may close it itself), because closing twice throws and leaves the lock as
     * it is.
     */
    abstract void release(G granted);

    /** The lock's name for messages and {@code LockTimeoutException}, or {@code null}. */
    abstract String lockName();

    /** Closes {@code guard} unless it was closed (or consumed) already. */
    static void closeIfHeld(MutexGuard<?> guard) {
        if (guard.isHeld()) {
            try {
                guard.close();
            } catch (IllegalStateException closedMeanwhile) {
                // closed by its user between the check and here: released all the same
            }
        }
    }

    static void closeIfHeld(ReadGuard<?> guard) {
        if (guard.isHeld()) {
            try {
                guard.close();
            } catch (IllegalStateException closedMeanwhile) {
                // as above
            }
        }
    }

    static void closeIfHeld(WriteGuard<?> guard) {
        if (guard.isHeld()) {
            try {
                guard.close();
            } catch (IllegalStateException closedMeanwhile) {
                // as above
            }
        }
    }

    static void closeIfHeld(UpgradableGuard<?> guard) {
        if (guard.isHeld()) {
            try {
                guard.close();
            } catch (IllegalStateException closedMeanwhile) {
                // as above
            }
        }
    }

    static <T> Acquirer<MutexGuard<T>> mutex(Mutex<T> mutex) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super MutexGuard<T>> callback, LockOwner owner) {
                return mutex.lockAsync(callback, null, owner);
            }

            @Override
            MutexGuard<T> takeIfFree(LockOwner owner) {
                return mutex.lockIfFree(owner);
            }

            @Override
            void release(MutexGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return mutex.name();
            }
        };
    }

    static <T> Acquirer<ReadGuard<T>> read(RwLock<T> lock) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super ReadGuard<T>> callback, LockOwner owner) {
                return lock.readAsync(callback, null, owner);
            }

            @Override
            ReadGuard<T> takeIfFree(LockOwner owner) {
                return lock.readIfFree(owner);
            }

            @Override
            void release(ReadGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return lock.name();
            }
        };
    }

    static <T> Acquirer<WriteGuard<T>> write(RwLock<T> lock) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super WriteGuard<T>> callback, LockOwner owner) {
                return lock.writeAsync(callback, null, owner);
            }

            @Override
            WriteGuard<T> takeIfFree(LockOwner owner) {
                return lock.writeIfFree(owner);
            }

            @Override
            void release(WriteGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return lock.name();
            }
        };
    }

    static <T> Acquirer<UpgradableGuard<T>> upgradableRead(RwLock<T> lock) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super UpgradableGuard<T>> callback, LockOwner owner) {
                return lock.upgradableReadAsync(callback, null, owner);
            }

            @Override
            UpgradableGuard<T> takeIfFree(LockOwner owner) {
                return lock.upgradableReadIfFree(owner);
            }

            @Override
            void release(UpgradableGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return lock.name();
            }
        };
    }

    /**
     * The upgrade of {@code from}. A write hold that wins the race against a cancellation is released
     * (lock-core turns a withdrawn upgrade back into {@code from}'s upgradable hold only when
     * {@code cancel()} returns {@code true}; a grant already made cannot be given back to {@code from}
     * from outside lock-core).
     */
    static <T> Acquirer<WriteGuard<T>> upgrade(UpgradableGuard<T> from) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super WriteGuard<T>> callback, LockOwner owner) {
                return from.upgradeAsync(callback, null);
            }

            @Override
            void release(WriteGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return from.lock().name();
            }
        };
    }

    static <T> Acquirer<MutexGuard<T>> await(Condvar condvar, MutexGuard<T> guard) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super MutexGuard<T>> callback, LockOwner owner) {
                return condvar.awaitAsync(guard, callback, null);
            }

            @Override
            void release(MutexGuard<T> granted) {
                closeIfHeld(granted);
            }

            @Override
            String lockName() {
                return guard.mutex().name();
            }
        };
    }

    static <T> Acquirer<Condvar.Wakeup<T>> await(Condvar condvar, MutexGuard<T> guard, Duration timeout) {
        return new Acquirer<>() {
            @Override
            PendingLock submit(LockCallback<? super Condvar.Wakeup<T>> callback, LockOwner owner) {
                return condvar.awaitAsync(guard, timeout, callback, null);
            }

            @Override
            void release(Condvar.Wakeup<T> granted) {
                closeIfHeld(granted.guard());
            }

            @Override
            String lockName() {
                return guard.mutex().name();
            }
        };
    }
}
