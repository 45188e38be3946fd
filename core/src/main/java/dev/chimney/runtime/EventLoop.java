package dev.chimney.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One event loop: the single owner of the state registered on it. A turn ({@link #runOnce}) drains the command
 * queue, polls every registered {@link Pollable} (receive batches, protocol input), fires due timers, then runs
 * the flush hooks (transmit batching). Other threads talk to the loop only through {@link #execute}.
 */
public final class EventLoop {
    /** Most frames or timers handled per pollable per turn, so one busy source cannot starve the others. */
    public static final int DEFAULT_BUDGET = 64;

    private final String name;
    private final Clock clock;
    private final TimerWheel timers = new TimerWheel();
    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final List<Pollable> pollables = new ArrayList<>();
    private final List<Runnable> flushHooks = new ArrayList<>();
    private long turns;

    public EventLoop(String name, Clock clock) {
        this.name = name;
        this.clock = clock;
    }

    public String name() {
        return name;
    }

    public Clock clock() {
        return clock;
    }

    public long nowNs() {
        return clock.nanoTime();
    }

    public TimerWheel timers() {
        return timers;
    }

    /** Queues a command to run on this loop's next turn. Safe from any thread. */
    public void execute(Runnable command) {
        commands.add(command);
    }

    /** Registers work polled on every turn (call from the loop's own thread or before it starts). */
    public void register(Pollable pollable) {
        pollables.add(pollable);
    }

    /** Registers an action run at the end of each turn (e.g. flush batched transmits). */
    public void onFlush(Runnable hook) {
        flushHooks.add(hook);
    }

    /** Runs one turn at the clock's current time. Returns the amount of work done. */
    public int runOnce() {
        long now = clock.nanoTime();
        int work = 0;
        for (int i = 0; i < DEFAULT_BUDGET; i++) {
            Runnable c = commands.poll();
            if (c == null) {
                break;
            }
            c.run();
            work++;
        }
        for (int i = 0; i < pollables.size(); i++) {
            work += pollables.get(i).poll(now, DEFAULT_BUDGET);
        }
        work += timers.poll(now, Integer.MAX_VALUE);
        for (int i = 0; i < flushHooks.size(); i++) {
            flushHooks.get(i).run();
        }
        turns++;
        return work;
    }

    /** Earliest time this loop has work: now if commands are queued, else the first timer or pollable event. */
    public long nextWakeupNs() {
        if (!commands.isEmpty()) {
            return clock.nanoTime();
        }
        long t = timers.nextDeadlineNs();
        for (int i = 0; i < pollables.size(); i++) {
            t = Math.min(t, pollables.get(i).nextWorkNs());
        }
        return t;
    }

    public long turns() {
        return turns;
    }
}
