package dev.chimney.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.chimney.runtime.IdleStrategy.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The idle strategies as state machines over given times (no clock, no timing assertions), and the loop carrying
 * out their steps.
 */
class IdleStrategyTest {

    @Test
    void backoffSpinsThenYieldsThenParksByTimeSinceTheIdlePeriodBegan() {
        IdleStrategy s = IdleStrategy.backoff(50, 200);
        long t0 = 1_000;
        assertEquals(Step.SPIN, s.idle(t0));
        assertEquals(Step.SPIN, s.idle(t0 + 49));
        assertEquals(Step.YIELD, s.idle(t0 + 50), "the spin window is [0, 50) ns");
        assertEquals(Step.YIELD, s.idle(t0 + 249));
        assertEquals(Step.PARK, s.idle(t0 + 250), "the yield window is [50, 250) ns");
        assertEquals(Step.PARK, s.idle(t0 + 1_000_000));
    }

    @Test
    void aTurnWithWorkStartsANewIdlePeriod() {
        IdleStrategy s = IdleStrategy.backoff(50, 200);
        s.idle(0);
        assertEquals(Step.PARK, s.idle(300));
        s.reset();
        assertEquals(Step.SPIN, s.idle(10_000), "after work the loop spins again, timed from the new period");
        assertEquals(Step.SPIN, s.idle(10_049));
        assertEquals(Step.YIELD, s.idle(10_050));
    }

    @Test
    void aParkThatEndsWithoutWorkStaysInThePark() {
        // A long-idle loop woken by its max-idle timeout (no work done) must not spin again: that would cost CPU
        // on every empty wake-up.
        IdleStrategy s = IdleStrategy.backoff(50, 200);
        s.idle(0);
        s.idle(250);
        for (long t = 100_000; t < 1_000_000; t += 100_000) {
            assertEquals(Step.PARK, s.idle(t));
        }
    }

    @Test
    void phasesNeverGoBackwardsWithinAPeriodEvenIfTheClockDoes() {
        BackoffIdleStrategy s = new BackoffIdleStrategy(50, 200);
        s.idle(1_000);
        s.idle(1_100);
        assertEquals(BackoffIdleStrategy.Phase.YIELDING, s.phase());
        assertEquals(Step.YIELD, s.idle(900), "an earlier time does not return to spinning");
        assertEquals(Step.PARK, s.idle(1_250));
        assertEquals(Step.PARK, s.idle(0));
    }

    @Test
    void parkParksAtOnceAndSpinNeverParks() {
        IdleStrategy park = IdleStrategy.park();
        assertEquals(Step.PARK, park.idle(0));
        park.reset();
        assertEquals(Step.PARK, park.idle(5));

        IdleStrategy spin = IdleStrategy.spin();
        assertEquals(Step.SPIN, spin.idle(0));
        assertEquals(Step.SPIN, spin.idle(Long.MAX_VALUE / 2), "no overflow with an unbounded spin window");
        assertEquals(Step.SPIN, spin.idle(Long.MAX_VALUE));
    }

    @Test
    void aZeroSpinWindowYieldsFirst() {
        IdleStrategy s = IdleStrategy.backoff(0, 100);
        assertEquals(Step.YIELD, s.idle(7));
        assertEquals(Step.PARK, s.idle(107));
    }

    @Test
    void settingsParseToTheNamedStrategies() {
        assertEquals("park", IdleStrategy.parse("park").toString());
        assertEquals("spin", IdleStrategy.parse(" SPIN ").toString());
        assertEquals("backoff:" + IdleStrategy.DEFAULT_SPIN_NS / 1000 + ":" + IdleStrategy.DEFAULT_YIELD_NS / 1000,
                IdleStrategy.parse("backoff").toString());
        IdleStrategy custom = IdleStrategy.parse("backoff:3:4");
        assertEquals("backoff:3:4", custom.toString());
        assertEquals(Step.SPIN, custom.idle(0));
        assertEquals(Step.YIELD, custom.idle(3_000));
        assertEquals(Step.PARK, custom.idle(7_000));
    }

    @Test
    void badSettingsAreRejectedWithTheAcceptedForms() {
        for (String bad : new String[] {"", "fast", "backoff:1", "backoff:-1:2", "backoff:a:b", "backoff:1:2:3",
                "backoff:99999999999:0"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IdleStrategy.parse(bad),
                    bad);
            assertTrue(e.getMessage().contains("park, spin, backoff"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> IdleStrategy.backoff(-1, 0));
    }

    @Test
    void theLoopCarriesOutEachStepAndParksOnlyWhenTheStrategySaysSo() throws Exception {
        // A scripted strategy: three spins, two yields, then park; the waiter counts the parks. The loop must
        // spin/yield without waiting, reset the strategy after the command's turn, and park in the IoWaiter.
        List<String> calls = new ArrayList<>();
        AtomicInteger idleCalls = new AtomicInteger();
        CountDownLatch parked = new CountDownLatch(1);
        IdleStrategy scripted = new IdleStrategy() {
            @Override
            public Step idle(long nowNs) {
                int n = idleCalls.getAndIncrement();
                synchronized (calls) {
                    calls.add("idle");
                }
                return n < 3 ? Step.SPIN : n < 5 ? Step.YIELD : Step.PARK;
            }

            @Override
            public void reset() {
                idleCalls.set(0);
                synchronized (calls) {
                    calls.add("reset");
                }
            }
        };
        EventLoop loop = new EventLoop("idle", Clock.system());
        ParkingWaiter delegate = new ParkingWaiter();
        AtomicInteger waits = new AtomicInteger();
        loop.ioWaiter(new IoWaiter() {
            @Override
            public void await(long timeoutNs) {
                waits.incrementAndGet();
                parked.countDown();
                delegate.await(timeoutNs);
            }

            @Override
            public void wakeup() {
                delegate.wakeup();
            }
        });
        loop.idleStrategy(scripted);
        try (LoopThread t = LoopThread.start(loop)) {
            assertTrue(parked.await(5, TimeUnit.SECONDS), "the loop parks once the strategy says PARK");
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (waits.get() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
        }
        assertTrue(waits.get() >= 2, "parked again after the command: " + waits.get());
        assertTrue(loop.idleSpins() >= 6 && loop.idleYields() >= 4,
                "3 spins and 2 yields per idle period, two periods: " + loop.idleSpins() + " / " + loop.idleYields());
        List<String> seen;
        synchronized (calls) {
            seen = List.copyOf(calls);
        }
        int firstPark = 6; // five idle calls that spin or yield, the sixth parks
        assertEquals(List.of("idle", "idle", "idle", "idle", "idle", "idle"), seen.subList(0, firstPark));
        assertTrue(seen.contains("reset"), "the command's turn resets the strategy: " + seen);
    }

    @Test
    void theStrategyCannotChangeOnceTheLoopRuns() throws Exception {
        EventLoop loop = new EventLoop("idle-set", Clock.system());
        try (LoopThread t = LoopThread.start(loop)) {
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(5, TimeUnit.SECONDS));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> loop.idleStrategy(IdleStrategy.park()));
            assertTrue(e.getMessage().contains("before it starts"), e.getMessage());
            assertEquals(IdleStrategy.defaultStrategy().toString(), loop.idleStrategy().toString(),
                    "a loop started without a strategy uses the default");
        }
    }
}
