package dev.chimney.runtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatorTest {
    private static final long SEED = 42;
    private static final long S = 1_000_000_000L;

    @Test
    void timeJumpsStraightToTheNextTimer() {
        Simulator sim = new Simulator(SEED);
        EventLoop loop = sim.newLoop("a");
        List<Long> fired = new ArrayList<>();
        loop.timers().schedule(Timer.of(() -> fired.add(sim.nowNs())), 5 * S);
        assertTrue(sim.runUntil(() -> !fired.isEmpty(), 10 * S));
        assertEquals(List.of(5 * S), fired);
        assertEquals(5 * S, sim.nowNs());
        assertTrue(sim.steps() <= 2, "one jump, not five billion ticks: " + sim.steps());
    }

    @Test
    void runUntilGivesUpAtTheDeadlineWithoutPassingIt() {
        Simulator sim = new Simulator(SEED);
        EventLoop loop = sim.newLoop("a");
        loop.timers().schedule(Timer.of(() -> { }), 20 * S);
        assertFalse(sim.runUntil(() -> false, 10 * S));
        assertTrue(sim.nowNs() <= 10 * S);
        assertEquals(1, loop.timers().size(), "the later timer has not fired");
    }

    @Test
    void runForRunsEverythingDueAndLeavesTheClockAtTheEnd() {
        Simulator sim = new Simulator(SEED);
        EventLoop loop = sim.newLoop("a");
        int[] count = {0};
        Timer periodic = new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                count[0]++;
                loop.timers().schedule(this, nowNs + S);
            }
        };
        loop.timers().schedule(periodic, S);
        sim.runFor(10 * S);
        assertEquals(10, count[0], "fires at 1..10 s inclusive");
        assertEquals(10 * S, sim.nowNs());
    }

    @Test
    void loopsRunInCreationOrderEachRound() {
        Simulator sim = new Simulator(SEED);
        List<String> order = new ArrayList<>();
        EventLoop b = sim.newLoop("first");
        EventLoop a = sim.newLoop("second");
        a.execute(() -> order.add("second"));
        b.execute(() -> order.add("first"));
        sim.step(Long.MAX_VALUE);
        assertEquals(List.of("first", "second"), order);
    }

    @Test
    void sameSeedSameTraceDifferentSeedDifferentTrace() {
        assertEquals(trace(7), trace(7));
        assertNotEquals(trace(7), trace(8));
    }

    private List<String> trace(long seed) {
        Simulator sim = new Simulator(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            EventLoop loop = sim.newLoop("n" + i);
            SeededRandom r = sim.random().fork("n" + i);
            Timer t = new Timer() {
                @Override
                protected void onExpired(long nowNs) {
                    out.add(loop.name() + "@" + nowNs);
                    loop.timers().schedule(this, nowNs + 1 + r.nextLong(1_000_000));
                }
            };
            loop.timers().schedule(t, r.nextLong(1_000_000));
        }
        sim.runFor(20_000_000);
        return out;
    }

    @Test
    void aHandlerFailureStopsTheRunWithTheSeedInTheMessage() {
        Simulator sim = new Simulator(1234);
        EventLoop loop = sim.newLoop("host");
        loop.timers().schedule(Timer.of(() -> {
            throw new IllegalStateException("invariant broken");
        }), 3 * S);
        Simulator.SimulationException e = assertThrows(Simulator.SimulationException.class,
                () -> sim.runFor(10 * S));
        assertTrue(e.getMessage().contains("seed 1234") && e.getMessage().contains("t=" + 3 * S), e.getMessage());
        assertEquals("invariant broken", e.getCause().getMessage());
    }

    @Test
    void aLivelockIsDetectedInsteadOfHanging() {
        Simulator sim = new Simulator(SEED);
        sim.maxStepsPerInstant(1_000);
        EventLoop loop = sim.newLoop("spin");
        Timer spin = new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                loop.timers().schedule(this, nowNs); // bug: re-arms at now forever
            }
        };
        loop.timers().schedule(spin, 0);
        Simulator.SimulationException e = assertThrows(Simulator.SimulationException.class,
                () -> sim.runFor(S));
        assertTrue(e.getMessage().contains("livelock"), e.getMessage());
    }

    @Test
    void virtualClockNeverGoesBackwards() {
        VirtualClock c = new VirtualClock(10);
        assertThrows(IllegalArgumentException.class, () -> c.advanceTo(9));
        assertThrows(IllegalArgumentException.class, () -> c.advanceBy(-1));
        c.advanceBy(5);
        assertEquals(15, c.nanoTime());
    }

    @Test
    void forkedStreamsDependOnlyOnSeedAndLabel() {
        SeededRandom root = new SeededRandom(99);
        SeededRandom x1 = root.fork("x");
        root.nextLong(); // drawing from the parent does not change what a fork sees
        SeededRandom x2 = root.fork("x");
        assertEquals(x1.nextLong(), x2.nextLong());
        assertNotEquals(root.fork("x").seed(), root.fork("y").seed());
        assertFalse(new SeededRandom(1).chance(0.0));
        assertTrue(new SeededRandom(1).chance(1.0));
    }
}
