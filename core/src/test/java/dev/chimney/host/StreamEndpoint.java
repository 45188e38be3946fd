package dev.chimney.host;

import dev.chimney.tcp.CloseReason;
import dev.chimney.tcp.TcpConnection;
import dev.chimney.tcp.TcpState;

/**
 * One side of a test exchange. The client sends a 12-byte header (id, bytes it sends, bytes it wants back) and then
 * its pattern stream; the server answers with its own pattern stream of the requested size. Both sides send
 * everything, shut their output down, read to end of stream and check every byte against the pattern as it
 * arrives (no data is stored).
 */
final class StreamEndpoint implements TcpConnection.Listener {
    static final int HEADER_BYTES = 12;

    private final boolean client;
    private final byte[] buf = new byte[16 * 1024];
    /** Separate from {@link #buf}: reading may trigger writing (header complete), which must not clobber it. */
    private final byte[] out = new byte[16 * 1024];
    private final byte[] header = new byte[HEADER_BYTES];
    TcpConnection connection;
    int id;
    long sendBytes;
    long expectBytes;
    private int headerDone;
    long written;
    long received;
    boolean headerKnown;
    boolean eof;
    long mismatchAt = -1;
    CloseReason closed;
    String mismatchDetail = "";
    boolean sawConnected;

    /** Most bytes per write call (an application that writes in small pieces); default: as many as fit. */
    int maxWrite = Integer.MAX_VALUE;

    private StreamEndpoint(boolean client) {
        this.client = client;
    }

    static StreamEndpoint client(int id, long sendBytes, long expectBytes) {
        StreamEndpoint e = new StreamEndpoint(true);
        e.id = id;
        e.sendBytes = sendBytes;
        e.expectBytes = expectBytes;
        e.headerKnown = true;
        putInt(e.header, 0, id);
        putInt(e.header, 4, (int) sendBytes);
        putInt(e.header, 8, (int) expectBytes);
        return e;
    }

    static StreamEndpoint server() {
        return new StreamEndpoint(false);
    }

    void attach(TcpConnection c) {
        connection = c;
        c.listener(this);
        onReadable(c);
        onWritable(c);
    }

    private long sendKey() {
        return client ? 2L * id : 2L * id + 1;
    }

    private long receiveKey() {
        return client ? 2L * id + 1 : 2L * id;
    }

    /** True when everything was sent, everything expected arrived intact, and end of stream was seen. */
    boolean complete() {
        return headerKnown && written == sendBytes && received == expectBytes && eof && mismatchAt < 0;
    }

    @Override
    public void onConnected(TcpConnection c) {
        sawConnected = true;
        onWritable(c);
    }

    @Override
    public void onWritable(TcpConnection c) {
        if (!c.state().canSend() || c.state() == TcpState.SYN_SENT || c.state() == TcpState.SYN_RECEIVED) {
            return;
        }
        if (client && headerDone < HEADER_BYTES) {
            headerDone += c.write(header, headerDone, HEADER_BYTES - headerDone);
            if (headerDone < HEADER_BYTES) {
                return;
            }
        }
        if (!headerKnown) {
            return;
        }
        while (written < sendBytes) {
            int n = (int) Math.min(Math.min(out.length, maxWrite), Math.min(sendBytes - written, c.writableBytes()));
            if (n <= 0) {
                return;
            }
            Pattern.fill(sendKey(), written, out, 0, n);
            int accepted = c.write(out, 0, n);
            written += accepted;
            if (accepted < n) {
                return;
            }
        }
        c.shutdownOutput();
    }

    @Override
    public void onReadable(TcpConnection c) {
        while (true) {
            int n = c.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                return;
            }
            if (n == 0) {
                return;
            }
            int off = 0;
            if (!headerKnown) {
                int take = Math.min(n, HEADER_BYTES - headerDone);
                System.arraycopy(buf, 0, header, headerDone, take);
                headerDone += take;
                off = take;
                if (headerDone == HEADER_BYTES) {
                    id = getInt(header, 0);
                    expectBytes = getInt(header, 4) & 0xFFFF_FFFFL;
                    sendBytes = getInt(header, 8) & 0xFFFF_FFFFL;
                    headerKnown = true;
                    onWritable(c);
                }
            }
            int len = n - off;
            if (len > 0) {
                if (received + len > expectBytes) {
                    mismatchAt = mismatchAt < 0 ? expectBytes : mismatchAt; // more bytes than were sent
                }
                long bad = Pattern.firstMismatch(receiveKey(), received, buf, off, len);
                if (bad >= 0 && mismatchAt < 0) {
                    mismatchAt = bad;
                    int at = off + (int) (bad - received);
                    StringBuilder d = new StringBuilder(" chunk=" + len + " got:");
                    for (int i = at; i < Math.min(at + 8, off + len); i++) {
                        d.append(String.format(" %02x", buf[i]));
                    }
                    d.append(" want:");
                    for (long i = bad; i < bad + 8; i++) {
                        d.append(String.format(" %02x", Pattern.at(receiveKey(), i)));
                    }
                    mismatchDetail = d.toString();
                }
                received += len;
            }
        }
    }

    @Override
    public void onClosed(TcpConnection c, CloseReason reason) {
        closed = reason;
    }

    @Override
    public String toString() {
        return (client ? "client#" : "server#") + id + " " + (connection == null ? "-" : connection.state())
                + " sent " + written + "/" + sendBytes + " got " + received + "/" + expectBytes + (eof ? " eof" : "")
                + (mismatchAt >= 0 ? " MISMATCH@" + mismatchAt + mismatchDetail : "")
                + (closed != null ? " closed " + closed : "");
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }
}
