// Compiled only for the module-path run; the class-path run compiles the same classes without it.
module com.example.app {
    requires dev.turnstile.lock.reactor;   // and, transitively, dev.turnstile.lock and reactor.core
    requires dev.turnstile.lock.vertx;     // and io.vertx.core
    requires dev.turnstile.lock.loom;      // and, statically, JUnit's API
    requires org.junit.jupiter.api;
    requires org.junit.platform.launcher;

    opens com.example.app to org.junit.platform.commons;   // JUnit instantiates PinningCheckedTest
}
