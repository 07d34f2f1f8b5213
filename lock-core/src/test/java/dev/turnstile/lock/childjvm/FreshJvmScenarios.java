package dev.turnstile.lock.childjvm;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.RwLock;
import java.util.concurrent.CompletableFuture;

/**
 * The child JVMs of {@code DiagnosticsInAFreshJvmTest}: one scenario per run, named by the argument.
 * In a package of its own: lock-core's packages belong to its module when it is on the module path.
 */
public final class FreshJvmScenarios {
    private FreshJvmScenarios() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "no-jfr" -> noJfr();
            case "contended" -> contended();
            case "statistics-by-default" -> statisticsByDefault();
            case "jfr-untouched" -> jfrUntouched();
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    private static void noJfr() throws Exception {
        if (ModuleLayer.boot().findModule("jdk.jfr").isPresent()) {
            throw new AssertionError("jdk.jfr is in this runtime");
        }
        if (!Mutex.class.getModule().isNamed()) {
            throw new AssertionError("lock-core is not a named module here");
        }
        Mutex<long[]> plain = Mutex.builder().name("plain").build(new long[1]);
        Mutex<long[]> stats = Mutex.builder().name("stats").statistics(true).build(new long[1]);
        contend(plain);
        contend(stats);
        if (stats.statistics().orElseThrow().acquisitions() != 2) {
            throw new AssertionError(stats.statistics());
        }
        System.out.println("no jdk.jfr; contended and statistics locks work");
    }

    private static void contended() throws Exception {
        contend(Mutex.builder().name("child-mutex").fairness(Fairness.FIFO).build(new long[1]));
        System.out.println("contended run done");
    }

    private static void jfrUntouched() throws Exception {
        contend(Mutex.builder().name("untouched").build(new long[1]));
        contend(Mutex.builder().name("untouched-stats").statistics(true).build(new long[1]));
        System.out.println("JFR initialized after contended locks: " + jdk.jfr.FlightRecorder.isInitialized());
    }

    private static void statisticsByDefault() {
        boolean mutex = new Mutex<>("v").statistics().isPresent();
        boolean rwlock = new RwLock<>("v").statistics().isPresent();
        boolean optedOut = Mutex.builder().statistics(false).build("v").statistics().isPresent();
        System.out.println("statistics by default: mutex " + mutex + ", rwlock " + rwlock + ", opted out " + optedOut);
    }

    /** One waiter queued behind a holder, then let in: one contended acquisition. */
    private static void contend(Mutex<long[]> m) throws Exception {
        MutexGuard<long[]> held = m.lock();
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            try (MutexGuard<long[]> g = m.lock()) {
                g.get()[0]++;
            }
        });
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (m.queueLength() == 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the waiter never queued");
            }
            Thread.onSpinWait();
        }
        held.close();
        waiter.join();
    }
}
