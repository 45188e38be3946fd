package dev.chimney.runtime;

/**
 * Spin, then yield, then park, each phase bounded by time since the idle period began (see {@link
 * IdleStrategy#backoff}). A turn with work ({@link #reset()}) starts over; a park that returns without work stays in
 * the park phase, so a loop idle for a long time does not spin again after each timeout.
 */
final class BackoffIdleStrategy implements IdleStrategy {
    /** Where the current idle period is. */
    enum Phase {
        /** The last turn did work (or nothing happened yet): the next idle call starts a period. */
        BUSY,
        SPINNING,
        YIELDING,
        PARKING
    }

    private final long spinNs;
    private final long yieldNs;
    private Phase phase = Phase.BUSY;
    private long idleSinceNs;

    BackoffIdleStrategy(long spinNs, long yieldNs) {
        if (spinNs < 0 || yieldNs < 0) {
            throw new IllegalArgumentException("spin and yield windows must be >= 0 ns, got " + spinNs + " and "
                    + yieldNs);
        }
        this.spinNs = spinNs;
        this.yieldNs = yieldNs;
    }

    @Override
    public Step idle(long nowNs) {
        if (phase == Phase.BUSY) {
            phase = Phase.SPINNING;
            idleSinceNs = nowNs;
        }
        long idleNs = Math.max(0, nowNs - idleSinceNs); // a clock that stepped back must not extend the windows
        if (phase == Phase.SPINNING && spinNs != Long.MAX_VALUE && idleNs >= spinNs) { // MAX_VALUE: spin()
            phase = Phase.YIELDING;
        }
        // Compared as a difference so that spin() (spinNs = Long.MAX_VALUE) cannot overflow.
        if (phase == Phase.YIELDING && idleNs - spinNs >= yieldNs) {
            phase = Phase.PARKING;
        }
        return switch (phase) {
            case SPINNING -> Step.SPIN;
            case YIELDING -> Step.YIELD;
            default -> Step.PARK;
        };
    }

    @Override
    public void reset() {
        phase = Phase.BUSY;
    }

    Phase phase() {
        return phase;
    }

    @Override
    public String toString() {
        if (spinNs == 0 && yieldNs == 0) {
            return "park";
        }
        if (spinNs == Long.MAX_VALUE) {
            return "spin";
        }
        return "backoff:" + spinNs / 1000 + ":" + yieldNs / 1000;
    }
}
