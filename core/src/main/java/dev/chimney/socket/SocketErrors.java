package dev.chimney.socket;

import dev.chimney.tcp.CloseReason;
import dev.chimney.wire.IpAddress;
import java.io.IOException;
import java.net.ConnectException;
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
