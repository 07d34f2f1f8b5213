package dev.turnstile.lock.vertx;

import io.vertx.core.AbstractVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Test helpers: contexts of each threading model, and running code on them. */
final class Contexts {
    static final Duration WAIT = Duration.ofSeconds(20);

    private Contexts() {
    }

    /** The context of a fresh verticle deployed with {@code model}. */
    static Context deploy(Vertx vertx, ThreadingModel model) throws Exception {
        CompletableFuture<Context> started = new CompletableFuture<>();
        vertx.deployVerticle(new AbstractVerticle() {
            @Override
            public void start() {
                started.complete(context);
            }
        }, new DeploymentOptions().setThreadingModel(model)).toCompletionStage().toCompletableFuture()
                .get(WAIT.toSeconds(), TimeUnit.SECONDS);
        return started.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Runs {@code action} on {@code context} and returns what it returned. */
    static <T> T on(Context context, Supplier<T> action) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(v -> {
            try {
                result.complete(action.get());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        return get(result);
    }

    static <T> T get(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    static <T> T get(io.vertx.core.Future<T> future) throws Exception {
        return get(future.toCompletionStage().toCompletableFuture());
    }
}
