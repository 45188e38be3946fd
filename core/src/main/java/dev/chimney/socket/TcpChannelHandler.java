package dev.chimney.socket;

import java.io.IOException;

/**
 * Readiness callbacks of a {@link TcpChannel}. They run on the channel's event loop and must not block: read or
 * write what the channel takes now and return; the next callback comes when more can be done.
 */
public interface TcpChannelHandler {

    /** The handshake completed (active open), or the channel was accepted. Called once, first. */
    default void onConnected(TcpChannel channel) {
    }

    /** Bytes, or the end of the stream, can be read ({@link TcpChannel#read} returns non-zero). */
    default void onReadable(TcpChannel channel) {
    }

    /** Send-buffer space became free ({@link TcpChannel#writableBytes} is positive). */
    default void onWritable(TcpChannel channel) {
    }

    /**
     * The connection ended. Called once, last.
     *
     * @param error null after a graceful close or this application's own close/abort; otherwise what went wrong
     *     ({@link java.net.ConnectException}, {@link java.net.SocketTimeoutException}, reset, no route...)
     */
    default void onClosed(TcpChannel channel, IOException error) {
    }
}
