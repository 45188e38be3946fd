package dev.chimney.runtime;

/**
 * A clock that only moves when told to. Tests and the simulator own it; it never goes backwards.
 */
public final class VirtualClock implements Clock {
    private long nowNs;

    public VirtualClock() {
        this(0L);
    }

    public VirtualClock(long startNs) {
        this.nowNs = startNs;
    }

    @Override
    public long nanoTime() {
        return nowNs;
    }

    /** Moves time forward to {@code timeNs}; a time in the past is a caller bug. */
    public void advanceTo(long timeNs) {
        if (timeNs < nowNs) {
            throw new IllegalArgumentException("virtual time cannot go backwards: now=" + nowNs + "ns, asked for "
                    + timeNs + "ns; advance only to times at or after nanoTime()");
        }
        nowNs = timeNs;
    }

    /** Moves time forward by {@code deltaNs} (must be non-negative). */
    public void advanceBy(long deltaNs) {
        if (deltaNs < 0) {
            throw new IllegalArgumentException("advanceBy needs a non-negative delta, got " + deltaNs + "ns");
        }
        nowNs += deltaNs;
    }
}
