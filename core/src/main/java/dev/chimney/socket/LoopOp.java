package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocking call handed from an application thread to the loop: the caller fills the request fields, submits
 * the op with {@link EventLoop#execute} and parks; the loop does the work (at once or on a later readiness event)
 * and {@link #complete}s it, which unparks the caller. Ops are reused per socket (one caller at a time, guarded by
 * the socket's locks), so a blocking read or write allocates only the loop's queue node.
 *
 * <p>Memory visibility: request fields are written before {@code execute} (the queue publishes them); result fields
 * are written by the loop before the volatile {@link #done} store, and read by the caller after seeing it.
 */
abstract class LoopOp implements Runnable {
    private volatile boolean done;
    private Thread waiter;
    IOException error;

    /** The work, on the loop: completes the op now or leaves it pending for a readiness event. */
    abstract void onLoop();

    /** Runs {@link #onLoop}; a bug that throws still completes the op, so its caller never hangs. */
    @Override
    public final void run() {
        try {
            onLoop();
        } catch (RuntimeException | Error e) {
            if (!done) {
                complete(new SocketException("internal error on the event loop: " + e));
            }
            throw e;
        }
    }

    /** Prepares for a new call on the current thread (caller side). */
    final void begin() {
        done = false;
        error = null;
        waiter = Thread.currentThread();
    }

    /** Finishes the call (loop side); {@code e} null means success. */
    final void complete(IOException e) {
        Thread w = waiter;
        error = e;
        done = true;
        LockSupport.unpark(w);
    }

    final boolean isDone() {
        return done;
    }

    /**
     * Submits this op and waits for its completion without busy waiting. An interrupt runs {@code onInterrupt} on
     * the loop (which must complete the op, e.g. by aborting the socket) and ends in an {@link
     * InterruptedIOException}, with the thread's interrupt status kept.
     */
    final void submitAndAwait(EventLoop loop, Runnable onInterrupt) throws IOException {
        if (loop.inLoopThread()) {
            throw new IllegalStateException("blocking socket call on the event loop's own thread would deadlock; "
                    + "loop code must use TcpChannel and its handler callbacks");
        }
        begin();
        loop.execute(this);
        boolean interrupted = false;
        while (!done) {
            LockSupport.park(this);
            if (Thread.interrupted() && !interrupted) {
                interrupted = true;
                loop.execute(onInterrupt);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            if (error == null) {
                return; // completed before the interrupt took effect: the call succeeded
            }
            InterruptedIOException e = new InterruptedIOException("interrupted while blocked on a socket; the "
                    + "connection was aborted (RST)");
            throw e;
        }
        if (error != null) {
            throw fresh(error);
        }
    }

    /** A new exception of the same kind (so each throw has the caller's stack trace), the original as cause. */
    static IOException fresh(IOException e) {
        IOException copy = switch (e) {
            case ConnectException c -> new ConnectException(c.getMessage());
            case java.net.BindException b -> new java.net.BindException(b.getMessage());
            case NoRouteToHostException n -> new NoRouteToHostException(n.getMessage());
            case SocketTimeoutException t -> new SocketTimeoutException(t.getMessage());
            case SocketException s -> new SocketException(s.getMessage());
            case InterruptedIOException i -> new InterruptedIOException(i.getMessage());
            default -> new IOException(e.getMessage());
        };
        copy.initCause(e);
        return copy;
    }
}
