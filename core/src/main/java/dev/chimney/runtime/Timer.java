package dev.chimney.runtime;

/**
 * A re-armable timer owned by one {@link TimerQueue}. Protocol objects keep their timers as fields and re-arm
 * them with {@link TimerQueue#schedule}, so arming a timer on the data path allocates nothing.
 */
public abstract class Timer {
    /** Deadline in ns of the loop clock; meaningful only while armed. */
    long deadlineNs;
    /** Position in the wheel's structure, or -1 when not armed (owned by TimerQueue). */
    int index = -1;
    /** The wheel this timer is armed on, or null (owned by TimerQueue; catches arming on two wheels). */
    TimerQueue wheel;

    /** Called by the wheel's loop when the deadline has passed; the timer is no longer armed at that point. */
    protected abstract void onExpired(long nowNs);

    public final boolean isArmed() {
        return index >= 0;
    }

    /** The armed deadline, or {@link Long#MAX_VALUE} when not armed. */
    public final long deadlineNs() {
        return index >= 0 ? deadlineNs : Long.MAX_VALUE;
    }

    /** Convenience: a timer that runs an action. */
    public static Timer of(Runnable action) {
        return new Timer() {
            @Override
            protected void onExpired(long nowNs) {
                action.run();
            }
        };
    }
}
