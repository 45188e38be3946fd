package dev.chimney.apps;

import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.wire.IpAddress;

/**
 * RFC 862 echo service: every byte received is sent back; when the client half-closes, the echo finishes and the
 * server closes too.
 *
 * <p>Back-pressure without a per-connection buffer: it reads only as many bytes as the send buffer takes right now
 * (into one loop-owned array), so each read is written back whole. While the client does not read, our send buffer
 * fills, we stop reading, our receive window closes, and the client is slowed — nothing is dropped.
 */
public final class EchoServer extends TcpService {
    /** RFC 862: TCP port 7. */
    public static final int PORT = 7;
    private static final int CHUNK_BYTES = 16 * 1024;

    private final byte[] chunk = new byte[CHUNK_BYTES];
    private long bytesEchoed;

    private EchoServer(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        super(sockets, local, port, options);
    }

    /** Starts echo on {@code port} at {@code local} (null = every address). Call on the stack's loop. */
    public static EchoServer start(SocketStack sockets, IpAddress local, int port, SocketOptions options) {
        return new EchoServer(sockets, local, port, options);
    }

    /** Starts echo on port 7 on every address. */
    public static EchoServer start(SocketStack sockets) {
        return start(sockets, null, PORT, SocketOptions.defaults());
    }

    public long bytesEchoed() {
        return bytesEchoed;
    }

    @Override
    protected Connection newConnection() {
        return new Handler();
    }

    private final class Handler extends Connection {
        @Override
        public void onReadable(TcpChannel ch) {
            pump(ch);
        }

        @Override
        public void onWritable(TcpChannel ch) {
            pump(ch);
        }

        private void pump(TcpChannel ch) {
            while (!ch.isClosed()) {
                int room = ch.writableBytes();
                if (room == 0) {
                    return; // resume on onWritable
                }
                int n = ch.read(chunk, 0, Math.min(room, chunk.length));
                if (n == 0) {
                    return; // resume on onReadable
                }
                if (n < 0) {
                    ch.close(); // the client finished: FIN after everything echoed (RFC 9293 §3.6)
                    return;
                }
                ch.write(chunk, 0, n); // fits: n <= writableBytes
                bytesEchoed += n;
            }
        }
    }
}
