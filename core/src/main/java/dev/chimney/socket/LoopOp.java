package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.LoopCommand;
import dev.chimney.runtime.VirtualClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.LockSupport;

/**
 * One blocking call handed from an application thread to the loop: the caller fills the request fields, submits
 * the op with {@link EventLoop#execute} and parks; the loop does the work (at once or on a later readiness event)
 * and {@link #complete}s it, which unparks the caller. Ops are reused per socket (one caller at a time, guarded by
 * the socket's locks), and an op is its own loop queue node ({@link LoopCommand}), so a blocking read or write
 * allocates nothing.
 *
 * <p>Stopped loop: an op left pending on the loop is linked into its {@link SocketStack}'s list of parked ops, which
 * the stack fails with "network stack stopped" when the loop stops; an op still queued (or submitted later) is
 * rejected the same way. A caller therefore never waits for a loop that will not run again.
 *
 * <p>Memory visibility: request fields are written before {@code execute} (the queue publishes them); result fields
 * are written by the loop before the volatile {@link #done} store, and read by the caller after seeing it.
 */
abstract class LoopOp extends LoopCommand {
    private volatile boolean done;
    private Thread waiter;
    IOException error;
    /** The stack whose parked-op list holds this op while it waits on the loop (set per call). */
    private SocketStack sockets;
    /** Links in {@link SocketStack}'s parked-op list (loop-owned). */
    LoopOp parkedPrev;
    LoopOp parkedNext;
    boolean parked;

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
        if (!done && !parked && sockets != null) {
            sockets.park(this); // waits for a readiness event; failed by the stack if the loop stops first
        }
    }

    /** The loop stopped before this op ran: its caller must not wait any longer. */
    @Override
    protected final void onRejected(RejectedExecutionException reason) {
        if (!done) {
            complete(stopped());
        }
    }

    static SocketException stopped() {
        return new SocketException("network stack stopped: its event loop was stopped while this socket call was "
                + "waiting for it; the connection is gone with the stack");
    }

    /** Prepares for a new call on the current thread (caller side). */
    final void begin() {
        done = false;
        error = null;
        waiter = Thread.currentThread();
    }

    /** Finishes the call (loop side); {@code e} null means success. */
    final void complete(IOException e) {
        if (parked) {
            sockets.unpark(this);
        }
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
    final void submitAndAwait(SocketStack stack, Runnable onInterrupt) throws IOException {
        EventLoop loop = stack.loop();
        if (loop.inLoopThread()) {
            throw new IllegalStateException("blocking socket call on the event loop's own thread would deadlock; "
                    + "loop code must use TcpChannel and its handler callbacks");
        }
        if (!loop.isRunning() && !loop.isTerminated()) {
            throw notRunning(loop);
        }
        begin();
        sockets = stack;
        loop.execute(this); // never throws for a stopped loop: the op is rejected (completed) instead
        boolean interrupted = false;
        while (!done) {
            LockSupport.park(this);
            if (Thread.interrupted() && !interrupted) {
                interrupted = true;
                try {
                    loop.execute(onInterrupt);
                } catch (RejectedExecutionException stopped) {
                    // the loop stopped: its stop hook or rejection completes this op
                }
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

    /**
     * A blocking call on a loop that no thread runs would wait forever: under the simulator nothing turns the loop
     * while the caller waits (the thread that would drive it is the one waiting, or runs on its own schedule), and
     * a real-time loop not started yet may never be.
     */
    private static RuntimeException notRunning(EventLoop loop) {
        if (loop.isStopped()) {
            return new IllegalStateException("event loop " + loop.name() + " was stopped before it ever ran; "
                    + "nothing will complete a blocking socket call on it");
        }
        if (loop.clock() instanceof VirtualClock) {
            return new IllegalStateException("blocking socket call on loop " + loop.name() + ", which a Simulator "
                    + "turns: nothing would run it while this thread waits. Under the Simulator use the loop-side "
                    + "TcpChannel API (SocketStack.connect / serve with a TcpChannelHandler) and drive the "
                    + "simulator; blocking sockets need a real-time loop on its own thread (NetworkStack.start(), "
                    + "VirtualNetwork.realTime)");
        }
        return new IllegalStateException("blocking socket call on loop " + loop.name() + ", which no thread runs "
                + "yet: start it first (NetworkStack.start(), VirtualNetwork.start() or LoopThread.start(loop)), "
                + "else the call would wait forever");
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
