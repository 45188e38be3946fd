package dev.chimney.runtime;

/**
 * What an {@link EventLoop} does when a command, pollable, timer or flush hook throws. A bug in one handler must
 * not kill the loop that owns every other connection, so the default logs and counts; the simulator instead
 * rethrows so a test fails at once with its seed.
 */
@FunctionalInterface
public interface LoopErrorHandler {

    /**
     * @param loop  the loop whose handler threw
     * @param where which kind of handler: "command", "pollable", "timer" or "flush"
     * @param error what it threw
     */
    void onError(EventLoop loop, String where, Throwable error);

    /** Logs at WARNING through {@link System.Logger} (the loop counts every error itself). */
    LoopErrorHandler LOG = (loop, where, error) -> System.getLogger("dev.chimney.runtime.EventLoop")
            .log(System.Logger.Level.WARNING, "loop " + loop.name() + ": " + where + " threw; loop continues", error);

    /** Rethrows (wrapped if checked), ending the current turn: for tests and the simulator. */
    LoopErrorHandler RETHROW = (loop, where, error) -> {
        if (error instanceof RuntimeException e) {
            throw e;
        }
        if (error instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException("loop " + loop.name() + ": " + where + " threw", error);
    };
}
