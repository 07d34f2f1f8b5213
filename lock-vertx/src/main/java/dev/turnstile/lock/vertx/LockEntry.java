package dev.turnstile.lock.vertx;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.PendingLock;
import dev.turnstile.lock.RwLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One name of a {@link LocalLocks} registry: its lock, and how many acquisitions use it.
 *
 * <h2>Retiring an entry without losing exclusion</h2>
 * {@link #users} counts the acquisitions that hold or wait on this entry's lock, from
 * {@code getLocalLock} until the {@code Lock} is released (or the acquisition times out). At zero
 * the entry is idle: it stays in the map for the next user of the name until a sweep retires it by
 * one compare-and-set from 0 to {@link #RETIRED} and removes it. An acquisition entering
 * concurrently races on the same word: either it increments first (0 to 1, and the retirement
 * fails), or it finds the entry retired, helps remove it and creates a fresh one. A retired entry
 * has nobody holding or waiting on its lock, so the fresh entry's lock excludes everyone who still
 * matters. Typed entries ({@link LocalLocks#mutex}, {@link LocalLocks#rwLock}) start with one
 * permanent user and are never retired: their lock guards a value that must outlive its users.
 */
final class LockEntry {
    private static final int RETIRED = -1;

    final String name;
    /** Exactly one of {@link #mutex} and {@link #rwLock} is set. */
    final Mutex<?> mutex;
    final RwLock<?> rwLock;
    /** Created by {@code mutex(…)} or {@code rwLock(…)}: holds a value, never retired. */
    final boolean typed;
    /** Holders and waiters (plus one for a typed entry), or {@link #RETIRED}. */
    private volatile int users;

    private LockEntry(String name, Mutex<?> mutex, RwLock<?> rwLock, boolean typed, int users) {
        this.name = name;
        this.mutex = mutex;
        this.rwLock = rwLock;
        this.typed = typed;
        this.users = users;
    }

    /**
     * A plain entry for {@code getLocalLock}, already entered once by its creator. Its mutex is
     * unnamed: a named one costs a configuration object per entry, and only asynchronous waiters
     * (whose timeouts name the entry themselves) ever wait on it.
     */
    static LockEntry plain(String name) {
        return new LockEntry(name, new Mutex<>(null), null, false, 1);
    }

    static LockEntry typedMutex(String name, Object value) {
        return new LockEntry(name, Mutex.builder().name(name).build(value), null, true, 1);
    }

    static LockEntry typedRwLock(String name, Object value) {
        return new LockEntry(name, null, RwLock.builder().name(name).build(value), true, 1);
    }

    /** Registers one more user; {@code false} if the entry is retired (use a fresh one). */
    boolean enter() {
        for (int u = users; u != RETIRED; u = users) {
            if (USERS.compareAndSet(this, u, u + 1)) {
                return true;
            }
        }
        return false;
    }

    /** Unregisters a user; at zero the entry is idle, and a sweep may retire it. */
    void leave() {
        USERS.getAndAdd(this, -1);
    }

    /** Retires the entry if nobody uses it; {@code true} if it is retired now. */
    boolean retireIfUnused() {
        return USERS.compareAndSet(this, 0, RETIRED) || users == RETIRED;
    }

    /**
     * Takes the entry's lock now if it is a {@code Mutex} that {@link Mutex#lockIfFree} takes at once;
     * {@code null} otherwise (an {@code RwLock}'s write lock always goes through
     * {@link #lockExclusive}).
     */
    AutoCloseable lockIfFree(LockOwner owner) {
        return mutex != null ? mutex.lockIfFree(owner) : null;
    }

    /** Acquires the entry's lock exclusively (the write lock of an {@code RwLock}), for {@code owner} (may be null). */
    PendingLock lockExclusive(LockCallback<? super AutoCloseable> callback, LockOwner owner) {
        return mutex != null ? mutex.lockAsync(callback, null, owner) : rwLock.writeAsync(callback, null, owner);
    }

    private static final VarHandle USERS;

    static {
        try {
            USERS = MethodHandles.lookup().findVarHandle(LockEntry.class, "users", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
