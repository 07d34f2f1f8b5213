package dev.turnstile.lock.diagnostics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;

/**
 * What recording owners costs in memory, measured with JOL: an unlocked lock is one object of 32
 * bytes (header 12, the {@code AbstractOwnableSynchronizer} owner field the JVM's tools read, the
 * state word, the queue-or-configuration reference, the diagnostic settings, the value), where it
 * was 24 before; guards keep their sizes, asynchronous queue nodes carry no owner field, a ranked
 * lock is no bigger, and a {@code ReentrantLock} is still 48.
 */
class FootprintTest {
    @BeforeAll
    static void defaultLayout() {
        Assumptions.assumeTrue(VM.current().objectHeaderSize() == 12 && VM.current().sizeOfField("java.lang.Object") == 4,
                "the sizes below are for compressed class pointers and references: " + VM.current().details());
    }

    @Test
    void anUnlockedMutexOrRwLockIs32Bytes() {
        assertEquals(32, ClassLayout.parseInstance(new Mutex<>(null)).instanceSize(),
                ClassLayout.parseInstance(new Mutex<>(null)).toPrintable());
        assertEquals(32, ClassLayout.parseInstance(new RwLock<>(null)).instanceSize());
        assertEquals(32, ClassLayout.parseInstance(Mutex.builder().rank(1).detectDeadlocks().build(null)).instanceSize(),
                "a ranked lock is no bigger: its records live with its acquirers");
        assertEquals(48, GraphLayout.parseInstance(new ReentrantLock()).totalSize(), "the peer, for scale");
    }

    @Test
    void guardsAndAsynchronousNodesKeepTheirSizes() throws Exception {
        Mutex<Object> m = new Mutex<>(null);
        try (MutexGuard<Object> g = m.lock()) {
            assertEquals(24, ClassLayout.parseInstance(g).instanceSize(), "when the JIT does not remove it");
        }
        RwLock<Object> r = new RwLock<>(null);
        try (ReadGuard<Object> g = r.read()) {
            assertEquals(24, ClassLayout.parseInstance(g).instanceSize());
        }
        // An asynchronous acquisition's node carries no owner field: an owned one wraps its callback.
        for (Class<?> c = Class.forName("dev.turnstile.lock.MutexAcquisition"); c != Object.class; c = c.getSuperclass()) {
            for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                assertFalse(f.getType().getName().startsWith("dev.turnstile.lock.park.HeldLocks")
                        || f.getType() == dev.turnstile.lock.LockOwner.class, c.getName() + "." + f.getName());
            }
        }
    }
}
