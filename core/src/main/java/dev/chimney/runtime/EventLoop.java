package dev.chimney.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One event loop: the single owner of the state registered on it. A turn ({@link #runOnce}) reads the clock once,
 * then
 * <ol>
 *   <li>drains the command queue (up to a budget),</li>
 *   <li>polls every registered {@link Pollable} in registration order (receive batches, protocol input),</li>
 *   <li>fires due timers (up to a budget),</li>
 *   <li>runs the flush hooks (transmit batching).</li>
 * </ol>
 * Other threads talk to the loop only through {@link #execute}. The loop is driven either by the {@link Simulator}
 * (virtual time) or on its own platform thread by {@link #runUntilStopped()} / {@link LoopThread}, which, when idle,
 * spins and yields for a short while ({@link IdleStrategy}) and then sleeps in an {@link IoWaiter} until the next
 * deadline, a command, or I/O.
 *
 * <p>Errors: an exception from a command, pollable, timer or hook is counted ({@link #errors()}) and passed to the
 * {@link LoopErrorHandler} (default: log and continue, so one bad handler never kills the loop).
 *
 * <p>The command queue is intrusive: a {@link LoopCommand} is its own queue node, so a reused command (a blocking
 * socket call's operation) is queued without allocating; a plain {@link Runnable} costs one small wrapper. Producers
 * push onto a lock-free stack; the loop takes the whole stack at once and reverses it, so commands run in the order
 * they were submitted. Meant for control-plane commands (offload requests, socket calls), not per-packet traffic.
 *
 * <p>Stopping: {@link #stop()} ends {@link #runUntilStopped()} after its current turn; the loop then runs its
 * {@link #onStop stop hooks} on its own thread (e.g. the socket layer wakes every blocked caller) and rejects the
 * commands still queued. From then on {@link #isTerminated()} is true and every command submitted is rejected: a
 * {@link LoopCommand} hears {@link LoopCommand#onRejected}, a plain runnable is refused with a {@link
 * RejectedExecutionException}. Nobody waits forever on a loop that will never run again.
 */
public final class EventLoop {
    /** Most frames or commands handled per pollable / queue per turn, so one busy source cannot starve the others. */
    public static final int DEFAULT_BUDGET = 64;
    /** Most timers fired per turn; more due timers fire on the next turn (which is immediate). */
    public static final int DEFAULT_TIMER_BUDGET = 4096;
    /** Longest an idle thread-driven loop sleeps without a deadline, so a lost I/O readiness costs at most this. */
    public static final long DEFAULT_MAX_IDLE_NS = 100_000_000L;

    private final String name;
    private final Clock clock;
    private final TimerQueue timers = new TimerQueue();
    /** Commands submitted and not yet taken by the loop, newest first (a Treiber stack). */
    private final AtomicReference<LoopCommand> inbox = new AtomicReference<>();
    /** Commands taken from the inbox, oldest first, not yet run (loop-owned). */
    private LoopCommand batch;
    private final List<Runnable> stopHooks = new CopyOnWriteArrayList<>();
    private volatile boolean terminated;
    private final List<Pollable> pollables = new ArrayList<>();
    private final List<Runnable> flushHooks = new ArrayList<>();
    private LoopErrorHandler errorHandler = LoopErrorHandler.LOG;
    private volatile IoWaiter waiter;
    private volatile boolean stopRequested;
    private volatile Thread runningThread;
    private long maxIdleNs = DEFAULT_MAX_IDLE_NS;
    private IdleStrategy idleStrategy;
    private int pollBudget = DEFAULT_BUDGET;
    private long idleSpins;
    private long idleYields;
    private long idleParks;
    private long turns;
    private long errors;

    public EventLoop(String name, Clock clock) {
        this.name = Objects.requireNonNull(name, "name");
        this.clock = Objects.requireNonNull(clock, "clock");
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

    public TimerQueue timers() {
        return timers;
    }

    /**
     * Queues a command to run on this loop's next turn, and wakes the loop if it is waiting. Safe from any thread.
     * A {@link LoopCommand} is queued without allocating; once the loop has stopped it is rejected through {@link
     * LoopCommand#onRejected} (never thrown at the caller).
     *
     * @throws RejectedExecutionException if {@code command} is a plain runnable and the loop has stopped (it will
     *                                    never run)
     * @throws IllegalStateException      if {@code command} is a {@link LoopCommand} that is already queued
     */
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "command");
        LoopCommand c;
        if (command instanceof LoopCommand lc) {
            if (lc.queued) {
                throw new IllegalStateException("command " + lc + " is already queued on loop " + name
                        + "; submit a LoopCommand again only after it ran");
            }
            c = lc;
        } else {
            if (terminated) {
                throw stoppedException();
            }
            c = new LoopCommand.Wrapped(command);
        }
        c.queued = true;
        LoopCommand head;
        do {
            head = inbox.get();
            c.next = head;
        } while (!inbox.compareAndSet(head, c));
        // Dekker with terminate(): it sets terminated, then empties the inbox. Either it sees our command, or we see
        // terminated here and empty the inbox ourselves; getAndSet hands each command to exactly one of us.
        if (terminated) {
            boolean ours = rejectAll(reverse(inbox.getAndSet(null)), c);
            if (ours && c instanceof LoopCommand.Wrapped) {
                throw stoppedException();
            }
        }
        wakeup();
    }

    /**
     * Makes the loop's current or next idle wait return at once, so it runs a turn and asks its pollables again when
     * they next have work. For sources another thread fills without a command: a cross-loop frame ring
     * ({@code dev.chimney.link.LoopBridge}) calls it when the frame it queued may find the loop idle. Safe from any
     * thread and cheap when the loop is busy; a no-op under the simulator and before the loop runs on a thread (its
     * first turn polls everything anyway).
     */
    public void wakeup() {
        IoWaiter w = waiter;
        if (w != null) {
            w.wakeup();
        }
    }

    private RejectedExecutionException stoppedException() {
        return new RejectedExecutionException("event loop " + name + " was stopped (the network stack is shut "
                + "down); nothing submitted to it runs any more");
    }

    /** Reverses a stack-ordered chain of commands into submission order. */
    private static LoopCommand reverse(LoopCommand head) {
        LoopCommand prev = null;
        while (head != null) {
            LoopCommand n = head.next;
            head.next = prev;
            prev = head;
            head = n;
        }
        return prev;
    }

    /** Rejects every command of a chain; returns whether {@code watch} was among them. */
    private boolean rejectAll(LoopCommand chain, LoopCommand watch) {
        boolean seen = false;
        while (chain != null) {
            LoopCommand c = chain;
            chain = c.next;
            c.next = null;
            c.queued = false;
            seen |= c == watch;
            try {
                c.onRejected(stoppedException());
            } catch (Throwable t) {
                LoopErrorHandler.LOG.onError(this, "rejected command", t); // any thread: not the loop's counters
            }
        }
        return seen;
    }

    /**
     * Registers an action run once on the loop's own thread when {@link #runUntilStopped()} ends (after the last
     * turn, before the queued commands are rejected): the place to fail whatever waits for this loop. Safe from any
     * thread; hooks run in registration order and an exception from one is reported, not propagated.
     */
    public void onStop(Runnable hook) {
        stopHooks.add(Objects.requireNonNull(hook, "hook"));
    }

    /** True once {@link #stop()} was called (the loop may still be finishing its last turn). */
    public boolean isStopped() {
        return stopRequested;
    }

    /** True once a stopped loop ran its stop hooks: from then on every command submitted is rejected. */
    public boolean isTerminated() {
        return terminated;
    }

    /** Registers work polled on every turn (call from the loop's own thread or before it starts). */
    public void register(Pollable pollable) {
        pollables.add(Objects.requireNonNull(pollable, "pollable"));
    }

    /** Removes a registered pollable (from the loop's own thread); returns whether it was registered. */
    public boolean unregister(Pollable pollable) {
        return pollables.remove(pollable);
    }

    /** Registers an action run at the end of each turn (e.g. flush batched transmits). */
    public void onFlush(Runnable hook) {
        flushHooks.add(Objects.requireNonNull(hook, "hook"));
    }

    /** Sets how handler exceptions are reported (call before the loop runs). */
    public void errorHandler(LoopErrorHandler handler) {
        this.errorHandler = Objects.requireNonNull(handler, "handler (use LoopErrorHandler.LOG)");
    }

    /**
     * Sets how the idle loop waits when it runs on its own thread (call before {@link #runUntilStopped}); for example
     * a TAP device's poll(2)-based waiter. Defaults to a {@link ParkingWaiter}.
     */
    public void ioWaiter(IoWaiter waiter) {
        if (runningThread != null) {
            throw new IllegalStateException("set the IoWaiter of loop " + name + " before it starts running");
        }
        this.waiter = Objects.requireNonNull(waiter, "waiter");
    }

    /**
     * Sets what the loop does between turns that found no work when it runs on its own thread (call before {@link
     * #runUntilStopped}); defaults to {@link IdleStrategy#defaultStrategy()}. A strategy keeps state: give each loop
     * its own instance.
     */
    public void idleStrategy(IdleStrategy strategy) {
        if (runningThread != null) {
            throw new IllegalStateException("set the IdleStrategy of loop " + name + " before it starts running");
        }
        this.idleStrategy = Objects.requireNonNull(strategy, "strategy (use IdleStrategy.park() to always park)");
    }

    /** The idle strategy in use (the default one once the loop started without one set), or null before that. */
    public IdleStrategy idleStrategy() {
        return idleStrategy;
    }

    /** Idle turns followed by a spin, a yield and a park (wait in the {@link IoWaiter}), since the loop started. */
    public long idleSpins() {
        return idleSpins;
    }

    /** See {@link #idleSpins()}. */
    public long idleYields() {
        return idleYields;
    }

    /** See {@link #idleSpins()}. */
    public long idleParks() {
        return idleParks;
    }

    /**
     * Most units of work (received frames) each pollable does per turn, default {@value #DEFAULT_BUDGET}: between two
     * batches the loop runs commands, timers and flush hooks, so a smaller budget interleaves them more finely and a
     * larger one drains a busy device with fewer turns.
     */
    public void pollBudget(int frames) {
        if (frames < 1) {
            throw new IllegalArgumentException("poll budget must be at least 1, got " + frames);
        }
        this.pollBudget = frames;
    }

    public int pollBudget() {
        return pollBudget;
    }

    /** Upper bound on one idle wait without any deadline (default 100 ms). */
    public void maxIdleNs(long maxIdleNs) {
        if (maxIdleNs <= 0) {
            throw new IllegalArgumentException("maxIdleNs must be positive, got " + maxIdleNs);
        }
        this.maxIdleNs = maxIdleNs;
    }

    /** Runs one turn at the clock's current time. Returns the amount of work done. */
    public int runOnce() {
        long now = clock.nanoTime();
        int work = 0;
        for (int i = 0; i < DEFAULT_BUDGET; i++) {
            LoopCommand c = batch;
            if (c == null) {
                c = reverse(inbox.getAndSet(null));
                if (c == null) {
                    break;
                }
            }
            batch = c.next;
            c.next = null;
            c.queued = false; // before it runs: a command may resubmit itself (or its caller may, once woken)
            work++;
            try {
                c.run();
            } catch (Throwable t) {
                failed("command", t);
            }
        }
        for (int i = 0; i < pollables.size(); i++) {
            try {
                work += pollables.get(i).poll(now, pollBudget);
            } catch (Throwable t) {
                work++;
                failed("pollable", t);
            }
        }
        long firedBefore = timers.firedTotal();
        while (timers.firedTotal() - firedBefore < DEFAULT_TIMER_BUDGET) {
            try {
                timers.poll(now, DEFAULT_TIMER_BUDGET - (int) (timers.firedTotal() - firedBefore));
                break;
            } catch (Throwable t) {
                failed("timer", t);
            }
        }
        work += (int) (timers.firedTotal() - firedBefore);
        for (int i = 0; i < flushHooks.size(); i++) {
            try {
                flushHooks.get(i).run();
            } catch (Throwable t) {
                failed("flush", t);
            }
        }
        turns++;
        return work;
    }

    private void failed(String where, Throwable t) {
        errors++;
        errorHandler.onError(this, where, t);
    }

    /** Earliest time this loop has work: now if commands are queued, else the first timer or pollable event. */
    public long nextWakeupNs() {
        if (batch != null || inbox.get() != null) {
            return clock.nanoTime();
        }
        long t = timers.nextDeadlineNs();
        for (int i = 0; i < pollables.size(); i++) {
            t = Math.min(t, pollables.get(i).nextWorkNs());
        }
        return t;
    }

    /**
     * Runs turns on the calling thread until {@link #stop()}: busy while there is work; when a turn finds none, the
     * {@link IdleStrategy} decides whether to spin, yield or wait in the {@link IoWaiter} until the next wakeup time
     * (at most {@link #maxIdleNs}). Use with a real clock; under the
     * simulator drive loops with {@link Simulator} instead. When it ends (stop, or an exception escaping the error
     * handler) the loop terminates: stop hooks run, then commands still queued are rejected (see the class comment).
     */
    public void runUntilStopped() {
        synchronized (this) {
            if (runningThread != null) {
                throw new IllegalStateException("loop " + name + " is already running on " + runningThread.getName()
                        + "; a loop has exactly one owner thread");
            }
            runningThread = Thread.currentThread();
        }
        if (waiter == null) {
            waiter = new ParkingWaiter();
        }
        if (idleStrategy == null) {
            idleStrategy = IdleStrategy.defaultStrategy();
        }
        IdleStrategy idle = idleStrategy;
        try {
            while (!stopRequested) {
                if (runOnce() > 0) {
                    idle.reset();
                    continue;
                }
                // Now is read after the next-work times: a source that reports work "now" from its own clock
                // reading (queued commands, a cross-loop frame ring) is then due, not a few ns in the future
                // (a futile park of a few ns, which timer slack can stretch to tens of microseconds).
                long nextNs = nextWakeupNs();
                long nowNs = clock.nanoTime();
                if (nextNs <= nowNs) {
                    continue;
                }
                switch (idle.idle(nowNs)) {
                    case SPIN -> {
                        idleSpins++;
                        Thread.onSpinWait();
                    }
                    case YIELD -> {
                        idleYields++;
                        Thread.yield();
                    }
                    case PARK -> {
                        idleParks++;
                        long timeoutNs = nextNs == Long.MAX_VALUE ? maxIdleNs
                                : Math.min(nextNs - nowNs, maxIdleNs);
                        if (!stopRequested) {
                            waiter.await(timeoutNs);
                        }
                    }
                }
            }
        } finally {
            terminate();
            synchronized (this) {
                runningThread = null;
            }
        }
    }

    /** On the loop's thread, after its last turn: no command runs again; wake whoever waits for one. */
    private void terminate() {
        stopRequested = true;
        terminated = true;
        for (Runnable hook : stopHooks) {
            try {
                hook.run();
            } catch (Throwable t) {
                LoopErrorHandler.LOG.onError(this, "stop hook", t); // must not stop the other hooks
            }
        }
        LoopCommand pending = batch;
        batch = null;
        rejectAll(pending, null);
        rejectAll(reverse(inbox.getAndSet(null)), null);
    }

    /**
     * Asks {@link #runUntilStopped()} to return after the current turn. Safe from any thread, also before the loop
     * started (it then returns at once). Final: a stopped loop does not run on a thread again.
     */
    public void stop() {
        stopRequested = true;
        wakeup();
    }

    /**
     * True while a thread runs this loop ({@link #runUntilStopped()}, e.g. through a {@link LoopThread}); false
     * before that, once it ended, and always under the simulator (which turns loops itself). Blocking socket calls
     * need it true: someone must run the loop to complete them.
     */
    public boolean isRunning() {
        return runningThread != null;
    }

    /** True when called from the thread currently running this loop (always false under the simulator). */
    public boolean inLoopThread() {
        return runningThread == Thread.currentThread();
    }

    public long turns() {
        return turns;
    }

    /** Exceptions thrown by handlers and caught by this loop. */
    public long errors() {
        return errors;
    }
}
