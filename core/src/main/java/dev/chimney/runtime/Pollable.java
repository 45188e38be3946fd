package dev.chimney.runtime;

/**
 * Work an {@link EventLoop} does on each turn: typically "receive a batch of frames from a port and run protocol
 * input on them".
 */
public interface Pollable {
    /**
     * Does up to {@code budget} units of work.
     *
     * @return the work done (0 when idle)
     */
    int poll(long nowNs, int budget);

    /** When this pollable next has work without outside input (virtual links), or {@link Long#MAX_VALUE}. */
    default long nextWorkNs() {
        return Long.MAX_VALUE;
    }
}
