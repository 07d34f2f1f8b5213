/**
 * jcstress tests of Turnstile's locks. They live in {@code src/main} because the jcstress harness
 * generates its runners from them at compile time; {@code mvn verify} shades them into
 * {@code tests/target/jcstress.jar} and runs it in sanity mode. A real hunt for rare outcomes:
 *
 * <pre>{@code
 * scripts/java -jar tests/target/jcstress.jar -m quick -t MutexMutualExclusion
 * }</pre>
 *
 * <p>Rules for tests here: an actor must never wait forever (a lost wake-up would hang the whole
 * run instead of failing it), so actors that can lose a race wait with {@code tryLock(Duration)} and
 * report a timeout as an outcome of its own.
 */
package dev.turnstile.lock.jcstress;
