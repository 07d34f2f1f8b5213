package dev.turnstile.lock.bench;

import java.util.List;

/**
 * A contention level of matklad's lock-bench: how many locks the workers pick from at random. With
 * 32 workers, two locks is a brawl and a million is nearly no contention at all.
 *
 * @param name  the name used on the command line and in reports
 * @param locks N
 */
public record Regime(String name, int locks) {
    /** The four regimes of the original benchmark. */
    public static final List<Regime> STANDARD = List.of(
            new Regime("extreme", 2), new Regime("heavy", 64), new Regime("light", 1_000), new Regime("none", 1_000_000));

    /** A standard regime by name, or {@code name=N} for a custom one. */
    public static Regime parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq > 0) {
            int n = Integer.parseInt(spec.substring(eq + 1));
            if (n < 1) {
                throw new IllegalArgumentException("a regime needs at least one lock: " + spec);
            }
            return new Regime(spec.substring(0, eq), n);
        }
        return STANDARD.stream().filter(r -> r.name.equals(spec)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown regime '" + spec
                        + "' (extreme, heavy, light, none, or name=N)"));
    }
}
