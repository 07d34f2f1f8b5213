/**
 * Service interfaces that other modules implement to plug into Turnstile's core.
 */
package dev.turnstile.lock.spi;
