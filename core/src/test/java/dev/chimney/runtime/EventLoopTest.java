package dev.chimney.runtime;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLoopTest {
    private final VirtualClock clock = new VirtualClock(1_000);
    private final EventLoop loop = new EventLoop("test", clock);
    private final List<String> trace = new ArrayList<>();

    @Test
    void aTurnRunsCommandsThenPollablesThenTimersThenFlush() {
        loop.onFlush(() -> trace.add("flush"));
        loop.register(new Pollable() {
            @Override
            public int poll(long nowNs, int budget) {
                trace.add("poll@" + nowNs);
                return 0;
            }
        });
        loop.timers().schedule(Timer.of(() -> trace.add("timer")), 1_000);
        loop.execute(() -> trace.add("command"));
        int work = loop.runOnce();
        assertEquals(List.of("command", "poll@1000", "timer", "flush"), trace);
        assertEquals(2, work, "one command and one timer");
        assertEquals(1, loop.turns());
    }

    @Test
    void commandQueuedByACommandRunsInTheSameTurnWithinBudget() {
        loop.execute(() -> {
            trace.add("first");
            loop.execute(() -> trace.add("second"));
        });
        loop.runOnce();
        assertEquals(List.of("first", "second"), trace);
    }

    @Test
    void commandsBeyondTheBudgetWaitForTheNextTurn() {
        for (int i = 0; i < EventLoop.DEFAULT_BUDGET + 5; i++) {
            loop.execute(() -> trace.add("c"));
        }
        assertEquals(EventLoop.DEFAULT_BUDGET, loop.runOnce());
        assertEquals(clock.nanoTime(), loop.nextWakeupNs(), "queued commands mean work now");
        assertEquals(5, loop.runOnce());
        assertEquals(Long.MAX_VALUE, loop.nextWakeupNs());
    }

    /** The receive budget per pollable per turn is a setting (a TAP loop drains larger batches); commands keep 64. */
    @Test
    void pollablesGetTheConfiguredBudgetAndCommandsKeepTheirs() {
        int[] backlog = {3000};
        List<Integer> budgets = new java.util.ArrayList<>();
        loop.register((now, budget) -> {
            budgets.add(budget);
            int n = Math.min(budget, backlog[0]);
            backlog[0] -= n;
            return n;
        });
        assertEquals(EventLoop.DEFAULT_BUDGET, loop.pollBudget());
        assertEquals(EventLoop.DEFAULT_BUDGET, loop.runOnce(), "64 frames by default");
        loop.pollBudget(1024);
        for (int i = 0; i < EventLoop.DEFAULT_BUDGET + 5; i++) {
            loop.execute(() -> trace.add("c"));
        }
        assertEquals(EventLoop.DEFAULT_BUDGET + 1024, loop.runOnce(), "64 commands, then a batch of 1024 frames");
        assertEquals(5 + 1024, loop.runOnce());
        assertEquals(3000 - 64 - 2048, backlog[0]);
        assertEquals(List.of(64, 1024, 1024), budgets);
        assertThrows(IllegalArgumentException.class, () -> loop.pollBudget(0));
    }

    @Test
    void timerReArmedFromItsOwnCallbackFiresAgain() {
        Timer[] self = new Timer[1];
        self[0] = new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                trace.add("fire@" + nowNs);
                if (trace.size() < 3) {
                    loop.timers().schedule(this, nowNs + 100);
                }
            }
        };
        loop.timers().schedule(self[0], 1_000);
        for (int i = 0; i < 5; i++) {
            loop.runOnce();
            clock.advanceTo(Math.min(loop.nextWakeupNs(), clock.nanoTime() + 1_000));
        }
        assertEquals(List.of("fire@1000", "fire@1100", "fire@1200"), trace);
        assertFalse(self[0].isArmed());
    }

    @Test
    void timerCancelledByAnotherTimersCallbackInTheSamePollDoesNotFire() {
        Timer victim = Timer.of(() -> trace.add("victim"));
        Timer killer = Timer.of(() -> {
            trace.add("killer");
            loop.timers().cancel(victim);
        });
        loop.timers().schedule(killer, 900);
        loop.timers().schedule(victim, 950);
        loop.runOnce();
        assertEquals(List.of("killer"), trace);
        assertEquals(0, loop.timers().size());
    }

    @Test
    void equalDeadlinesFireInArmingOrderAndReArmMovesToTheBack() {
        Timer a = Timer.of(() -> trace.add("a"));
        Timer b = Timer.of(() -> trace.add("b"));
        Timer c = Timer.of(() -> trace.add("c"));
        loop.timers().schedule(a, 500);
        loop.timers().schedule(b, 500);
        loop.timers().schedule(c, 500);
        loop.timers().schedule(a, 500); // re-arm: a new arming, so a now comes after c
        loop.runOnce();
        assertEquals(List.of("b", "c", "a"), trace);
    }

    @Test
    void aTimerBelongsToOneWheelAtATime() {
        Timer t = Timer.of(() -> { });
        loop.timers().schedule(t, 5_000);
        TimerQueue other = new TimerQueue();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> other.schedule(t, 1));
        assertTrue(e.getMessage().contains("cancel it there first"), e.getMessage());
        loop.timers().cancel(t);
        other.schedule(t, 1);
        assertTrue(t.isArmed());
    }

    @Test
    void failingHandlersAreCountedAndTheLoopKeepsGoing() {
        List<String> errors = new ArrayList<>();
        loop.errorHandler((l, where, error) -> errors.add(where + ":" + error.getMessage()));
        loop.execute(() -> {
            throw new IllegalStateException("bad command");
        });
        loop.execute(() -> trace.add("good command"));
        loop.register((nowNs, budget) -> {
            throw new IllegalArgumentException("bad pollable");
        });
        loop.timers().schedule(Timer.of(() -> {
            throw new RuntimeException("bad timer");
        }), 0);
        loop.timers().schedule(Timer.of(() -> trace.add("good timer")), 1);
        loop.onFlush(() -> {
            throw new RuntimeException("bad flush");
        });
        loop.onFlush(() -> trace.add("good flush"));
        loop.runOnce();
        assertEquals(List.of("good command", "good timer", "good flush"), trace);
        assertEquals(List.of("command:bad command", "pollable:bad pollable", "timer:bad timer", "flush:bad flush"),
                errors);
        assertEquals(4, loop.errors());
    }

    @Test
    void nextWakeupIsTheEarliestOfTimersAndPollables() {
        loop.timers().schedule(Timer.of(() -> { }), 9_000);
        assertEquals(9_000, loop.nextWakeupNs());
        loop.register(new Pollable() {
            @Override
            public int poll(long nowNs, int budget) {
                return 0;
            }

            @Override
            public long nextWorkNs() {
                return 4_000;
            }
        });
        assertEquals(4_000, loop.nextWakeupNs());
    }
}
