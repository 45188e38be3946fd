package dev.chimney.socket;

import dev.chimney.runtime.EventLoop;
import dev.chimney.tcp.TcpStack;

/**
 * What the socket layer runs on: a TCP engine, the event loop that owns it, and the choice of our address towards
 * a remote. A whole host stack ({@code dev.chimney.host.NetworkStack}) is one and hands out its socket layer with
 * {@link #sockets()}.
 */
public interface SocketHost extends SourceAddressSelector {

    /** The loop that owns the TCP engine (socket calls become commands on it). */
    EventLoop loop();

    /** The TCP engine. */
    TcpStack tcp();

    /**
     * The socket layer over this host. The default makes a new one on each call; a host that keeps one (as {@code
     * NetworkStack} does) returns it every time.
     */
    default SocketStack sockets() {
        return new SocketStack(loop(), tcp(), this);
    }
}
