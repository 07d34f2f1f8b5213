package com.example.app;

import dev.turnstile.lock.BlockingCalls;
import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.reactor.ReactorLocks;
import dev.turnstile.lock.vertx.VertxLocks;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import reactor.core.scheduler.Schedulers;

/** A user's application: every check throws on failure; the last line printed is "OK <mode>". */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        String mode = Main.class.getModule().isNamed() ? "module path" : "class path";

        // Introspection through the public types only.
        Mutex<List<String>> names = Mutex.builder().fairness(Fairness.FIFO).name("names").build(new ArrayList<>(List.of("ada")));
        check(names.fairness() == Fairness.FIFO, "fairness()");
        check("names".equals(names.name()), "name()");
        check(!names.isLocked() && names.queueLength() == 0 && !names.hasQueuedWaiters(), "queue introspection");
        names.withLockDo(List::clear);
        check(names.withLock(List::size) == 0, "withLockDo(List::clear)");
        RwLock<Map<String, Integer>> prices = new RwLock<>(new HashMap<>(Map.of("tea", 3)));
        check(prices.fairness() == Fairness.EVENTUAL && prices.readHolds() == 0, "RwLock introspection");
        Condvar changed = new Condvar();
        check(!changed.hasWaiters() && changed.waiterCount() == 0, "Condvar introspection");

        // Reflection from outside the library, as EL and Jackson do.
        try (ReadGuard<Map<String, Integer>> r = prices.read()) {
            check(r.getClass().getMethod("get").invoke(r) == r.get(), "reflective ReadGuard.get()");
        }

        // The exported SPI: a lock type of our own on the parking core.
        Permits permits = new Permits(2);
        permits.acquire();
        permits.acquire();
        check(!permits.tryAcquire() && permits.waiting() == 0, "Permits: two of two taken");
        permits.release();
        check(permits.tryAcquire(), "Permits: a released permit is taken again");

        // The front-ends.
        try (MutexGuard<List<String>> g = ReactorLocks.lock(names).block()) {
            g.get().add("reactor");
        }
        try (MutexGuard<List<String>> g = VertxLocks.lock(names).toCompletionStage().toCompletableFuture().join()) {
            g.get().add("vertx");
        }
        check(names.withLock(List::copyOf).equals(List.of("reactor", "vertx")), "front-ends");

        // The detectors, found by ServiceLoader (provides ... with ... on the module path,
        // META-INF/services on the class path): strict mode refuses to park their threads.
        BlockingCalls.setPolicy(BlockingCalls.Policy.STRICT);
        try (MutexGuard<List<String>> held = names.lock()) {
            check(refusal(names, task -> Schedulers.parallel().schedule(task)).contains("Reactor"), "Reactor detector");
            Vertx vertx = Vertx.vertx();
            try {
                check(refusal(names, task -> vertx.runOnContext(v -> task.run())).contains("event-loop"), "Vert.x detector");
            } finally {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            BlockingCalls.setPolicy(BlockingCalls.Policy.WARN);
        }

        // lock-loom's JUnit extension, run as a build tool would run it.
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(DiscoverySelectors.selectClass(PinningCheckedTest.class)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        check(summary.getTestsSucceededCount() == 1, "@FailOnPinning passes a test that does not pin: " + failures(summary));
        check(summary.getTestsFailedCount() == 1
                && summary.getFailures().get(0).getTestIdentifier().getDisplayName().startsWith("aProvokedPin")
                && summary.getFailures().get(0).getException().getMessage().contains("pinned"),
                "@FailOnPinning fails a test that pins: " + failures(summary));

        System.out.println("OK " + mode);
    }

    /** Runs {@code names.lock()} through {@code on} and returns the message it was refused with. */
    private static String refusal(Mutex<List<String>> names, java.util.function.Consumer<Runnable> on) {
        CompletableFuture<String> message = new CompletableFuture<>();
        on.accept(() -> {
            try {
                names.lock().close();
                message.complete("not refused");
            } catch (IllegalStateException refused) {
                message.complete(refused.getMessage());
            }
        });
        return message.join();
    }

    private static String failures(TestExecutionSummary summary) {
        StringBuilder b = new StringBuilder();
        summary.getFailures().forEach(f -> b.append(f.getTestIdentifier().getDisplayName()).append(": ")
                .append(f.getException()).append("; "));
        return b.toString();
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("failed: " + what);
        }
    }
}
