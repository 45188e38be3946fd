package dev.chimney.apps;

import dev.chimney.runtime.SeededRandom;
import dev.chimney.socket.SocketOptions;
import dev.chimney.socket.SocketStack;
import dev.chimney.socket.TcpChannel;
import dev.chimney.wire.IpAddress;

/**
 * RFC 864 character generator: sends a pattern as fast as the peer takes it, endlessly until the peer closes, or
 * exactly {@code limitBytes} and then FIN. Bytes received are thrown away (RFC 864 "any data received is thrown
 * away"). The pattern is periodic and precomputed, so sending allocates nothing.
 */
public final class ChargenServer extends TcpService {
    /** RFC 864: TCP port 19. */
    public static final int PORT = 19;

    /** A periodic byte pattern: byte {@code p} of the stream is {@code period()[p % period().length]}. */
    public static final class Pattern {
        private final byte[] period;

        private Pattern(byte[] period) {
            this.period = period;
        }

        /**
         * RFC 864's popular pattern: the 95 printing ASCII characters (32..126) as a ring; line {@code k} holds the
         * 72 characters starting at position {@code k mod 95}, then CR LF. Repeats every 95 lines (7030 bytes).
         */
        public static Pattern classic() {
            byte[] p = new byte[95 * 74];
            int i = 0;
            for (int line = 0; line < 95; line++) {
                for (int c = 0; c < 72; c++) {
                    p[i++] = (byte) (32 + (line + c) % 95);
                }
                p[i++] = '\r';
                p[i++] = '\n';
            }
            return new Pattern(p);
        }

        /** Pseudo-random bytes from {@code seed}, repeating every {@code periodBytes} (for byte-exact checks). */
        public static Pattern seeded(long seed, int periodBytes) {
            if (periodBytes < 1) {
                throw new IllegalArgumentException("periodBytes must be positive, got " + periodBytes);
            }
            byte[] p = new byte[periodBytes];
            new SeededRandom(seed).nextBytes(p);
            return new Pattern(p);
        }

        public int periodBytes() {
            return period.length;
        }

        /** Byte {@code position} of the stream. */
        public byte at(long position) {
            return period[(int) (position % period.length)];
        }
    }

    private final Pattern pattern;
    private final long limitBytes;
    private final byte[] sink = new byte[4096];
    private long bytesSent;

    private ChargenServer(SocketStack sockets, IpAddress local, int port, SocketOptions options, Pattern pattern,
            long limitBytes) {
        if (limitBytes < 0) {
            throw new IllegalArgumentException("limitBytes must be >= 0 (0 = endless), got " + limitBytes);
        }
        this.pattern = pattern;
        this.limitBytes = limitBytes;
        super(sockets, local, port, options); // argument checks first (flexible constructor bodies, Java 25)
    }

    /**
     * Starts the generator (on the stack's loop).
     *
     * @param limitBytes bytes per connection before FIN, or 0 to send until the peer closes
     */
    public static ChargenServer start(SocketStack sockets, IpAddress local, int port, SocketOptions options,
            Pattern pattern, long limitBytes) {
        return new ChargenServer(sockets, local, port, options, pattern, limitBytes);
    }

    /** The classic pattern on port 19, endless. */
    public static ChargenServer start(SocketStack sockets) {
        return start(sockets, null, PORT, SocketOptions.defaults(), Pattern.classic(), 0);
    }

    public long bytesSent() {
        return bytesSent;
    }

    @Override
    protected Connection newConnection() {
        return new Handler();
    }

    private final class Handler extends Connection {
        private long position;

        @Override
        protected void connected(TcpChannel ch) {
            fill(ch);
        }

        @Override
        public void onWritable(TcpChannel ch) {
            fill(ch);
        }

        private void fill(TcpChannel ch) {
            byte[] period = pattern.period;
            while (!ch.isClosed() && (limitBytes == 0 || position < limitBytes)) {
                int offset = (int) (position % period.length);
                long want = period.length - offset;
                if (limitBytes > 0) {
                    want = Math.min(want, limitBytes - position);
                }
                int n = ch.writableBytes() == 0 ? 0 : ch.write(period, offset, (int) want);
                if (n == 0) {
                    return; // resume on onWritable
                }
                position += n;
                bytesSent += n;
            }
            if (limitBytes > 0 && position == limitBytes && !ch.isClosed()) {
                ch.shutdownOutput();
            }
        }

        @Override
        public void onReadable(TcpChannel ch) {
            int n;
            while ((n = ch.read(sink, 0, sink.length)) > 0) {
                // RFC 864: data received is thrown away
            }
            if (n < 0 && !ch.isClosed()) {
                ch.close(); // the user terminated the connection
            }
        }
    }
}
