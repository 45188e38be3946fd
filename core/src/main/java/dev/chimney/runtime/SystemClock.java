package dev.chimney.runtime;

/** {@link Clock} backed by {@link System#nanoTime()}, for running against real devices. */
public enum SystemClock implements Clock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }
}
