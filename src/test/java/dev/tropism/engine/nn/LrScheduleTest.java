package dev.tropism.engine.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    @Test
    void linearWarmupThenCosineToTheFloor() {
        LrSchedule s = new LrSchedule(1.0, 4, 12, 0.1);
        // warmup: peak·(step+1)/warmup
        assertEquals(0.25, s.at(0), 1e-12);
        assertEquals(0.50, s.at(1), 1e-12);
        assertEquals(1.00, s.at(3), 1e-12);
        // cosine over steps 4..12: progress p = (step − 4)/8, lr = 0.1 + 0.5·(1 + cos πp)·0.9
        assertEquals(1.0, s.at(4), 1e-12); // p = 0
        assertEquals(0.1 + 0.45 * (1 + Math.cos(Math.PI / 4)), s.at(6), 1e-12); // p = 1/4: 0.8681980515
        assertEquals(0.8681980515, s.at(6), 1e-9);
        assertEquals(0.55, s.at(8), 1e-12); // p = 1/2
        assertEquals(0.1, s.at(12), 1e-12); // p = 1
        assertEquals(0.1, s.at(50), 1e-12); // clamped past the end
    }

    @Test
    void noWarmupStartsAtPeak() {
        LrSchedule s = new LrSchedule(3e-4, 0, 10, 0.0);
        assertEquals(3e-4, s.at(0), 1e-15);
        assertEquals(1.5e-4, s.at(5), 1e-15);
        assertEquals(0.0, s.at(10), 1e-15);
    }

    @Test
    void minRatioOneIsConstantAfterWarmup() {
        LrSchedule s = new LrSchedule(2e-3, 2, 100, 1.0);
        assertEquals(1e-3, s.at(0), 1e-15);
        for (int step : new int[] {2, 3, 50, 99, 100, 500}) {
            assertEquals(2e-3, s.at(step), 1e-15);
        }
    }

    @Test
    void warmupSpanningTheWholeRunStaysAtPeak() {
        LrSchedule s = new LrSchedule(1.0, 5, 5, 0.1);
        assertEquals(0.2, s.at(0), 1e-12);
        assertEquals(1.0, s.at(4), 1e-12);
        assertEquals(1.0, s.at(5), 1e-12);
    }
}
