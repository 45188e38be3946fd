package dev.chimney.runtime;

/**
 * How an idle {@link EventLoop} running on its own thread waits: until a timeout (the next timer or virtual
 * arrival), a cross-thread {@link #wakeup()} (a command was queued, or stop was requested), or an I/O source becoming
 * ready. The default, {@link ParkingWaiter}, parks the thread; a TAP device can instead block in {@code poll(2)}
 * on its file descriptor plus an eventfd that {@link #wakeup()} writes, so frames wake the loop with no spinning.
 *
 * <p>{@link #await} is called only by the loop's thread; {@link #wakeup} may be called from any thread at any time,
 * also before or during {@code await}: a wakeup that arrives before {@code await} must make the next {@code await}
 * return promptly (no lost wakeups). Spurious early returns are allowed.
 */
public interface IoWaiter {
    /** Blocks the loop thread for at most {@code timeoutNs} (positive) or until woken or I/O is ready. */
    void await(long timeoutNs);

    /** Makes the current or next {@link #await} return soon. Safe from any thread; cheap when not waiting. */
    void wakeup();
}
