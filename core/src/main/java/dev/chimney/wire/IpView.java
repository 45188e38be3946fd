package dev.chimney.wire;

import java.lang.foreign.MemorySegment;

/**
 * What the transport layer needs from either IP header after {@code check()}: where the upper-layer message is, which
 * protocol it is, and the pseudo-header sum for its checksum — all without allocating.
 */
public sealed interface IpView permits Ipv4View, Ipv6View {

    /** 4 or 6. */
    int version();

    MemorySegment segment();

    /** The upper-layer protocol (TCP 6, UDP 17, ICMP 1, ICMPv6 58, ...), after any IPv6 extension headers. */
    int upperProtocol();

    /** Absolute segment offset of the upper-layer message. */
    long upperOffset();

    /** Length of the upper-layer message in bytes (link-layer padding excluded). */
    int upperLength();

    /** The pseudo-header sum for an upper-layer checksum (RFC 9293 §3.1, RFC 8200 §8.1). */
    int pseudoHeaderSum(int protocol, int upperLength);

    IpAddress sourceAddress();

    IpAddress destinationAddress();
}
