/**
 * Binds the statistics of Turnstile locks to a Micrometer {@code MeterRegistry}:
 * {@link dev.turnstile.lock.micrometer.LockMetrics}.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // micrometer-core has no module-info; its types are in our API
module dev.turnstile.lock.micrometer {
    requires transitive dev.turnstile.lock;
    requires transitive micrometer.core;

    exports dev.turnstile.lock.micrometer;
}
