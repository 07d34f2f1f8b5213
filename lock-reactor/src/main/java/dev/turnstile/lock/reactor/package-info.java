/**
 * Project Reactor front-end ({@code Mono}/{@code Flux} acquisitions). Not implemented yet: it adapts
 * the core's callback waiter once the CompletableFuture front-end has landed.
 */
package dev.turnstile.lock.reactor;
