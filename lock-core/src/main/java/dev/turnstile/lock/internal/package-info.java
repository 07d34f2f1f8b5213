/**
 * State shared by Turnstile's own packages. Not exported by the module and not an API: nothing here
 * is kept compatible from one release to the next.
 */
package dev.turnstile.lock.internal;
