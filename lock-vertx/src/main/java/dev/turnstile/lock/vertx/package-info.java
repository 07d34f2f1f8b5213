/**
 * The Vert.x front-end: {@link dev.turnstile.lock.vertx.VertxLocks} acquires Turnstile locks as
 * {@code io.vertx.core.Future}s completed on the caller's context, and
 * {@link dev.turnstile.lock.vertx.LocalLocks} is a drop-in for the local locks of
 * {@code SharedData}, with typed locks on the same names.
 */
package dev.turnstile.lock.vertx;
