package dev.turnstile.lock.bench.jmh;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.reactor.ReactorLocks;
import java.util.function.Function;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.GraphLayout;
import org.openjdk.jol.vm.VM;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * Bytes per queued Reactor subscriber, measured with JOL as in {@link AsyncFootprint}: a mutex is
 * held, {@link #WAITERS} subscriptions queue, and the mutex's object graph is compared with the
 * same mutex, queue allocated, before they subscribed. The subscriber itself is one shared,
 * stateless object, so the figure is what the adapter and lock-core add per waiting subscription
 * (lock-core's queue node and the adapter's subscription object); a user's own subscriber (a
 * {@code LambdaMonoSubscriber} from {@code subscribe(consumer)}, 40 B or so) comes on top.
 *
 * <pre>{@code
 * scripts/java -Djdk.attach.allowAttachSelf=true -Djol.magicFieldOffset=true \
 *     -cp benchmarks/target/benchmarks.jar dev.turnstile.lock.bench.jmh.ReactorFootprint
 * }</pre>
 */
public final class ReactorFootprint {
    static final int WAITERS = 1000;

    private ReactorFootprint() {
    }

    /** Requests at once and ignores everything: one instance serves every subscription. */
    private static final class Requester implements CoreSubscriber<Object> {
        @Override
        public void onSubscribe(Subscription s) {
            s.request(1);
        }

        @Override
        public void onNext(Object o) {
            if (o instanceof MutexGuard<?> g) {
                g.close();
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }
    }

    public static void main(String[] args) {
        System.out.println(VM.current().details());
        System.out.printf("%-66s %8s%n", "per queued subscriber", "bytes");
        perWaiter("ReactorLocks.lock(mutex): subscription + queue node", ReactorLocks::lock);
        perWaiter("ReactorLocks.withLock(mutex, body): scope + queue node",
                m -> ReactorLocks.withLock(m, g -> Mono.just(1)));
        perWaiter("Mono.fromFuture(mutex.lockAsync()): operator + future view + node",
                m -> Mono.defer(() -> Mono.fromFuture(m.lockAsync())));
        System.out.printf("%-66s %8d%n", "reference: a LambdaMonoSubscriber (subscribe(consumer), shallow)",
                ClassLayout.parseClass(classOf("reactor.core.publisher.LambdaMonoSubscriber")).instanceSize());
    }

    private static Class<?> classOf(String name) {
        try {
            return Class.forName(name);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void perWaiter(String what, Function<Mutex<Object>, Mono<?>> assemble) {
        Mutex<Object> mutex = new Mutex<>(null);
        MutexGuard<Object> held = mutex.lock();
        mutex.lockAsync().cancel(false); // allocate the queue, so only waiters differ
        Mono<?> mono = assemble.apply(mutex);
        Requester requester = new Requester();
        long before = GraphLayout.parseInstance(mutex, requester).totalSize();
        for (int i = 0; i < WAITERS; i++) {
            mono.subscribe(requester);
        }
        if (mutex.queueLength() != WAITERS) {
            throw new IllegalStateException("expected " + WAITERS + " queued, found " + mutex.queueLength());
        }
        long after = GraphLayout.parseInstance(mutex, requester).totalSize();
        System.out.printf("%-66s %8.1f%n", what, (after - before) / (double) WAITERS);
        held.close();
    }
}
