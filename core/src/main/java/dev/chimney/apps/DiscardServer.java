package dev.chimney.apps;

import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.wire.IpAddress;

/**
 * RFC 863 discard service: reads and throws away everything, counting bytes; closes when the client half-closes.
 * Reading at once keeps the receive window open, so a discard sink measures the sender's full speed.
 */
public final class DiscardServer extends TcpService {
    /** RFC 863: TCP port 9. */
    public static final int PORT = 9;

    private final byte[] sink = new byte[64 * 1024];
    private long bytesDiscarded;
    private long completed;

    private DiscardServer(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        super(sockets, local, port, options);
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

    /** Connections whose client sent FIN after its data (a complete transfer). */
    public long completedConnections() {
        return completed;
    }

    @Override
    protected Connection newConnection() {
        return new Handler();
    }

    private final class Handler extends Connection {
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
    }
}
