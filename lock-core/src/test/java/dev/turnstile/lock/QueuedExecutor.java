package dev.turnstile.lock;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/** An executor that only queues its tasks until the test runs them, so a test decides when a delivery lands. */
final class QueuedExecutor implements Executor {
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable task) {
        tasks.add(task);
    }

    int pending() {
        return tasks.size();
    }

    /** Runs every queued task, including those queued while running, on the calling thread. */
    int runAll() {
        int ran = 0;
        for (Runnable t; (t = tasks.poll()) != null; ran++) {
            t.run();
        }
        return ran;
    }
}
