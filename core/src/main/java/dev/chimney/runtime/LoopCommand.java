package dev.chimney.runtime;

import java.util.concurrent.RejectedExecutionException;

/**
 * A command that can be queued on an {@link EventLoop} without allocating: the queue links commands through their
 * own {@code next} field (intrusive), so a command object reused for call after call — a blocking socket call's
 * operation, for example — costs nothing per {@link EventLoop#execute}. A plain {@link Runnable} passed to {@code
 * execute} is wrapped in one of these instead.
 *
 * <p>One instance can be queued once at a time: submit it again only after it ran (or was rejected).
 *
 * <p>Rejection: a command still queued when its loop stops, or submitted after the loop stopped, never runs; its
 * {@link #onRejected} says so instead, so a thread waiting for its result is woken rather than left waiting forever.
 */
public abstract class LoopCommand implements Runnable {
    /** Next command in the loop's inbox or batch; written by the submitting thread, then only by the loop. */
    LoopCommand next;
    /** True from submit until the loop takes the command off its queue (guards against double queueing). */
    volatile boolean queued;

    /**
     * Called instead of {@link #run()} when the loop stopped before running this command: on the stopping loop's
     * thread for commands still queued at stop. By default nothing happens (the command is dropped).
     *
     * @param reason says which loop stopped
     */
    protected void onRejected(RejectedExecutionException reason) {
    }

    /** Adapts a plain runnable (one small allocation per submit, as any queue node). */
    static final class Wrapped extends LoopCommand {
        private final Runnable task;

        Wrapped(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            task.run();
        }
    }
}
