package dev.turnstile.lock.loom;

import java.lang.reflect.AnnotatedElement;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit 5 extension behind {@link FailOnPinning}: starts a {@link PinningRecorder} before each test
 * and, after it, fails the test with the pinning events' stack traces if any were recorded (under
 * the packages named by the nearest {@code @FailOnPinning}, or all of them when registered with
 * {@code @ExtendWith} alone or given no packages).
 *
 * <p>Tests that run concurrently in one JVM share JFR's view: a pin in one can fail another. Keep
 * pinning-checked tests in the same-thread execution mode (JUnit's default).
 */
public final class PinningCheckExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PinningCheckExtension.class);
    private static final String RECORDER = "recorder";

    /** Created by JUnit through {@link FailOnPinning} or {@code @ExtendWith}. */
    public PinningCheckExtension() {
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        context.getStore(NAMESPACE).put(RECORDER, PinningRecorder.start());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        PinningRecorder recorder = context.getStore(NAMESPACE).remove(RECORDER, PinningRecorder.class);
        if (recorder == null) {
            return;
        }
        String[] packages = packagesFor(context);
        PinningReport pins = recorder.stop().withFrameUnder(packages);
        if (!pins.isEmpty()) {
            String scope = packages.length == 0 ? "" : " with a frame under " + String.join(", ", packages);
            throw new AssertionError("virtual threads pinned their carrier during "
                    + context.getDisplayName() + scope + ": " + pins.describe());
        }
    }

    /** The packages of the nearest {@code @FailOnPinning}: the method's, else the class's (or an enclosing class's). */
    private static String[] packagesFor(ExtensionContext context) {
        Optional<FailOnPinning> onMethod = context.getTestMethod().flatMap(PinningCheckExtension::annotation);
        if (onMethod.isPresent()) {
            return onMethod.get().value();
        }
        for (Optional<Class<?>> type = context.getTestClass(); type.isPresent();
                type = Optional.ofNullable(type.get().getEnclosingClass())) {
            Optional<FailOnPinning> onType = annotation(type.get());
            if (onType.isPresent()) {
                return onType.get().value();
            }
        }
        return new String[0];
    }

    private static Optional<FailOnPinning> annotation(AnnotatedElement element) {
        return AnnotationSupport.findAnnotation(element, FailOnPinning.class);
    }
}
