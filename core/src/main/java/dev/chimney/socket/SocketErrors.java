package dev.chimney.socket;

import dev.chimney.tcp.CloseReason;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.SocketException;

/** Turns an engine {@link CloseReason} into the exception an application expects from a socket. */
final class SocketErrors {
    private SocketErrors() {
    }

    static String endpoint(IpAddress address, int port) {
        return address.isIpv4() ? address + ":" + port : "[" + address + "]:" + port;
    }

    /**
     * The address of a remote endpoint given as a {@code java.net} socket address. This stack resolves no names,
     * so an unresolved address (made from a host name that was not looked up) is refused with a message that says
     * what to give instead, as is the wildcard address (nothing to connect to).
     */
    static IpAddress remoteOf(InetSocketAddress remote) {
        java.util.Objects.requireNonNull(remote, "remote (e.g. new InetSocketAddress(InetAddress.ofLiteral("
                + "\"10.0.0.2\"), 7), or host.socketAddress(7))");
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("remote " + remote + " is unresolved: this stack does no name "
                    + "lookups; give an IP address, e.g. new InetSocketAddress(InetAddress.ofLiteral(\"10.0.0.2\"), "
                    + remote.getPort() + ") or host.socketAddress(" + remote.getPort() + ")");
        }
        if (remote.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("remote " + remote + " is the wildcard address: connect to an "
                    + "address of the peer (e.g. peer.socketAddress(" + remote.getPort() + "))");
        }
        return IpAddress.of(remote.getAddress());
    }

    /** The local address of a {@code java.net} socket address to bind to: null (every address) for the wildcard. */
    static IpAddress localOf(InetSocketAddress local) {
        java.util.Objects.requireNonNull(local, "local (new InetSocketAddress(port) for every local address)");
        if (local.isUnresolved()) {
            throw new IllegalArgumentException("local address " + local + " is unresolved: this stack does no name "
                    + "lookups; give one of the host's IP addresses, or new InetSocketAddress(" + local.getPort()
                    + ") for all of them");
        }
        return local.getAddress().isAnyLocalAddress() ? null : IpAddress.of(local.getAddress());
    }

    /** {@code address}:{@code port} as a {@code java.net} socket address, or null when there is no address. */
    static InetSocketAddress socketAddress(IpAddress address, int port) {
        return address == null ? null : new InetSocketAddress(address.toInetAddress(), port);
    }

    /**
     * @param connecting true while the active open had not completed
     * @return the exception, or null for a graceful close or this application's own abort
     */
    static IOException of(CloseReason reason, boolean connecting, IpAddress remote, int remotePort) {
        String peer = endpoint(remote, remotePort);
        return switch (reason) {
            case NORMAL, ABORTED -> null;
            case REFUSED -> new ConnectException("connection refused by " + peer + " (RST: nothing listens there)");
            case RESET -> connecting
                    ? new ConnectException("connection to " + peer + " reset during the handshake")
                    : new SocketException("connection reset by peer " + peer);
            case TIMED_OUT -> connecting
                    ? new ConnectException("connection to " + peer + " timed out: no answer to SYN after the "
                            + "configured retries (TcpConfig.synRetries)")
                    : new SocketException("connection to " + peer + " timed out: the peer stopped acknowledging "
                            + "(retransmissions, zero-window probes or keepalive probes ran out: "
                            + "TcpConfig.maxRetransmissions, or the connection's MaxRT when set)");
            case UNREACHABLE -> new NoRouteToHostException("no route to host " + peer
                    + " (ICMP destination unreachable)");
        };
    }
}
