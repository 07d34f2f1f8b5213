package dev.turnstile.lock.bench.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** Wait percentiles are taken over every acquisition, the ones that did not wait counting as 0. */
class RoundResultTest {
    @Test
    void acquisitionsThatDidNotWaitJoinThePopulationAsZeros() {
        Histogram timed = new Histogram(3);
        timed.recordValue(1_000);
        timed.recordValue(2_000);
        Histogram all = new Histogram(3);

        long waited = RoundResult.addAllAcquisitions(all, timed, 1_000);

        assertEquals(2, waited);
        assertEquals(1_000, all.getTotalCount(), "every completed acquisition is in the population");
        assertEquals(0, all.getValueAtPercentile(50));
        assertEquals(0, all.getValueAtPercentile(99.8), "998 of 1000 did not wait");
        assertEquals(2_000, all.getMaxValue(), 2_000 / 1000.0);
    }

    @Test
    void aContenderWhoseEveryAcquisitionWaitedKeepsItsWaits() {
        Histogram timed = new Histogram(3);
        for (int i = 1; i <= 100; i++) {
            timed.recordValue(i * 100L);
        }
        Histogram all = new Histogram(3);

        RoundResult.addAllAcquisitions(all, timed, 100);

        assertEquals(100, all.getTotalCount());
        assertEquals(5_000, all.getValueAtPercentile(50), 5_000 / 1000.0);
    }

    @Test
    void workersAddUpAcrossTheRound() {
        Histogram all = new Histogram(3);
        Histogram busy = new Histogram(3);
        busy.recordValueWithCount(10_000, 10);
        Histogram idle = new Histogram(3);

        long waited = RoundResult.addAllAcquisitions(all, busy, 20) + RoundResult.addAllAcquisitions(all, idle, 70);

        assertEquals(10, waited);
        assertEquals(90, all.getTotalCount());
        assertEquals(0, all.getValueAtPercentile(88), "80 of 90 acquisitions did not wait");
    }
}
