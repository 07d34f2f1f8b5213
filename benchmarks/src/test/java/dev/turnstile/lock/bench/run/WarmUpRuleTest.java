package dev.turnstile.lock.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.bench.run.WarmUpRule.State;
import org.junit.jupiter.api.Test;

class WarmUpRuleTest {
    private static final long MS = 1_000_000;
    /** At least 3 rounds and 100 ms, level within 10 %, at most 1 s. */
    private final WarmUpRule rule = new WarmUpRule(3, 100 * MS, 1_000 * MS, 0.10);

    @Test
    void levelQuietRoundsAfterTheMinimumAreSteady() {
        assertEquals(State.STEADY, rule.after(new double[] {500, 950, 1000}, 150 * MS, true));
    }

    @Test
    void fewerRoundsThanTheMinimumContinueHoweverLevel() {
        assertEquals(State.CONTINUE, rule.after(new double[] {1000, 1000}, 150 * MS, true));
    }

    @Test
    void lessTimeThanTheMinimumContinues() {
        assertEquals(State.CONTINUE, rule.after(new double[] {1000, 1000, 1000}, 50 * MS, true));
    }

    @Test
    void aRoundMoreThanTheToleranceAwayFromTheLastContinues() {
        assertEquals(State.CONTINUE, rule.after(new double[] {500, 800, 1000}, 150 * MS, true));
    }

    @Test
    void aRoundDuringWhichTheJitCompiledIsNotSteady() {
        assertEquals(State.CONTINUE, rule.after(new double[] {1000, 1000, 1000}, 150 * MS, false));
    }

    @Test
    void theCapEndsAWarmUpThatNeverSettles() {
        assertEquals(State.CAPPED, rule.after(new double[] {100, 1000, 100, 1000}, 1_000 * MS, true));
        assertEquals(State.CAPPED, rule.after(new double[] {1000, 1000, 1000}, 1_200 * MS, false));
    }

    @Test
    void steadyWinsOverTheCapWhenBothHold() {
        assertEquals(State.STEADY, rule.after(new double[] {1000, 1000, 1000}, 1_200 * MS, true));
    }

    @Test
    void levelIsRelativeToTheLargerThroughput() {
        assertTrue(rule.level(900, 1000));
        assertTrue(rule.level(1000, 900));
        assertFalse(rule.level(899, 1000));
        assertTrue(rule.level(0, 0));
    }

    @Test
    void jitQuietMeansCompilingForAtMostTwoPercentOfTheRound() {
        assertTrue(WarmUpRule.jitQuiet(0, 100 * MS));
        assertTrue(WarmUpRule.jitQuiet(2 * MS, 100 * MS));
        assertFalse(WarmUpRule.jitQuiet(3 * MS, 100 * MS));
    }

    @Test
    void theDescriptionStatesEveryNumber() {
        String d = rule.describe();
        for (String part : new String[] {"3 rounds", "100 ms", "10%", "2%", "1000 ms", "warm-up capped"}) {
            assertTrue(d.contains(part), d + " mentions " + part);
        }
    }

    @Test
    void nonsenseRulesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new WarmUpRule(1, 0, 0, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new WarmUpRule(2, 10, 5, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new WarmUpRule(2, 0, 5, 0));
        assertThrows(IllegalArgumentException.class, () -> new WarmUpRule(2, 0, 5, 1));
    }
}
