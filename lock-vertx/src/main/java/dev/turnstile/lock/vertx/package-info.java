/**
 * Vert.x front-end ({@code Future} acquisitions resumed on the caller's context). Not implemented
 * yet: it adapts the core's callback waiter once the CompletableFuture front-end has landed.
 */
package dev.turnstile.lock.vertx;
