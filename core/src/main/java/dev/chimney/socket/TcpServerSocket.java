package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import dev.chimney.runtime.Timer;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blocking server socket for application threads: {@link #bind} listens, {@link #accept} waits for the next
 * established connection and returns it as a {@link TcpSocket}. Accepted sockets take this server's {@link
 * #options(SocketOptions) options}. Concurrent accepts take turns. Not for the loop's own thread, and, like
 * {@link TcpSocket}, only on a loop a thread runs.
 *
 * <p>An echo server with a virtual thread per connection ({@code host.listen(port)} is {@code
 * host.sockets().newServerSocket()} bound to {@code port} on every address):
 *
 * {@snippet file="dev/chimney/examples/EchoExample.java" region="echo-server"}
 */
public final class TcpServerSocket implements AutoCloseable {
    private final SocketStack sockets;
    private final EventLoop loop;
    private final ReentrantLock acceptLock = new ReentrantLock();
    private final ReentrantLock controlLock = new ReentrantLock();
    private volatile SocketOptions options = SocketOptions.defaults();
    private volatile boolean bound;
    private volatile boolean closed;
    private volatile IpAddress localAddress;
    private volatile int localPort;
    private volatile Duration acceptTimeout = Duration.ZERO;

    // loop-owned
    private TcpChannelServer server;
    private AcceptOp pendingAccept;
    private final Timer acceptTimer = Timer.of(this::onAcceptTimeout);
    private final AcceptOp acceptOp = new AcceptOp();
    /** Held in a field: a capturing lambda at the call site would allocate one object per accept. */
    private final Runnable failOnInterrupt = () -> failPending(new SocketException("accept interrupted"));

    TcpServerSocket(SocketStack sockets) {
        this.sockets = sockets;
        this.loop = sockets.loop();
    }

    /**
     * Listens on {@code local}'s port at its address, or at every local address for the wildcard ({@code new
     * InetSocketAddress(port)}), with the stack's backlog limit.
     *
     * @throws java.net.BindException if something already listens there
     */
    public void bind(InetSocketAddress local) throws IOException {
        bind(SocketErrors.localOf(local), local.getPort());
    }

    /** Listens on {@code port} at {@code local} (null = every local address) with the stack's backlog limit. */
    public void bind(IpAddress local, int port) throws IOException {
        bind(local, port, Integer.MAX_VALUE);
    }

    /**
     * Listens with at most {@code backlog} established connections waiting for accept (capped by {@code
     * TcpConfig.acceptBacklog}; beyond it new handshakes are dropped or reset per {@code backlogFullAction}).
     *
     * @throws SocketException if the port is taken ("address in use") or this socket is bound already
     */
    public void bind(IpAddress local, int port, int backlog) throws IOException {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("backlog must be at least 1, got " + backlog);
        }
        controlLock.lock();
        try {
            checkOpen();
            if (bound) {
                throw new SocketException("already bound to port " + localPort + "; open a new server socket");
            }
            Control op = new Control(() -> {
                try {
                    server = sockets.listen(local, port, backlog, options, s -> onAcceptable());
                    return null;
                } catch (IllegalStateException e) {
                    return new java.net.BindException("address in use: something already listens on "
                            + (local == null ? "*:" + port : SocketErrors.endpoint(local, port))
                            + "; close it first or pick another port");
                }
            });
            op.submitAndAwait(sockets, () -> { });
            localAddress = local;
            localPort = port;
            bound = true;
        } finally {
            controlLock.unlock();
        }
    }

    /**
     * Waits for the next connection.
     *
     * @throws SocketTimeoutException when the {@link #setSoTimeout accept time-out} passes first
     * @throws SocketException when the server socket is (or gets) closed
     */
    public TcpSocket accept() throws IOException {
        acceptLock.lock();
        try {
            checkOpen();
            if (!bound) {
                throw new SocketException("accept on an unbound server socket; call bind() first");
            }
            AcceptOp op = acceptOp;
            op.result = null;
            op.timeoutNs = acceptTimeout.toNanos();
            op.submitAndAwait(sockets, failOnInterrupt);
            TcpSocket s = op.result;
            op.result = null;
            return s;
        } finally {
            acceptLock.unlock();
        }
    }

    private final class AcceptOp extends LoopOp {
        TcpSocket result;
        long timeoutNs;

        @Override
        void onLoop() {
            tryAccept(this);
            if (!isDone() && pendingAccept == this && timeoutNs > 0) {
                loop.timers().schedule(acceptTimer, loop.nowNs() + timeoutNs);
            }
        }
    }

    private void tryAccept(AcceptOp op) {
        if (closed || server == null) {
            op.complete(new SocketException("server socket closed"));
            return;
        }
        SocketOptions o = options;
        TcpChannel ch = server.accept(c -> {
            c.options(o); // the options current at accept time, not those at bind time
            TcpSocket s = new TcpSocket(sockets, o);
            op.result = s;
            return s.adopt(c);
        });
        if (ch != null) {
            pendingAccept = null;
            loop.timers().cancel(acceptTimer);
            op.complete(null);
        } else {
            op.result = null;
            pendingAccept = op;
        }
    }

    private void onAcceptable() {
        AcceptOp op = pendingAccept;
        if (op != null) {
            tryAccept(op);
        }
    }

    private void onAcceptTimeout() {
        AcceptOp op = pendingAccept;
        if (op != null) {
            pendingAccept = null;
            op.complete(new SocketTimeoutException("accept timed out after " + op.timeoutNs / 1_000_000
                    + " ms; the server socket is still listening"));
        }
    }

    private void failPending(IOException e) {
        loop.timers().cancel(acceptTimer);
        AcceptOp op = pendingAccept;
        pendingAccept = null;
        if (op != null) {
            op.complete(e);
        }
    }

    /** Time-out for {@link #accept} (zero = wait forever). */
    public void setSoTimeout(Duration timeout) {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must be >= 0, got " + timeout);
        }
        this.acceptTimeout = timeout;
    }

    /** Options given to accepted sockets (set before they are accepted). */
    public void options(SocketOptions newOptions) {
        this.options = Objects.requireNonNull(newOptions, "options");
    }

    public SocketOptions options() {
        return options;
    }

    public boolean isBound() {
        return bound;
    }

    public boolean isClosed() {
        return closed;
    }

    /** The bound address (null = every address). */
    public IpAddress localAddress() {
        return localAddress;
    }

    public int localPort() {
        return localPort;
    }

    /**
     * The bound address and port as a {@code java.net} socket address (the wildcard address when bound to every
     * address), or null before bind.
     */
    public InetSocketAddress localSocketAddress() {
        if (!bound) {
            return null;
        }
        IpAddress a = localAddress;
        return a == null ? new InetSocketAddress(localPort) : SocketErrors.socketAddress(a, localPort);
    }

    /** Stops listening: connections not yet accepted are reset, a blocked accept fails. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Runnable action = () -> {
            if (server != null) {
                server.close();
            }
            failPending(new SocketException("server socket closed"));
        };
        if (loop.inLoopThread() || (!loop.isRunning() && !loop.isTerminated())) {
            action.run(); // on the loop, or on a loop no thread runs (nobody else touches its state)
            return;
        }
        try {
            new Control(() -> {
                action.run();
                return null;
            }).submitAndAwait(sockets, () -> { });
        } catch (IOException e) {
            // closing never fails
        }
    }

    private void checkOpen() throws SocketException {
        if (closed) {
            throw new SocketException("server socket closed; open a new one");
        }
    }

    @Override
    public String toString() {
        return "TcpServerSocket[" + (bound ? (localAddress == null ? "*" : localAddress.toString()) + ":" + localPort
                : "unbound") + (closed ? " closed" : "") + "]";
    }

    /** A control command; the action returns the error to complete with, or null. */
    private static final class Control extends LoopOp {
        private final java.util.function.Supplier<IOException> action;

        Control(java.util.function.Supplier<IOException> action) {
            this.action = action;
        }

        @Override
        void onLoop() {
            complete(action.get());
        }
    }
}
