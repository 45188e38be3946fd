package dev.chimney.apps;

import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.socket.TcpChannelHandler;
import dev.chimney.socket.TcpChannelServer;
import dev.chimney.wire.IpAddress;
import java.io.IOException;

/**
 * RFC 863 discard service: reads and throws away everything, counting bytes; closes when the client half-closes.
 * Reading at once keeps the receive window open, so a discard sink measures the sender's full speed.
 */
public final class DiscardServer implements AutoCloseable {
    /** RFC 863: TCP port 9. */
    public static final int PORT = 9;

    private final TcpChannelServer server;
    private final byte[] sink = new byte[64 * 1024];
    private long bytesDiscarded;
    private long connections;
    private long completed;
    private int open;

    private DiscardServer(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        this.server = sockets.serve(local, port, options, ch -> new Connection());
    }

    /** Starts discard on {@code port} at {@code local} (null = every address). Call on the stack's loop. */
    public static DiscardServer start(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        return new DiscardServer(sockets, local, port, options);
    }

    /** Starts discard on port 9 on every address. */
    public static DiscardServer start(SocketStack sockets) {
        return start(sockets, null, PORT, SocketOptions.defaults());
    }

    public long bytesDiscarded() {
        return bytesDiscarded;
    }

    /** Connections accepted. */
    public long connections() {
        return connections;
    }

    /** Connections whose client sent FIN after its data (a complete transfer). */
    public long completedConnections() {
        return completed;
    }

    public int openConnections() {
        return open;
    }

    public int port() {
        return server.localPort();
    }

    @Override
    public void close() {
        server.close();
    }

    private final class Connection implements TcpChannelHandler {
        @Override
        public void onConnected(TcpChannel ch) {
            connections++;
            open++;
        }

        @Override
        public void onReadable(TcpChannel ch) {
            int n;
            while ((n = ch.read(sink, 0, sink.length)) > 0) {
                bytesDiscarded += n;
            }
            if (n < 0 && !ch.isClosed()) {
                completed++;
                ch.close();
            }
        }

        @Override
        public void onClosed(TcpChannel ch, IOException error) {
            open--;
        }
    }
}
