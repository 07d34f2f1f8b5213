/** Internals of the Vert.x front-end: the event-loop detector service. Not exported. */
package dev.turnstile.lock.vertx.internal;
