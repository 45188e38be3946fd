package dev.chimney.tcp;

import dev.chimney.wire.IpAddress;

/** Chooses initial sequence numbers (RFC 9293 §3.4.1, RFC 6528). */
@FunctionalInterface
public interface IsnSource {
    int isn(IpAddress local, int localPort, IpAddress remote, int remotePort, long nowNs);
}
