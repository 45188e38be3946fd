package dev.chimney.apps;

import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TcpChannelServer;
import dev.chimney.wire.IpAddress;
import java.io.IOException;

/**
 * What every built-in loop-side service shares: a listening {@link TcpChannelServer}, the count of connections
 * accepted and still open, and stopping. A service supplies one {@link Connection} per accepted channel; all of it
 * runs on the stack's loop, so the counters need no synchronisation.
 */
public abstract class TcpService implements AutoCloseable {
    private final TcpChannelServer server;
    private long connections;
    private int open;

    /** Starts listening on {@code port} at {@code local} (null = every address). Call on the stack's loop. */
    protected TcpService(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        this.server = sockets.serve(local, port, options, ch -> newConnection());
    }

    /** The handler for one newly accepted channel. */
    protected abstract Connection newConnection();

    /** Connections accepted. */
    public final long connections() {
        return connections;
    }

    /** Connections not yet closed. */
    public final int openConnections() {
        return open;
    }

    /** The port listened on (useful when started on port 0). */
    public final int port() {
        return server.localPort();
    }

    /** Stops listening (connections in progress finish). */
    @Override
    public void close() {
        server.close();
    }

    /** One accepted channel: counts itself in and out; services override {@link #connected} and the I/O calls. */
    protected abstract class Connection implements TcpChannelHandler {
        @Override
        public final void onConnected(TcpChannel ch) {
            connections++;
            open++;
            connected(ch);
        }

        /** Called once the channel is accepted and counted. */
        protected void connected(TcpChannel ch) {
        }

        @Override
        public final void onClosed(TcpChannel ch, IOException error) {
            open--;
            closed(ch, error);
        }

        /** Called once the channel ended and was counted out ({@code error} as {@link #onClosed}). */
        protected void closed(TcpChannel ch, IOException error) {
        }
    }
}
