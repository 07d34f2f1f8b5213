package dev.turnstile.lock.park;

import java.lang.invoke.MethodHandles;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;

/**
 * Turnstile's JFR events, and the only class of the core that names {@code jdk.jfr}. lock-core
 * {@code requires static jdk.jfr}: {@link Diagnostics} calls in here only after it found the module,
 * so the core runs on a runtime without it (a {@code jlink} image of {@code java.base} alone).
 *
 * <p>Events are passed around as {@code Object} so that no other class of the core refers to a JFR
 * type. Each check of whether an event is enabled first asks {@link FlightRecorder#isInitialized()}:
 * until some recording starts, JFR is not touched at all. The event types are then looked up once and
 * kept in volatile fields of objects created with this class, not in a holder class: a virtual thread
 * that waited for another thread's class initializer would pin its carrier, and the first contended
 * acquisitions after a recording starts may well be many virtual threads at once.
 */
final class JfrEvents {
    private static final LazyEventType CONTENDED = new LazyEventType(ContendedAcquisition.class);
    private static final LazyEventType LONG_HOLD = new LazyEventType(LongHold.class);

    private JfrEvents() {
    }

    /**
     * Initializes the event classes now, with the core's (see {@code EagerInit}): loading a JFR event
     * class does not start JFR, and no virtual thread waits for these initializers later.
     */
    static void prepare() {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            l.ensureInitialized(ContendedAcquisition.class);
            l.ensureInitialized(LongHold.class);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean contendedEnabled() {
        return CONTENDED.isEnabled();
    }

    static boolean longHoldEnabled() {
        return LONG_HOLD.isEnabled();
    }

    /**
     * An event class and its JFR type, looked up the first time it is asked for while JFR runs (a race
     * looks the same type up twice, harmlessly). Created with this class, so no virtual thread waits
     * for an initializer later.
     */
    private static final class LazyEventType {
        private final Class<? extends Event> eventClass;
        private volatile EventType type;

        LazyEventType(Class<? extends Event> eventClass) {
            this.eventClass = eventClass;
        }

        boolean isEnabled() {
            if (!FlightRecorder.isInitialized()) {
                return false;
            }
            EventType t = type;
            if (t == null) {
                type = t = EventType.getEventType(eventClass);
            }
            return t.isEnabled();
        }
    }

    /** A begun contended-acquisition event, or {@code null} if the event is disabled. */
    static Object beginContended() {
        if (!contendedEnabled()) {
            return null;
        }
        ContendedAcquisition e = new ContendedAcquisition();
        e.begin();
        return e;
    }

    static void endContended(Object event, RawLock lock, int mode, String waiterKind, String outcome) {
        ContendedAcquisition e = (ContendedAcquisition) event;
        e.end();
        if (e.shouldCommit()) {
            e.lockName = lock.config().name();
            e.lockClass = lock.getClass();
            e.lockIdentity = identity(lock);
            e.mode = lock.modeName(mode);
            e.waiterKind = waiterKind;
            e.outcome = outcome;
            e.commit();
        }
    }

    /**
     * The long-hold event of {@code lock}: one object that each exclusive hold begins and ends in turn
     * (JFR events may be reused; the holds of one lock never overlap), so timing holds allocates nothing.
     */
    static Object newHold(RawLock lock) {
        LongHold e = new LongHold();
        e.lockName = lock.config().name();
        e.lockClass = lock.getClass();
        e.lockIdentity = identity(lock);
        return e;
    }

    static void beginHold(Object event) {
        ((LongHold) event).begin();
    }

    static void endHold(Object event) {
        LongHold e = (LongHold) event;
        e.end();
        if (e.shouldCommit()) {
            e.commit();
        }
    }

    /** As in the locks' {@code toString()} and thread dumps: the identity hash in hex. */
    private static String identity(Object lock) {
        return Integer.toHexString(System.identityHashCode(lock));
    }

    @Name("dev.turnstile.ContendedAcquisition")
    @Label("Contended Lock Acquisition")
    @Category({"Turnstile", "Locks"})
    @Description("An acquisition of a Turnstile lock that found it unavailable: how long it waited and how it "
            + "ended. The event's duration is the wait; its thread is the waiter's, or for an asynchronous "
            + "waiter the thread that granted or withdrew it.")
    @Enabled(false) // only where asked for: a commit on a virtual thread may pin it while JFR finds a buffer
    @Threshold("20 ms")
    @StackTrace(true)
    static final class ContendedAcquisition extends Event {
        @Label("Lock Name")
        @Description("The name given to the lock's builder, or null")
        String lockName;

        @Label("Lock Class")
        Class<?> lockClass;

        @Label("Lock Identity")
        @Description("The lock's identity hash code in hex, as in its toString() when unnamed")
        String lockIdentity;

        @Label("Mode")
        @Description("What was acquired: exclusive (a Mutex), or read, recursive read, upgradable read, write, "
                + "upgrade (an RwLock)")
        String mode;

        @Label("Waiter Kind")
        @Description("platform thread, virtual thread, or async (a callback or future: no thread waited)")
        String waiterKind;

        @Label("Outcome")
        @Description("handed off (a release granted it the lock), won before queuing (it took the lock while "
                + "spinning or barging), won after wake-up (woken in place, it took the free lock), or, "
                + "without the lock: timed out, interrupted, cancelled")
        String outcome;
    }

    @Name("dev.turnstile.LongHold")
    @Label("Long Lock Hold")
    @Category({"Turnstile", "Locks"})
    @Description("An exclusive hold of a Turnstile lock (a Mutex, an RwLock's write lock) longer than the "
            + "threshold. The event's duration is the hold; its thread is the one that released. Holds are "
            + "timed on locks with statistics on, and on locks that have been contended since the event was "
            + "enabled: a lock nobody waited for is not timed.")
    @Enabled(false) // only where asked for: a commit on a virtual thread may pin it while JFR finds a buffer
    @Threshold("20 ms")
    @StackTrace(true)
    static final class LongHold extends Event {
        @Label("Lock Name")
        @Description("The name given to the lock's builder, or null")
        String lockName;

        @Label("Lock Class")
        Class<?> lockClass;

        @Label("Lock Identity")
        @Description("The lock's identity hash code in hex, as in its toString() when unnamed")
        String lockIdentity;
    }
}
