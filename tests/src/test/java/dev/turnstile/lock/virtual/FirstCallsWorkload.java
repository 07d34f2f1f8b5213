package dev.turnstile.lock.virtual;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import dev.turnstile.lock.loom.PinProvoker;
import dev.turnstile.lock.loom.PinnedEvent;
import dev.turnstile.lock.loom.PinningRecorder;
import dev.turnstile.lock.loom.PinningReport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.function.Consumer;

/**
 * The child JVM of {@link FirstCallsInAFreshJvmNeverPinTest} (issue #8.10): in a JVM where no
 * Turnstile code has run yet, records JFR {@code jdk.VirtualThreadPinned} at threshold 0, creates the
 * locks on the main thread (as users do), then releases hundreds of virtual threads at once through a
 * latch into the FIRST call of every asynchronous and contended path. Before the fix, the virtual
 * threads that lost the race to initialize {@code LockFuture}, {@code AcquisitionFuture} or
 * {@code LockFuture$Timed} waited for another thread's class initializer and pinned their carriers
 * ("Waited for initialization of ... by another thread").
 *
 * <p>Prints one {@code LIBRARY_PINS=n} line (pins of the workload's threads with a frame in the
 * library's own packages, each described below it), one {@code OTHER_PINS=n} line (the rest, for
 * information) and one {@code CONTROL_PINS=n} line: a deliberate pin while waiting for a mutex (inside
 * a class initializer, {@link PinProvoker}) that proves the recording and the filter see such pins.
 * Exits with 0 once everything finished, 2 if the workload did not finish in time.
 *
 * <p>Everything the virtual threads run is created on the main thread first (lambdas included), so
 * that the only class initializations left for them are the library's.
 */
public final class FirstCallsWorkload {
    static final String LIBRARY_PINS = "LIBRARY_PINS=";
    static final String OTHER_PINS = "OTHER_PINS=";
    static final String CONTROL_PINS = "CONTROL_PINS=";
    static final String CONTROL_THREAD = "pin-control";

    /** The packages whose frames make a pin the library's: the core, not this probe nor lock-loom. */
    private static final Set<String> LIBRARY_PACKAGES = Set.of(
            "dev.turnstile.lock", "dev.turnstile.lock.park", "dev.turnstile.lock.spi");
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final Duration SHORT = Duration.ofMillis(20);
    private static final long BOUND_SECONDS = 60;

    // Continuations, created here (in the class initializer, on the main thread) so that no virtual
    // thread links a lambda call site of its own.
    private static final Consumer<MutexGuard<long[]>> CLOSE_MUTEX = MutexGuard::close;
    private static final Consumer<ReadGuard<long[]>> CLOSE_READ = ReadGuard::close;
    private static final Consumer<WriteGuard<long[]>> CLOSE_WRITE = WriteGuard::close;
    private static final Consumer<Condvar.Wakeup<long[]>> CLOSE_WAKEUP = w -> w.guard().close();
    private static final Executor DIRECT = Runnable::run;

    private final Mutex<long[]> mutex = new Mutex<>(new long[1]);
    private final Mutex<long[]> viewed = new Mutex<>(new long[1]);
    private final RwLock<long[]> rw = new RwLock<>(new long[1]);
    private final Mutex<long[]> monitor = new Mutex<>(new long[1]);
    private final Condvar condvar = new Condvar();
    private final AtomicInteger finished = new AtomicInteger();

    private FirstCallsWorkload() {
    }

    /**
     * Runs the workload and prints the report.
     *
     * @param args optional: the number of virtual threads per path (default 16)
     */
    public static void main(String[] args) throws Exception {
        int perPath = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        // This probe's own classes are initialized here, before any virtual thread needs them: a pin
        // while a virtual thread initializes them would be the probe's, not the library's.
        new Completing<>(null);
        warmUpLatches();
        PinningReport report;
        boolean completed;
        try (PinningRecorder recorder = PinningRecorder.start()) {
            FirstCallsWorkload workload = new FirstCallsWorkload();
            completed = workload.run(perPath);
            if (completed) {
                workload.provokeOnePinForControl();
            }
            report = recorder.stop();
        }
        List<PinnedEvent> library = new ArrayList<>();
        List<PinnedEvent> other = new ArrayList<>();
        List<PinnedEvent> control = new ArrayList<>();
        for (PinnedEvent event : report.events()) {
            boolean ours = event.stackTrace().stream().anyMatch(f -> isLibraryFrame(f.getClassName()));
            if (CONTROL_THREAD.equals(event.threadName())) {
                (ours ? control : other).add(event);
            } else {
                (ours ? library : other).add(event);
            }
        }
        print(LIBRARY_PINS, library);
        print(OTHER_PINS, other);
        print(CONTROL_PINS, control);
        System.out.flush();
        System.exit(completed ? 0 : 2);
    }

    /** A first blocking wait on a latch, so the workload's own start gate pins nothing (AQS node classes). */
    private static void warmUpLatches() throws InterruptedException {
        CountDownLatch gate = new CountDownLatch(1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        while (waiter.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        gate.countDown();
        waiter.join();
    }

    private static void print(String label, List<PinnedEvent> events) {
        System.out.println(label + events.size());
        for (PinnedEvent event : events) {
            System.out.println(new PinningReport(List.of(event)).describe());
        }
    }

    static boolean isLibraryFrame(String className) {
        int dot = className.lastIndexOf('.');
        return dot > 0 && LIBRARY_PACKAGES.contains(className.substring(0, dot));
    }

    /** The paths, each a first call the virtual threads make at once; held locks make them contend. */
    private List<Runnable> paths() {
        return List.of(
                // asynchronous, Mutex
                () -> mutex.lockAsync().thenAccept(CLOSE_MUTEX).join(),
                () -> mutex.lockAsync(DIRECT).thenAccept(CLOSE_MUTEX).join(),
                () -> mutex.tryLockAsync(LONG).thenAccept(CLOSE_MUTEX).join(),
                () -> mutex.tryLockAsync(SHORT).handle(FirstCallsWorkload::closeIfGranted).join(),
                () -> mutex.tryLockAsync(LONG, DIRECT).thenAccept(CLOSE_MUTEX).join(),
                () -> mutex.withLockAsync(FirstCallsWorkload::completedBody).join(),
                this::mutexCallback,
                // asynchronous, RwLock
                () -> rw.readAsync().thenAccept(CLOSE_READ).join(),
                () -> rw.writeAsync().thenAccept(CLOSE_WRITE).join(),
                () -> rw.readAsync(DIRECT).thenAccept(CLOSE_READ).join(),
                () -> rw.withReadAsync(FirstCallsWorkload::completedBody).join(),
                () -> rw.withWriteAsync(FirstCallsWorkload::completedBody).join(),
                () -> rw.upgradableReadAsync().thenCompose(FirstCallsWorkload::upgradeAsync)
                        .thenAccept(CLOSE_WRITE).join(),
                this::rwCallbacks,
                // asynchronous, Condvar
                () -> condvar.awaitAsync(monitor.lock()).thenAccept(CLOSE_MUTEX).join(),
                () -> condvar.awaitAsync(monitor.lock(), SHORT).thenAccept(CLOSE_WAKEUP).join(),
                () -> condvar.awaitAsync(monitor.lock(), LONG).thenAccept(CLOSE_WAKEUP).join(),
                // blocking, contended
                () -> mutex.lock().close(),
                () -> mutex.tryLock(LONG).orElseThrow().close(),
                () -> rw.read().close(),
                () -> rw.write().close(),
                () -> rw.tryRead(LONG).orElseThrow().close(),
                () -> rw.upgradableRead().upgrade().close(),
                this::condvarAwait,
                this::lockView);
    }

    private void mutexCallback() {
        CompletableFuture<MutexGuard<long[]>> done = new CompletableFuture<>();
        mutex.lockAsync(new Completing<>(done), DIRECT);
        done.thenAccept(CLOSE_MUTEX).join();
    }

    private void rwCallbacks() {
        CompletableFuture<ReadGuard<long[]>> read = new CompletableFuture<>();
        rw.readAsync(new Completing<>(read), DIRECT);
        read.thenAccept(CLOSE_READ).join();
        CompletableFuture<WriteGuard<long[]>> write = new CompletableFuture<>();
        rw.writeAsync(new Completing<>(write), DIRECT);
        write.thenAccept(CLOSE_WRITE).join();
        // new-api-begin (callback-level upgradable read and upgrade, added with the issue #8 fixes)
        CompletableFuture<UpgradableGuard<long[]>> upgradable = new CompletableFuture<>();
        rw.upgradableReadAsync(new Completing<>(upgradable), DIRECT);
        UpgradableGuard<long[]> u = upgradable.join();
        CompletableFuture<WriteGuard<long[]>> upgraded = new CompletableFuture<>();
        u.upgradeAsync(new Completing<>(upgraded), DIRECT);
        upgraded.thenAccept(CLOSE_WRITE).join();
        // new-api-end
    }

    private void condvarAwait() {
        try (MutexGuard<long[]> g = monitor.lock()) {
            condvar.await(g, SHORT);
            condvar.awaitUninterruptibly(g);
        } catch (InterruptedException e) {
            throw new AssertionError("nobody interrupts the workload", e);
        }
        // new-api-begin (callback-level condvar awaits, added with the issue #8 fixes)
        CompletableFuture<MutexGuard<long[]>> woken = new CompletableFuture<>();
        condvar.awaitAsync(monitor.lock(), new Completing<>(woken), DIRECT);
        woken.thenAccept(CLOSE_MUTEX).join();
        CompletableFuture<Condvar.Wakeup<long[]>> timed = new CompletableFuture<>();
        condvar.awaitAsync(monitor.lock(), SHORT, new Completing<>(timed), null);
        timed.thenAccept(CLOSE_WAKEUP).join();
        // new-api-end
    }

    private void lockView() {
        Lock lock = viewed.asLock();
        lock.lock();
        try {
            Condition condition = lock.newCondition();
            condition.await(1, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException("nobody interrupts this workload", e);
        } finally {
            lock.unlock();
        }
        try {
            if (lock.tryLock(LONG.toMillis(), TimeUnit.MILLISECONDS)) {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            throw new IllegalStateException("nobody interrupts this workload", e);
        }
    }

    private static CompletableFuture<WriteGuard<long[]>> upgradeAsync(UpgradableGuard<long[]> u) {
        return u.upgradeAsync();
    }

    private static CompletableFuture<Integer> completedBody(Object guard) {
        return CompletableFuture.completedFuture(1);
    }

    private static Void closeIfGranted(MutexGuard<long[]> guard, Throwable timedOut) {
        if (guard != null) {
            guard.close();
        }
        return null;
    }

    /**
     * Starts {@code perPath} virtual threads per path, holds every lock while they are released at
     * once, so that their first calls contend, then lets them through.
     *
     * @return whether every virtual thread finished within the bound
     */
    private boolean run(int perPath) throws InterruptedException {
        List<Runnable> paths = paths();
        int threads = paths.size() * perPath;
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> started = new ArrayList<>(threads);
        List<Throwable> failures = new ArrayList<>();
        MutexGuard<long[]> mutexHeld = mutex.lock();
        MutexGuard<long[]> viewedHeld = viewed.lock();
        WriteGuard<long[]> rwHeld = rw.write();
        for (int i = 0; i < threads; i++) {
            Runnable path = paths.get(i % paths.size());
            started.add(Thread.ofVirtual().start(() -> {
                ready.countDown();
                try {
                    go.await();
                    path.run();
                } catch (Throwable t) {
                    synchronized (failures) {
                        failures.add(t);
                    }
                } finally {
                    finished.incrementAndGet();
                }
            }));
        }
        ready.await();
        go.countDown();
        // Let the first calls pile up on the held locks (bounded), then let everybody through.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() - until < 0 && mutex.queueLength() + rw.queueLength() < threads / 3) {
            Thread.onSpinWait();
        }
        rwHeld.close();
        mutexHeld.close();
        viewedHeld.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (finished.get() < threads && System.nanoTime() - deadline < 0) {
            condvar.notifyAllWaiters(); // untimed condvar waits need notifications; they may come late
            Thread.sleep(1);
        }
        for (Thread t : started) {
            t.join(TimeUnit.SECONDS.toMillis(1));
        }
        synchronized (failures) {
            for (Throwable t : failures) {
                System.out.println("FAILURE " + t);
            }
            return finished.get() == threads && failures.isEmpty();
        }
    }

    /** A virtual thread that waits for a held mutex inside a class initializer: a pin we must see. */
    private void provokeOnePinForControl() throws InterruptedException {
        Mutex<String> held = new Mutex<>("control");
        MutexGuard<String> guard = held.lock();
        Thread pinned = Thread.ofVirtual().name(CONTROL_THREAD)
                .start(() -> PinProvoker.runPinned(() -> held.lock().close()));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
        while (held.queueLength() == 0 && System.nanoTime() - until < 0) {
            Thread.sleep(1);
        }
        guard.close();
        pinned.join();
    }

    /** Completes a future with the guard, or with the failure; the callback level's adapter. */
    private static final class Completing<G> implements LockCallback<G> {
        private final CompletableFuture<G> target;

        Completing(CompletableFuture<G> target) {
            this.target = target;
        }

        @Override
        public void onLocked(G guard) {
            target.complete(guard);
        }

        @Override
        public void onFailed(Throwable cause) {
            target.completeExceptionally(cause);
        }
    }
}
