package dev.chimney.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Runs many event loops (hosts, targets, links, scripted peers) on one virtual timeline. Loops run in the order
 * they were added, time jumps straight to the next event, and all randomness comes from {@link #random()}, so a
 * run replays exactly from its seed.
 */
public final class Simulator {
    private final VirtualClock clock = new VirtualClock();
    private final SeededRandom random;
    private final List<EventLoop> loops = new ArrayList<>();

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
        loops.add(loop);
        return loop;
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

    /** Runs everything due up to and including {@code deadlineNs}, then leaves the clock there. */
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
        for (int i = 0; i < loops.size(); i++) {
            loops.get(i).runOnce();
        }
        return true;
    }
}
