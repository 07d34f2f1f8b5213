package dev.turnstile.lock.vertx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The verticle example of the README, compiled and run. */
@ExtendWith(VertxExtension.class)
class ReadmeExampleTest {

    public static class Stock extends VerticleBase {
        static final Mutex<Map<String, Integer>> STOCK = new Mutex<>(new HashMap<>());  // shared by every instance

        @Override
        public Future<?> start() {
            vertx.eventBus().<String>consumer("reserve", msg ->
                    VertxLocks.withLock(STOCK, g -> {                  // released when the body's future completes
                        int left = g.get().merge(msg.body(), -1, Integer::sum);
                        return Future.succeededFuture(left);
                    }).onSuccess(msg::reply));
            return Future.succeededFuture();
        }
    }

    /** The virtual-thread half of the example. */
    public static class Restock extends VerticleBase {
        @Override
        public Future<?> start() {
            try (MutexGuard<Map<String, Integer>> g = Future.await(VertxLocks.tryLock(Stock.STOCK, Duration.ofSeconds(1)))) {
                g.get().put("tea", 10);
            }
            return Future.succeededFuture();
        }
    }

    @Test
    void fourStockInstancesAndAVirtualThreadRestock(Vertx vertx) throws Exception {
        Contexts.get(vertx.deployVerticle(Restock::new,
                new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD).setInstances(1)));
        Contexts.get(vertx.deployVerticle(Stock::new, new DeploymentOptions().setInstances(4)));
        List<Future<?>> replies = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            replies.add(vertx.eventBus().request("reserve", "tea"));
        }
        Contexts.get(Future.all(replies));
        assertEquals(0, (int) Stock.STOCK.<Integer>withLock(m -> m.get("tea")));
    }
}
