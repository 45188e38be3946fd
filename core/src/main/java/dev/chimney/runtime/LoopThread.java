package dev.chimney.runtime;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link EventLoop} on its own platform thread (real time). {@link #close()} stops the loop after its
 * current turn and joins the thread. A stopped loop (or one whose thread died) terminates: its stop hooks wake
 * whoever waits on it (blocked socket calls throw "network stack stopped") and later commands are rejected.
 *
 * <pre>{@code
 * EventLoop loop = new EventLoop("host", Clock.system());
 * loop.ioWaiter(tap.ioWaiter());          // optional: block in poll(2) on the TAP fd when idle
 * try (LoopThread thread = LoopThread.start(loop)) {
 *     loop.execute(() -> ...);            // from any thread
 * }
 * }</pre>
 */
public final class LoopThread implements AutoCloseable {
    private final EventLoop loop;
    private final Thread thread;
    private volatile Throwable failure;

    private LoopThread(EventLoop loop) {
        this.loop = loop;
        this.thread = Thread.ofPlatform().name("chimney-" + loop.name()).unstarted(() -> {
            try {
                loop.runUntilStopped();
            } catch (Throwable t) {
                // Only an error handler that rethrows (or an Error) gets here; keep it for whoever stops the loop.
                failure = t;
                System.getLogger("dev.chimney.runtime.LoopThread").log(System.Logger.Level.ERROR,
                        "loop " + loop.name() + " ended by an exception", t);
            }
        });
    }

    /** What ended the loop's thread abnormally, or null (still running, or stopped cleanly). */
    public Throwable failure() {
        return failure;
    }

    /**
     * Starts a platform thread running {@code loop} until closed. On return the loop runs ({@link
     * EventLoop#isRunning()}), unless it had been stopped already.
     *
     * @throws IllegalStateException if the loop already runs on another thread (a loop has exactly one)
     */
    public static LoopThread start(EventLoop loop) {
        Objects.requireNonNull(loop, "loop");
        if (loop.isRunning()) {
            throw new IllegalStateException("loop " + loop.name() + " already runs on a thread; start a loop once "
                    + "and share that thread (or give each host its own loop)");
        }
        LoopThread t = new LoopThread(loop);
        t.thread.start();
        // Wait for the thread to take the loop, so that a caller can rely on isRunning() at once (blocking socket
        // calls check it); a loop stopped before it ran, or one that another thread took first, ends the thread.
        while (!loop.isRunning() && t.thread.isAlive() && !loop.isStopped()) {
            Thread.onSpinWait();
            Thread.yield();
        }
        return t;
    }

    public EventLoop loop() {
        return loop;
    }

    public Thread thread() {
        return thread;
    }

    /**
     * Stops the loop and waits up to {@code timeout} for its thread to end.
     *
     * @return true if the thread ended
     */
    public boolean stop(long timeout, TimeUnit unit) throws InterruptedException {
        loop.stop();
        return thread.join(java.time.Duration.ofNanos(unit.toNanos(timeout)));
    }

    /** Stops the loop and joins its thread (up to 10 s; a handler stuck longer is reported). */
    @Override
    public void close() {
        try {
            if (!stop(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("loop " + loop.name() + " did not stop within 10 s: a handler is "
                        + "blocking its thread (loop handlers must never block)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
