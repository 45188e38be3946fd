package dev.chimney.runtime;

/**
 * The only source of time for protocol code. Nothing in the stack reads {@link System#nanoTime()} directly:
 * it asks the clock its loop was given, so the whole system can run on a {@link VirtualClock} under the
 * simulator and replay exactly.
 */
public interface Clock {

    /** Monotonic time in nanoseconds. Only differences are meaningful. */
    long nanoTime();

    /** The wall-clock-free monotonic system clock. */
    static Clock system() {
        return SystemClock.INSTANCE;
    }
}
