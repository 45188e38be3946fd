package dev.chimney.tcp;

import dev.chimney.wire.IpAddress;

/**
 * Everything needed to carry a live connection to another engine (spec §2.10's TCP node with its path identity):
 * the path's addresses and MTU, and the const, cached and delegated records. Produced by {@link
 * TcpConnection#export()}, consumed by {@link TcpConnection#importFrom}.
 *
 * @param localAddress path SourceAddress (spec §2.4, const)
 * @param remoteAddress path DestinationAddress (spec §2.4, const)
 * @param pathMtu path PathMtu (spec §2.4, cached)
 */
public record TcpSnapshot(IpAddress localAddress, IpAddress remoteAddress, int pathMtu, TcpConst constants,
        TcpCached cached, TcpDelegated delegated) {
}
