/**
 * jcstress tests of the asynchronous front-end: the race between a release that grants a queued
 * asynchronous acquisition and a cancellation of that acquisition, through a {@code CompletableFuture}
 * and through the callback API. Run alone with
 *
 * <pre>{@code
 * scripts/java -jar tests/target/jcstress.jar -m quick -t 'jcstress.async'
 * }</pre>
 */
package dev.turnstile.lock.jcstress.async;
