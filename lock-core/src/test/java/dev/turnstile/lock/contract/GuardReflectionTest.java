package dev.turnstile.lock.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every public method of every guard can be called reflectively from outside the library, as Groovy,
 * SpEL, JSP EL and Jackson do: {@code guard.getClass().getMethod("get").invoke(guard)}. The methods
 * the RwLock guards inherited from a package-private base used to fail with
 * {@code IllegalAccessException} (javac cannot add public bridges for final methods).
 */
class GuardReflectionTest {

    /** What a dynamic language does: look the method up on the object's own class, then invoke it. */
    private static Object invoke(Object target, String name) throws Exception {
        Method m = target.getClass().getMethod(name);
        return m.invoke(target);
    }

    @Test
    void getIsCallableReflectivelyOnEachGuardType() throws Exception {
        Mutex<String> mutex = new Mutex<>("m");
        try (MutexGuard<String> g = mutex.lock()) {
            assertEquals("m", invoke(g, "get"));
        }
        RwLock<String> lock = new RwLock<>("rw");
        try (ReadGuard<String> r = lock.read()) {
            assertEquals("rw", invoke(r, "get"));
        }
        try (WriteGuard<String> w = lock.write()) {
            assertEquals("rw", invoke(w, "get"));
        }
        try (UpgradableGuard<String> u = lock.upgradableRead()) {
            assertEquals("rw", invoke(u, "get"));
        }
    }

    @Test
    void theOtherAccessorsAndCloseAreCallableReflectivelyToo() throws Exception {
        RwLock<String> lock = new RwLock<>("rw");
        for (RwGuard<String> g : List.<RwGuard<String>>of(lock.read(), lock.upgradableRead())) {
            assertSame(lock, invoke(g, "lock"));
            assertEquals(true, invoke(g, "isHeld"));
            invoke(g, "close");
            assertFalse(g.isHeld());
        }
        WriteGuard<String> w = lock.write();
        w.getClass().getMethod("set", Object.class).invoke(w, "written");
        invoke(w, "close");
        assertEquals("written", lock.withRead(v -> v));

        Mutex<String> mutex = new Mutex<>("m");
        MutexGuard<String> g = mutex.lock();
        assertSame(mutex, invoke(g, "mutex"));
        invoke(g, "close");
        assertFalse(mutex.isLocked());
        assertEquals(0, lock.readHolds());
    }

    @Test
    void everyPublicGuardMethodIsDeclaredInAPublicClass() {
        for (Class<?> type : List.of(MutexGuard.class, ReadGuard.class, WriteGuard.class, UpgradableGuard.class)) {
            for (Method m : type.getMethods()) {
                assertTrue(Modifier.isPublic(m.getDeclaringClass().getModifiers()),
                        type.getSimpleName() + "." + m.getName() + " is declared in non-public " + m.getDeclaringClass());
            }
        }
    }
}
