package dev.turnstile.lock.reactor;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * BlockHound is installed for every test of this module (blockhound-junit-platform). The only
 * blocking this module's tests do on purpose on a non-blocking thread is in the blocking-call rule's
 * own tests: the WARN-policy check must park a parallel-scheduler thread to show that it is counted,
 * and the STRICT check calls a blocking {@code lock()} there to show that it is refused (lock-core
 * spins before refusing, which BlockHound reports; see BlockingCallsTest). Those two test helpers are
 * allowed here; no library code is.
 */
public final class TestBlockHoundIntegration implements BlockHoundIntegration {
    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("dev.turnstile.lock.reactor.BlockingCallsTest", "parkOnPurpose");
        builder.allowBlockingCallsInside("dev.turnstile.lock.reactor.BlockingCallsTest", "refuseOnPurpose");
    }
}
