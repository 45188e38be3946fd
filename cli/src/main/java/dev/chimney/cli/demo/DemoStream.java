package dev.chimney.cli.demo;

import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;

/**
 * One end of a demo connection, on its host's loop. The client (alice) first sends a 4-byte header with the
 * connection's number, then both ends send {@code bytes} of seeded pseudo-random content, shut their output down and
 * read to end of stream, checking every byte they receive against what the other end must have sent. Nothing is
 * stored: byte {@code i} of a stream is computed from the seed, the connection number, the direction and {@code i}
 * (SplitMix64, Steele, Lea and Flood 2014), so a mismatch names its exact offset.
 */
final class DemoStream implements TcpConnection.Listener {
    static final int HEADER_BYTES = 4;

    /** Running totals of one host's ends (loop-owned, like the ends). */
    static final class Totals {
        long verified;
        int connected;
        int closed;
        int closedNormally;
        /** The first end that saw a byte out of place, or null. */
        DemoStream firstMismatch;
    }

    private final boolean client;
    private final long seed;
    private final long bytes;
    private final Totals totals;
    /** Test hook: the upload byte at this offset is sent inverted (-1: never). The receiver must catch it. */
    private final long tamperAt;
    private final byte[] in = new byte[16 * 1024];
    /** Separate from {@link #in}: a read that completes the header starts writing, which must not clobber it. */
    private final byte[] out = new byte[16 * 1024];
    private final byte[] header = new byte[HEADER_BYTES];
    private int headerBytes;
    private boolean headerKnown;
    private int id;
    TcpConnection connection;
    long written;
    long received;
    boolean eof;
    private boolean shutdown;
    long mismatchAt = -1;
    CloseReason closed;

    private DemoStream(boolean client, int id, long seed, long bytes, Totals totals, long tamperAt) {
        this.client = client;
        this.id = id;
        this.seed = seed;
        this.bytes = bytes;
        this.totals = totals;
        this.tamperAt = tamperAt;
        this.headerKnown = client;
        if (client) {
            header[0] = (byte) (id >>> 24);
            header[1] = (byte) (id >>> 16);
            header[2] = (byte) (id >>> 8);
            header[3] = (byte) id;
        }
    }

    static DemoStream client(int id, long seed, long bytes, Totals totals, long tamperAt) {
        return new DemoStream(true, id, seed, bytes, totals, tamperAt);
    }

    static DemoStream server(long seed, long bytes, Totals totals) {
        return new DemoStream(false, -1, seed, bytes, totals, -1);
    }

    void attach(TcpConnection c) {
        connection = c;
        c.listener(this);
        totals.connected++;
        onReadable(c);
        onWritable(c);
    }

    int id() {
        return id;
    }

    boolean isClient() {
        return client;
    }

    /** Everything sent, everything expected arrived intact, end of stream seen, closed normally. */
    boolean complete() {
        return headerKnown && written == bytes && received == bytes && eof && mismatchAt < 0
                && closed == CloseReason.NORMAL;
    }

    /** Upload (client to server) is direction 0, download direction 1. */
    private long key(boolean upload) {
        return Pattern.mix(seed ^ Pattern.mix(2L * id + (upload ? 0 : 1) + 0x5EED));
    }

    @Override
    public void onConnected(TcpConnection c) {
        totals.connected++;
        onWritable(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        TcpState s = c.state();
        if (!s.canSend() || s == TcpState.SYN_SENT || s == TcpState.SYN_RECEIVED) {
            return;
        }
        if (client && headerBytes < HEADER_BYTES) {
            headerBytes += c.write(header, headerBytes, HEADER_BYTES - headerBytes);
            if (headerBytes < HEADER_BYTES) {
                return;
            }
        }
        if (!headerKnown || shutdown) {
            return;
        }
        long sendKey = key(client);
        while (written < bytes) {
            int n = (int) Math.min(out.length, Math.min(bytes - written, c.writableBytes()));
            if (n <= 0) {
                return;
            }
            Pattern.fill(sendKey, written, out, n);
            if (tamperAt >= written && tamperAt < written + n) {
                out[(int) (tamperAt - written)] ^= (byte) 0xFF;
            }
            int accepted = c.write(out, 0, n);
            written += accepted;
            if (accepted < n) {
                return;
            }
        }
        shutdown = true;
        c.shutdownOutput();
    }

    @Override
    public void onReadable(TcpConnection c) {
        while (true) {
            int n = c.read(in, 0, in.length);
            if (n < 0) {
                eof = true;
                return;
            }
            if (n == 0) {
                return;
            }
            int off = 0;
            if (!headerKnown) {
                int take = Math.min(n, HEADER_BYTES - headerBytes);
                System.arraycopy(in, 0, header, headerBytes, take);
                headerBytes += take;
                off = take;
                if (headerBytes == HEADER_BYTES) {
                    id = (header[0] & 0xFF) << 24 | (header[1] & 0xFF) << 16 | (header[2] & 0xFF) << 8
                            | (header[3] & 0xFF);
                    headerKnown = true;
                    onWritable(c);
                }
            }
            int len = n - off;
            if (len == 0) {
                continue;
            }
            long good = len;
            if (mismatchAt < 0) {
                if (received + len > bytes) {
                    mismatchAt = bytes; // more than the other end sent
                }
                long bad = Pattern.firstMismatch(key(!client), received, in, off, len);
                if (bad >= 0 && (mismatchAt < 0 || bad < mismatchAt)) {
                    mismatchAt = bad;
                }
                if (mismatchAt >= 0) {
                    good = mismatchAt - received;
                    if (totals.firstMismatch == null) {
                        totals.firstMismatch = this;
                    }
                }
                totals.verified += Math.max(0, good);
            }
            received += len;
        }
    }

    @Override
    public void onClosed(TcpConnection c, CloseReason reason) {
        closed = reason;
        totals.closed++;
        if (reason == CloseReason.NORMAL) {
            totals.closedNormally++;
        }
    }

    @Override
    public String toString() {
        return "connection " + id + " (" + (client ? "alice" : "bob") + "'s end: sent " + written + "/" + bytes
                + ", received " + received + "/" + bytes + (eof ? ", end of stream" : "")
                + (closed != null ? ", closed " + closed : "") + ")";
    }

    /** Seeded content computed per byte, so nothing needs storing; all static. */
    static final class Pattern {
        private Pattern() {
        }

        static void fill(long key, long index, byte[] dst, int len) {
            int i = 0;
            while (i < len) {
                long pos = index + i;
                long word = mix(key + (pos >>> 3));
                for (int b = (int) (pos & 7); b < 8 && i < len; b++, i++) {
                    dst[i] = (byte) (word >>> (b << 3));
                }
            }
        }

        /** The absolute offset of the first byte of {@code src[off..off+len)} that differs, or -1. */
        static long firstMismatch(long key, long index, byte[] src, int off, int len) {
            int i = 0;
            while (i < len) {
                long pos = index + i;
                long word = mix(key + (pos >>> 3));
                for (int b = (int) (pos & 7); b < 8 && i < len; b++, i++) {
                    if (src[off + i] != (byte) (word >>> (b << 3))) {
                        return index + i;
                    }
                }
            }
            return -1;
        }

        /** The SplitMix64 output function. */
        static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
            return z ^ (z >>> 31);
        }
    }
}
