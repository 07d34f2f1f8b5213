package dev.turnstile.lock.loom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * Runs small test classes through the JUnit engine and checks which ones {@link FailOnPinning}
 * fails. The fixtures are static nested classes, which surefire does not pick up on its own.
 */
class PinningCheckExtensionTest {

    @Test
    void aTestWhoseVirtualThreadPinsUnderTheCheckedPackageFailsWithTheStack() {
        List<Throwable> failures = failuresOf(PinsUnderTheCheckedPackage.class);
        assertEquals(1, failures.size());
        String message = failures.get(0).getMessage();
        assertTrue(message.contains("pinned their carrier"), message);
        assertTrue(message.contains("<clinit>"), message);
    }

    @Test
    void aPinWithNoFrameUnderTheCheckedPackagesDoesNotFailTheTest() {
        assertEquals(List.of(), failuresOf(PinsOutsideTheCheckedPackages.class));
    }

    @Test
    void withoutPackagesEveryPinFailsTheTest() {
        assertEquals(1, failuresOf(PinsWithNoPackageFilter.class).size());
    }

    @Test
    void theMethodsPackagesOverrideTheClasss() {
        assertEquals(1, failuresOf(MethodNarrowsTheClassFilter.class).size());
    }

    @Test
    void virtualThreadsThatOnlyParkPass() {
        assertEquals(List.of(), failuresOf(OnlyParks.class));
    }

    private static List<Throwable> failuresOf(Class<?> fixture) {
        Events tests = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(fixture))
                .execute()
                .testEvents();
        assertEquals(1, tests.started().count(), "the fixture has one test");
        return tests.failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class).getThrowable().orElseThrow())
                .toList();
    }

    static class PinsUnderTheCheckedPackage {
        @Test
        @FailOnPinning("dev.turnstile.lock.loom")
        void pins() throws InterruptedException {
            KnownPins.pinOneVirtualThread();
        }
    }

    @FailOnPinning("com.example.unrelated")
    static class PinsOutsideTheCheckedPackages {
        @Test
        void pins() throws InterruptedException {
            KnownPins.pinOneVirtualThread();
        }
    }

    @FailOnPinning
    static class PinsWithNoPackageFilter {
        @Test
        void pins() throws InterruptedException {
            KnownPins.pinOneVirtualThread();
        }
    }

    @FailOnPinning("com.example.unrelated")
    static class MethodNarrowsTheClassFilter {
        @Test
        @FailOnPinning("dev.turnstile")
        void pins() throws InterruptedException {
            KnownPins.pinOneVirtualThread();
        }
    }

    @FailOnPinning
    static class OnlyParks {
        @Test
        void parks() throws InterruptedException {
            CountDownLatch started = new CountDownLatch(8);
            List<Thread> threads = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                threads.add(Thread.ofVirtual().start(() -> {
                    started.countDown();
                    LockSupport.parkNanos(1_000_000);
                }));
            }
            started.await();
            for (Thread thread : threads) {
                thread.join();
            }
        }
    }
}
