package dev.chimney.socket;

import dev.chimney.runtime.Timer;
import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpCached;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * A loop-side, non-blocking TCP socket: one engine {@link TcpConnection} with socket options, friendly errors and
 * readiness callbacks to a {@link TcpChannelHandler}. Every method must be called on the owning stack's event loop
 * (from a handler callback, a timer, or a command passed to {@code loop.execute}); nothing here blocks.
 *
 * <p>Bytes are copied straight between the caller's array and the engine's buffers; a channel allocates nothing
 * per read or write.
 *
 * <p>This is the API for loop code and for the {@link dev.chimney.runtime.Simulator}, where nothing may block: a
 * sender that writes what the send buffer takes and continues on {@link TcpChannelHandler#onWritable}
 *
 * {@snippet file="dev/chimney/examples/SimulatedTransferExample.java" region="channel-source"}
 *
 * and a receiver that reads until the end of the stream:
 *
 * {@snippet file="dev/chimney/examples/SimulatedTransferExample.java" region="channel-sink"}
 *
 * They are opened with {@link SocketStack#connect(InetSocketAddress, SocketOptions, TcpChannelHandler)} and {@link
 * SocketStack#serve}:
 *
 * {@snippet file="dev/chimney/examples/SimulatedTransferExample.java" region="simulated"}
 */
public final class TcpChannel {
    private final SocketStack sockets;
    private final IpAddress remoteAddress;
    private final int remotePort;
    private TcpConnection connection;
    private TcpChannelHandler handler;
    private SocketOptions options;
    private boolean connected;
    private boolean inputShutdown;
    private boolean outputShutdown;
    private boolean appClosed;
    private boolean closedNotified;
    private IOException error;
    private IOException pendingError;
    private Timer connectTimer;
    private Object attachment;
    /** The last direct buffer written and a segment over it, so rewriting the same buffer allocates nothing. */
    private ByteBuffer lastDirectBuffer;
    private MemorySegment lastDirectSegment;

    private final TcpConnection.Listener events = new TcpConnection.Listener() {
        @Override
        public void onConnected(TcpConnection c) {
            if (connected) {
                return; // an accepted channel was announced at accept time already
            }
            connected = true;
            cancelConnectTimer();
            handler.onConnected(TcpChannel.this);
        }

        @Override
        public void onReadable(TcpConnection c) {
            if (inputShutdown) {
                discardInput();
            } else if (!appClosed) {
                handler.onReadable(TcpChannel.this);
            }
        }

        @Override
        public void onWritable(TcpConnection c) {
            if (!appClosed && !outputShutdown) {
                handler.onWritable(TcpChannel.this);
            }
        }

        @Override
        public void onClosed(TcpConnection c, CloseReason reason) {
            notifyClosed(reason);
        }
    };

    TcpChannel(SocketStack sockets, IpAddress remoteAddress, int remotePort, SocketOptions options,
            TcpChannelHandler handler) {
        this.sockets = sockets;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.options = options;
        this.handler = handler == null ? new TcpChannelHandler() {
        } : handler;
    }

    TcpConnection.Listener engineListener() {
        return events;
    }

    /** Active open: the connection was created in SYN_SENT. */
    void attachConnecting(TcpConnection c) {
        this.connection = c;
        sockets.channelOpened(this);
        applyOptions();
        if (options.connectTimeoutNs() > 0 && c.state() == TcpState.SYN_SENT) {
            connectTimer = Timer.of(this::onConnectTimeout);
            sockets.loop().timers().schedule(connectTimer, sockets.loop().nowNs() + options.connectTimeoutNs());
        }
    }

    /** Passive open: an established connection taken from the accept backlog. */
    void attachAccepted(TcpConnection c) {
        this.connection = c;
        sockets.channelOpened(this);
        c.listener(events);
        applyOptions();
        connected = true;
        handler.onConnected(this);
        // bytes (or FIN) that arrived before accept were announced to nobody: announce them now
        if (!closedNotified && (c.readableBytes() > 0 || c.isEndOfStream())) {
            events.onReadable(c);
        }
        if (!closedNotified && writableBytes() > 0) {
            events.onWritable(c);
        }
    }

    /** The active open failed before a connection existed (no source address, no free port). */
    void failEarly(IOException e) {
        sockets.loop().execute(() -> {
            error = e;
            if (!closedNotified) {
                closedNotified = true;
                handler.onClosed(this, e);
            }
        });
    }

    private void onConnectTimeout() {
        if (connection != null && !connected && !closedNotified) {
            pendingError = new SocketTimeoutException("connect to " + SocketErrors.endpoint(remoteAddress, remotePort)
                    + " timed out after " + options.connectTimeoutNs() / 1_000_000 + " ms");
            connection.abort();
            checkClosedQuietly();
        }
    }

    private void cancelConnectTimer() {
        if (connectTimer != null) {
            sockets.loop().timers().cancel(connectTimer);
            connectTimer = null;
        }
    }

    private void notifyClosed(CloseReason reason) {
        if (closedNotified) {
            return;
        }
        closedNotified = true;
        sockets.channelEnded(this);
        cancelConnectTimer();
        error = pendingError != null ? pendingError : SocketErrors.of(reason, !connected, remoteAddress, remotePort);
        handler.onClosed(this, error);
    }

    /** The engine closes some paths without an event (e.g. close while in SYN_SENT): report them here. */
    private void checkClosedQuietly() {
        if (connection != null && connection.state() == TcpState.CLOSED && !closedNotified) {
            CloseReason r = connection.closeReason();
            notifyClosed(r == null ? CloseReason.NORMAL : r);
        }
    }

    private void applyOptions() {
        TcpConnection c = connection;
        if (c == null || c.state() == TcpState.CLOSED) {
            return;
        }
        TcpCached cached = c.cached();
        TcpCached next = cached;
        if (options.noDelay() != null) {
            next = next.withNagling(!options.noDelay());
        }
        boolean keepAliveChanged = false;
        if (options.keepAlive() != null) {
            long tickNs = 1_000_000_000L / sockets.tcp().config().ticksPerSecond();
            long idleTicks = options.keepAliveIdleNs() > 0 ? Math.max(1, options.keepAliveIdleNs() / tickNs)
                    : next.kaTimeoutTicks();
            long intervalTicks = options.keepAliveIntervalNs() > 0
                    ? Math.max(1, options.keepAliveIntervalNs() / tickNs) : next.kaIntervalTicks();
            int probes = options.keepAliveProbes() > 0 ? options.keepAliveProbes() : next.kaProbeCount();
            next = next.withKeepAlive(options.keepAlive(), probes, idleTicks, intervalTicks);
            keepAliveChanged = !next.equals(cached);
        }
        if (!next.equals(cached)) {
            c.updateCached(next, keepAliveChanged, false);
        }
    }

    // ------------------------------------------------------------------------------------------------ accessors

    public IpAddress localAddress() {
        return connection == null ? null : connection.localAddress();
    }

    public int localPort() {
        return connection == null ? 0 : connection.localPort();
    }

    public IpAddress remoteAddress() {
        return remoteAddress;
    }

    public int remotePort() {
        return remotePort;
    }

    /** Our address and port as a {@code java.net} socket address (allocates), or null before the open started. */
    public java.net.InetSocketAddress localSocketAddress() {
        return SocketErrors.socketAddress(localAddress(), localPort());
    }

    /** The peer's address and port as a {@code java.net} socket address (allocates). */
    public java.net.InetSocketAddress remoteSocketAddress() {
        return SocketErrors.socketAddress(remoteAddress, remotePort);
    }

    /** The engine state ({@link TcpState#CLOSED} before a connection exists). */
    public TcpState state() {
        return connection == null ? TcpState.CLOSED : connection.state();
    }

    /** True once the handshake completed (stays true after close). */
    public boolean isConnected() {
        return connected;
    }

    /** True once {@link TcpChannelHandler#onClosed} was called. */
    public boolean isClosed() {
        return closedNotified;
    }

    /** Why the channel failed (null while open, after a graceful close, or after this application's abort). */
    public IOException error() {
        return error;
    }

    public SocketOptions options() {
        return options;
    }

    /** Replaces the options; Nagle and keepalive take effect at once (spec §2.6 cached-state update). */
    public void options(SocketOptions newOptions) {
        this.options = java.util.Objects.requireNonNull(newOptions, "options");
        applyOptions();
    }

    /** The engine connection, for diagnostics and offload (null before the active open started). */
    public TcpConnection connection() {
        return connection;
    }

    public Object attachment() {
        return attachment;
    }

    public void attachment(Object value) {
        this.attachment = value;
    }

    public TcpChannelHandler handler() {
        return handler;
    }

    /** Replaces the handler (e.g. a protocol switching to another phase). */
    public void handler(TcpChannelHandler h) {
        this.handler = java.util.Objects.requireNonNull(h, "handler");
    }

    // ------------------------------------------------------------------------------------------------- reading

    /** In-order bytes ready to read now. */
    public int readableBytes() {
        return connection == null || inputShutdown ? 0 : connection.readableBytes();
    }

    /** True when every byte was read and the peer sent FIN (or the input was shut down or the channel closed). */
    public boolean isEndOfStream() {
        if (inputShutdown) {
            return true;
        }
        if (connection == null) {
            return closedNotified;
        }
        return connection.isEndOfStream()
                || (connection.state() == TcpState.CLOSED && connection.readableBytes() == 0);
    }

    /** Reads up to {@code length} bytes: the count, 0 when none are ready yet, -1 at end of stream. */
    public int read(byte[] dst, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, dst.length);
        if (inputShutdown) {
            return -1;
        }
        if (connection == null) {
            return closedNotified ? -1 : 0;
        }
        if (length == 0) {
            return 0;
        }
        return connection.read(dst, offset, length);
    }

    /** Reads into {@code dst}'s remaining space; returns the count, 0 or -1 as {@link #read(byte[], int, int)}. */
    public int read(ByteBuffer dst) {
        if (dst.hasArray()) {
            int n = read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        byte[] scratch = sockets.scratch();
        int n = read(scratch, 0, Math.min(scratch.length, dst.remaining()));
        if (n > 0) {
            dst.put(scratch, 0, n);
        }
        return n;
    }

    /** Stops reading: buffered and future bytes are discarded (and acknowledged), reads return -1. */
    public void shutdownInput() {
        inputShutdown = true;
        discardInput();
    }

    private void discardInput() {
        TcpConnection c = connection;
        if (c == null) {
            return;
        }
        byte[] scratch = sockets.scratch();
        while (c.readableBytes() > 0 && c.read(scratch, 0, scratch.length) > 0) {
            // dropped on purpose: the application shut its input down
        }
    }

    // ------------------------------------------------------------------------------------------------- writing

    /**
     * Bytes {@link #write} accepts now: the engine's free send-buffer space, capped by the {@code sendBufferBytes}
     * option; 0 after shutdownOutput/close or once closed.
     */
    public int writableBytes() {
        TcpConnection c = connection;
        if (c == null || outputShutdown || appClosed || closedNotified) {
            return 0;
        }
        int w = c.writableBytes();
        int cap = options.sendBufferBytes();
        if (cap > 0) {
            w = Math.min(w, Math.max(0, cap - c.unacknowledgedBytes()));
        }
        return w;
    }

    /**
     * Queues up to {@code length} bytes; returns how many were taken (0 when the send buffer is full: wait for
     * {@link TcpChannelHandler#onWritable}).
     *
     * @throws IllegalStateException after shutdownOutput/close, or when the connection has ended
     */
    public int write(byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        checkCanWrite();
        int n = Math.min(length, writableBytes());
        // straight from the array: a MemorySegment.ofArray wrapper per call costs ~72 bytes (not scalar-replaced)
        return n == 0 ? 0 : connection.write(src, offset, n);
    }

    /** As {@link #write(byte[], int, int)}, from a heap or native memory segment. */
    public int write(MemorySegment src, long offset, int length) {
        checkCanWrite();
        int n = Math.min(length, writableBytes());
        return n == 0 ? 0 : connection.write(src, offset, n);
    }

    /**
     * Writes from {@code src}'s remaining bytes (heap or direct), advancing its position. Allocates nothing per call
     * when the same buffer is written again (the channel keeps a segment over the last direct buffer it saw).
     */
    public int write(ByteBuffer src) {
        checkCanWrite();
        int n = Math.min(src.remaining(), writableBytes());
        if (n == 0) {
            return 0;
        }
        int written;
        if (src.hasArray()) {
            written = connection.write(src.array(), src.arrayOffset() + src.position(), n);
        } else {
            if (src != lastDirectBuffer) {
                // a segment over the whole buffer, independent of its position and limit at this call
                lastDirectSegment = MemorySegment.ofBuffer(src.duplicate().clear());
                lastDirectBuffer = src;
            }
            written = connection.write(lastDirectSegment, src.position(), n);
        }
        src.position(src.position() + written);
        return written;
    }

    private void checkCanWrite() {
        if (outputShutdown || appClosed) {
            throw new IllegalStateException("cannot write to " + this + ": its output was shut down or it was "
                    + "closed; write before shutdownOutput()/close()");
        }
        if (connection == null || closedNotified) {
            throw new IllegalStateException("cannot write to " + this + ": the connection has ended"
                    + (error == null ? "" : " (" + error.getMessage() + ")") + "; check isClosed() first");
        }
    }

    // ------------------------------------------------------------------------------------------------- closing

    /** Sends FIN after the queued bytes (half-close); reading continues. Idempotent. */
    public void shutdownOutput() {
        if (outputShutdown) {
            return;
        }
        outputShutdown = true;
        if (connection != null) {
            connection.shutdownOutput();
            checkClosedQuietly();
        }
    }

    /**
     * Closes: with {@code abortOnClose}, or when received bytes were left unread (RFC 2525 §2.17), resets the
     * connection; otherwise sends FIN after the queued bytes, which are still delivered. No more read/write
     * callbacks follow; {@link TcpChannelHandler#onClosed} still does.
     */
    public void close() {
        if (appClosed) {
            return;
        }
        if (options.abortOnClose()) {
            abort();
            return;
        }
        appClosed = true;
        cancelConnectTimer();
        if (connection != null) {
            if (inputShutdown) {
                discardInput();
            }
            connection.close();
            checkClosedQuietly();
        }
    }

    /** Resets the connection (RST) and discards queued bytes both ways (RFC 9293 §3.10.5). */
    public void abort() {
        appClosed = true;
        cancelConnectTimer();
        if (connection != null) {
            connection.abort();
            checkClosedQuietly();
        }
    }

    @Override
    public String toString() {
        return "TcpChannel[" + (connection == null ? "?" : SocketErrors.endpoint(connection.localAddress(),
                connection.localPort())) + " -> " + SocketErrors.endpoint(remoteAddress, remotePort) + " "
                + state() + "]";
    }
}
