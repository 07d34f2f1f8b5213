/** Internals of the Vert.x front-end: the event-loop detector service and the context-local slot of the lock owner. Not exported. */
package dev.turnstile.lock.vertx.internal;
