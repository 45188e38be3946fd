package dev.chimney.tcp;

import java.io.ByteArrayOutputStream;

/** A test application: writes {@code source} as fast as the connection takes it, then shuts down; reads all. */
final class StreamApp implements TcpConnection.Listener {
    final byte[] source;
    final ByteArrayOutputStream received = new ByteArrayOutputStream();
    int written;
    /** While true, the app does not shut its side down after writing everything. */
    boolean holdShutdown;
    /** While true, the app does not read (its receive buffer fills and the window closes). */
    boolean holdReading;
    boolean eof;
    CloseReason closed;
    TcpConnection connection;
    private final byte[] buf = new byte[4096];

    StreamApp(byte[] source) {
        this.source = source;
    }

    void attach(TcpConnection c) {
        connection = c;
        c.listener(this);
        pump();
        drain();
    }

    void pump() {
        TcpConnection c = connection;
        if (c == null) {
            return;
        }
        while (written < source.length && c.writableBytes() > 0) {
            int n = c.write(source, written, source.length - written);
            if (n == 0) {
                break;
            }
            written += n;
        }
        if (!holdShutdown && written == source.length && c.state().canSend() && c.state() != TcpState.SYN_SENT) {
            c.shutdownOutput();
        }
    }

    void drain() {
        if (holdReading) {
            return;
        }
        while (true) {
            int n = connection.read(buf, 0, buf.length);
            if (n < 0) {
                eof = true;
                return;
            }
            if (n == 0) {
                return;
            }
            received.write(buf, 0, n);
        }
    }

    @Override
    public void onConnected(TcpConnection c) {
        connection = c;
        pump();
    }

    @Override
    public void onWritable(TcpConnection c) {
        pump();
    }

    @Override
    public void onReadable(TcpConnection c) {
        drain();
    }

    @Override
    public void onClosed(TcpConnection c, CloseReason reason) {
        closed = reason;
    }

    boolean done() {
        return eof && written == source.length && connection != null && connection.unacknowledgedBytes() == 0
                && (connection.state() == TcpState.CLOSED || connection.state() == TcpState.TIME_WAIT);
    }
}
