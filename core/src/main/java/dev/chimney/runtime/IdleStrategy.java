package dev.chimney.runtime;

import java.util.Locale;

/**
 * What a thread-driven {@link EventLoop} does after a turn that found no work: spin (run the next turn at once,
 * burning the CPU but seeing the next frame within a turn), yield the CPU to other threads between turns, or park
 * in its {@link IoWaiter} until I/O, a command or the next timer wakes it.
 *
 * <p>Parking costs nothing while idle but one scheduler wake-up per burst of input: a request/response exchange
 * pays it on every packet (on the 2-core VM the benchmarks run on, ~0.3-0.9 ms from ppoll(2) to the loop running).
 * Spinning for a short while after the last work hides that wake-up from a peer that answers quickly, and bounds
 * the CPU cost to the spin window after each burst. The strategy decides per idle turn; the loop carries the
 * decision out ({@link Step}), so a strategy is a pure state machine over the loop clock's time.
 *
 * <p>One instance per loop (strategies keep state). Ignored under the {@link Simulator}, which drives turns itself.
 */
public interface IdleStrategy {

    /** What the loop does before its next turn. */
    enum Step {
        /** Run the next turn at once ({@link Thread#onSpinWait()} hint only). */
        SPIN,
        /** Give the CPU to other runnable threads ({@link Thread#yield()}), then run the next turn. */
        YIELD,
        /** Wait in the loop's {@link IoWaiter} until I/O, a command or the next deadline. */
        PARK
    }

    /**
     * Called after a turn that did no work, with the loop clock's time; says what to do before the next turn.
     * Consecutive calls without {@link #reset()} are one idle period.
     */
    Step idle(long nowNs);

    /** Called after a turn that did work: the next idle period starts from the beginning. */
    void reset();

    /** Default spin window after the last work (see {@link #defaultStrategy()}). */
    long DEFAULT_SPIN_NS = 50_000L;
    /** Default yield window after the spin window. */
    long DEFAULT_YIELD_NS = 200_000L;

    /**
     * The default for loops on their own thread: {@link #backoff backoff}({@value #DEFAULT_SPIN_NS} ns spin,
     * {@value #DEFAULT_YIELD_NS} ns yield), then park. An answer a peer sends within a quarter millisecond is
     * seen without a scheduler wake-up; a loop that stays idle parks after that, so an idle stack costs only its
     * timer wake-ups, and a stack woken N times a second spins for at most N × 0.25 ms of each second.
     */
    static IdleStrategy defaultStrategy() {
        return backoff(DEFAULT_SPIN_NS, DEFAULT_YIELD_NS);
    }

    /** Always park when idle: least CPU, one scheduler wake-up per burst of input (the behaviour before idling). */
    static IdleStrategy park() {
        return backoff(0, 0);
    }

    /** Never park: spin between turns for the lowest latency, at the cost of one CPU core all the time. */
    static IdleStrategy spin() {
        return backoff(Long.MAX_VALUE, 0);
    }

    /**
     * Spin for {@code spinNs} after the last turn with work, then yield for {@code yieldNs}, then park until woken
     * (Aeron's BackoffIdleStrategy in shape, but bounded by time rather than counts, so the windows mean the same
     * on any machine).
     */
    static IdleStrategy backoff(long spinNs, long yieldNs) {
        return new BackoffIdleStrategy(spinNs, yieldNs);
    }

    /**
     * Parses a setting: {@code park}, {@code spin}, {@code backoff} (the defaults) or {@code
     * backoff:SPIN_US:YIELD_US} (microseconds, e.g. {@code backoff:50:200}).
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    static IdleStrategy parse(String setting) {
        String s = setting == null ? "" : setting.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "park":
                return park();
            case "spin":
                return spin();
            case "backoff":
                return defaultStrategy();
            default:
                break;
        }
        String[] parts = s.split(":", -1);
        if (parts.length == 3 && parts[0].equals("backoff")) {
            try {
                long spinUs = Long.parseLong(parts[1]);
                long yieldUs = Long.parseLong(parts[2]);
                if (spinUs >= 0 && yieldUs >= 0 && spinUs <= 60_000_000L && yieldUs <= 60_000_000L) {
                    return backoff(spinUs * 1000, yieldUs * 1000);
                }
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("idle strategy '" + setting + "' is not one of park, spin, backoff or "
                + "backoff:SPIN_US:YIELD_US (microseconds 0..60000000, e.g. backoff:50:200)");
    }
}
