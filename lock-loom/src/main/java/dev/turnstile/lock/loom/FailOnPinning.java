package dev.turnstile.lock.loom;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fails a JUnit 5 test if a virtual thread pinned its carrier while the test ran (its
 * {@code @BeforeEach} and {@code @AfterEach} methods included), optionally counting only pins with
 * a stack frame under the given packages. On a class, applies to each of its tests; on a method,
 * overrides the class's settings. Pins while the JVM loads a class are ignored unless asked for.
 *
 * <pre>{@code
 * @FailOnPinning("dev.turnstile")
 * class VirtualThreadWorkloadTest {
 *     @Test
 *     void manyVirtualThreadsShareOneMutex() throws Exception { ... join every thread ... }
 * }
 * }</pre>
 *
 * <p>A test must wait for its virtual threads before it returns: a pin is reported when the pinned
 * wait ends. See {@link PinningRecorder} for what is recorded and {@link PinningCheckExtension} for
 * the mechanics.
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(PinningCheckExtension.class)
public @interface FailOnPinning {
    /**
     * Package prefixes (e.g. {@code "com.example"}); only pins with a frame under one of them fail
     * the test. Empty (the default): every pin fails it.
     *
     * @return the package prefixes whose pins fail the test, or none for every pin
     */
    String[] value() default {};

    /**
     * Whether to ignore pins recognizable as the JVM loading or initializing a class for a virtual
     * thread (see {@link PinnedEvent#duringClassLoading()}): a one-off JVM cost the first time many
     * virtual threads need a class at once, not something the code under test does. Default true.
     * Some such pins show no class-loader frame and are not recognized; warming the code path up
     * before the test (e.g. in {@code @BeforeAll}) avoids them.
     *
     * @return whether pins during class loading or initialization are ignored
     */
    boolean ignoreClassLoading() default true;
}
