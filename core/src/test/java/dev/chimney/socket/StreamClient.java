package dev.chimney.socket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Test application on the loop: writes {@code source} as the channel takes it (then half-closes unless told not
 * to) and keeps everything it reads. Reading can be paused to create back-pressure.
 */
public final class StreamClient implements TcpChannelHandler {
    public final byte[] source;
    public final ByteArrayOutputStream received = new ByteArrayOutputStream();
    public int written;
    public boolean shutdownWhenWritten = true;
    public boolean readingPaused;
    public boolean connected;
    public boolean eof;
    public boolean closed;
    public IOException error;
    public TcpChannel channel;
    private final byte[] buf = new byte[8192];

    public StreamClient(byte[] source) {
        this.source = source;
    }

    @Override
    public void onConnected(TcpChannel ch) {
        channel = ch;
        connected = true;
        pump(ch);
    }

    @Override
    public void onWritable(TcpChannel ch) {
        pump(ch);
    }

    @Override
    public void onReadable(TcpChannel ch) {
        drain(ch);
    }

    @Override
    public void onClosed(TcpChannel ch, IOException e) {
        closed = true;
        error = e;
    }

    public void pump(TcpChannel ch) {
        while (written < source.length && !ch.isClosed()) {
            int n = ch.write(source, written, source.length - written);
            if (n == 0) {
                return;
            }
            written += n;
        }
        if (written == source.length && shutdownWhenWritten && !ch.isClosed()) {
            ch.shutdownOutput();
        }
    }

    public void drain(TcpChannel ch) {
        while (!readingPaused) {
            int n = ch.read(buf, 0, buf.length);
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

    /** Resumes reading (call on the loop). */
    public void resume() {
        readingPaused = false;
        drain(channel);
    }
}
