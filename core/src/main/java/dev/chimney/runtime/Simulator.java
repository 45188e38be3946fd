package dev.chimney.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Runs many event loops (hosts, targets, links, scripted peers) on one virtual timeline. Loops run in the order
 * they were added, time jumps straight to the next event, and all randomness comes from {@link #random()}, so a
 * run replays exactly from its seed.
 *
 * <p>Loops created here rethrow handler exceptions (wrapped with the seed and virtual time), so a test fails at
 * the first bug and prints what it needs to replay. A run that keeps the clock at one instant for
 * {@link #DEFAULT_MAX_STEPS_PER_INSTANT} rounds is a livelock (e.g. a timer re-arming itself at now) and fails
 * the same way.
 */
public final class Simulator {
    /** Rounds allowed without virtual time moving before the run is declared a livelock. */
    public static final int DEFAULT_MAX_STEPS_PER_INSTANT = 100_000;

    private final VirtualClock clock = new VirtualClock();
    private final SeededRandom random;
    private final List<EventLoop> loops = new ArrayList<>();
    private long lastInstantNs = Long.MIN_VALUE;
    private int stepsAtInstant;
    private int maxStepsPerInstant = DEFAULT_MAX_STEPS_PER_INSTANT;
    private long steps;

    public Simulator(long seed) {
        this.random = new SeededRandom(seed);
    }

    public VirtualClock clock() {
        return clock;
    }

    public long nowNs() {
        return clock.nanoTime();
    }

    public SeededRandom random() {
        return random;
    }

    public long seed() {
        return random.seed();
    }

    /** Creates a loop on this simulator's clock. */
    public EventLoop newLoop(String name) {
        EventLoop loop = new EventLoop(name, clock);
        loop.errorHandler((l, where, error) -> {
            throw new SimulationException("loop " + l.name() + ": " + where + " threw at t=" + clock.nanoTime()
                    + "ns (replay with seed " + seed() + ")", error);
        });
        loops.add(loop);
        return loop;
    }

    /** Sets how many rounds may run without virtual time moving before the run fails as a livelock. */
    public void maxStepsPerInstant(int rounds) {
        if (rounds <= 0) {
            throw new IllegalArgumentException("maxStepsPerInstant must be positive, got " + rounds);
        }
        this.maxStepsPerInstant = rounds;
    }

    /** The loops in run order. */
    public List<EventLoop> loops() {
        return List.copyOf(loops);
    }

    /** Rounds run so far. */
    public long steps() {
        return steps;
    }

    /** A failure inside a simulated loop, carrying the seed and virtual time in its message. */
    public static final class SimulationException extends RuntimeException {
        public SimulationException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Runs turns until {@code done} is true or virtual time would pass {@code deadlineNs}.
     *
     * @return true if the condition became true
     */
    public boolean runUntil(BooleanSupplier done, long deadlineNs) {
        while (!done.getAsBoolean()) {
            if (!step(deadlineNs)) {
                return done.getAsBoolean();
            }
        }
        return true;
    }

    /** Runs everything due in the next {@code durationNs} of virtual time, then leaves the clock at its end. */
    public void runFor(long durationNs) {
        long end = clock.nanoTime() + durationNs;
        while (step(end)) {
            // keep going
        }
        clock.advanceTo(Math.max(end, clock.nanoTime()));
    }

    /**
     * Runs one round: every loop turns once if any has work now; otherwise the clock jumps to the next event.
     *
     * @return false if nothing is due at or before {@code deadlineNs}
     */
    public boolean step(long deadlineNs) {
        long next = Long.MAX_VALUE;
        for (int i = 0; i < loops.size(); i++) {
            next = Math.min(next, loops.get(i).nextWakeupNs());
        }
        if (next > deadlineNs) {
            return false;
        }
        if (next > clock.nanoTime()) {
            clock.advanceTo(next);
        }
        long now = clock.nanoTime();
        if (now != lastInstantNs) {
            lastInstantNs = now;
            stepsAtInstant = 0;
        } else if (++stepsAtInstant >= maxStepsPerInstant) {
            throw new SimulationException("livelock: " + stepsAtInstant + " rounds without virtual time moving at t="
                    + now + "ns (a loop always reports work due now; replay with seed " + seed() + ")", null);
        }
        steps++;
        for (int i = 0; i < loops.size(); i++) {
            loops.get(i).runOnce();
        }
        return true;
    }
}
