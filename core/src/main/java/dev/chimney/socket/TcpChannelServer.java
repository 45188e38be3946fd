package dev.chimney.socket;

import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpListener;
import dev.chimney.tcp.TcpState;
import dev.chimney.wire.IpAddress;
import java.util.function.Function;

/**
 * A loop-side passive open: wraps a {@link TcpListener} and turns its established connections into
 * {@link TcpChannel}s. All methods run on the stack's event loop.
 */
public final class TcpChannelServer {

    /** Told (on the loop) when at least one connection waits to be accepted. */
    @FunctionalInterface
    public interface AcceptHandler {
        void onAcceptable(TcpChannelServer server);
    }

    private final SocketStack sockets;
    private final SocketOptions options;
    private final TcpListener listener;
    private long accepted;
    private long closedBeforeAccept;

    TcpChannelServer(SocketStack sockets, IpAddress localAddress, int port, int backlog, SocketOptions options,
            AcceptHandler handler) {
        this.sockets = sockets;
        this.options = options;
        this.listener = sockets.tcp().listen(localAddress, port, backlog, l -> handler.onAcceptable(this));
    }

    /** The bound address, or null for every local address. */
    public IpAddress localAddress() {
        return listener.localAddress();
    }

    public int localPort() {
        return listener.localPort();
    }

    /** Established connections waiting for {@link #accept}. */
    public int pendingConnections() {
        return listener.backlogLength();
    }

    /** Most connections that may wait for accept (the requested backlog, capped by TcpConfig.acceptBacklog). */
    public int backlogLimit() {
        return listener.backlogLimit();
    }

    /** Connections accepted so far. */
    public long acceptedCount() {
        return accepted;
    }

    /** Connections that were reset or closed while still in the backlog, skipped by accept. */
    public long closedBeforeAcceptCount() {
        return closedBeforeAccept;
    }

    /**
     * Accepts the next waiting connection, handing it to the handler {@code handlerFactory} makes for it (which then
     * gets {@code onConnected}, and {@code onReadable} if bytes already arrived). Returns null when none waits.
     */
    public TcpChannel accept(Function<TcpChannel, TcpChannelHandler> handlerFactory) {
        TcpConnection c;
        while ((c = listener.accept()) != null) {
            if (c.state() == TcpState.CLOSED) {
                closedBeforeAccept++; // reset by the peer while waiting: nothing left to hand over
                continue;
            }
            TcpChannel ch = new TcpChannel(sockets, c.remoteAddress(), c.remotePort(), options, null);
            TcpChannelHandler h = handlerFactory.apply(ch);
            if (h == null) {
                c.abort(); // the application refused it
                continue;
            }
            ch.handler(h);
            accepted++;
            ch.attachAccepted(c);
            return ch;
        }
        return null;
    }

    /** Accepts the next waiting connection with {@code handler}, or returns null when none waits. */
    public TcpChannel accept(TcpChannelHandler handler) {
        return accept(ch -> handler);
    }

    /** Stops listening; connections not yet accepted are reset. Accepted channels are not affected. */
    public void close() {
        listener.close();
    }
}
