package dev.chimney.ip;

import dev.chimney.wire.IpAddress;
import dev.chimney.wire.Ipv4Address;
import dev.chimney.wire.Ipv6Address;

/**
 * What a transport handler learns about a received IP packet: addresses, protocol, hop limit, traffic class and the
 * arrival interface. One mutable instance per stack is reused for every packet, so the hot path allocates nothing:
 * read it during the callback, copy what you keep. IPv4 addresses live in the low 32 bits of the {@code *Lo} words
 * with {@code *Hi} = 0.
 */
public final class IpPacketInfo {
    int version;
    long srcHi;
    long srcLo;
    long dstHi;
    long dstLo;
    int protocol;
    int hopLimit;
    int trafficClass;
    int interfaceIndex;
    boolean reassembled;
    boolean dstMulticast;
    int checksumState;
    int segmentBytes;

    /** 4 or 6. */
    public int version() {
        return version;
    }

    public boolean isIpv4() {
        return version == 4;
    }

    public long sourceHi() {
        return srcHi;
    }

    public long sourceLo() {
        return srcLo;
    }

    public long destinationHi() {
        return dstHi;
    }

    public long destinationLo() {
        return dstLo;
    }

    /** IPv4 source as raw bits. */
    public int sourceV4() {
        return (int) srcLo;
    }

    /** IPv4 destination as raw bits. */
    public int destinationV4() {
        return (int) dstLo;
    }

    /** The upper-layer protocol (after IPv6 extension headers). */
    public int protocol() {
        return protocol;
    }

    /** TTL (IPv4) or hop limit (IPv6) as received. */
    public int hopLimit() {
        return hopLimit;
    }

    /** IPv4 TOS octet or IPv6 traffic class (DSCP and ECN). */
    public int trafficClass() {
        return trafficClass;
    }

    public int interfaceIndex() {
        return interfaceIndex;
    }

    /** True when the packet was reassembled from fragments. */
    public boolean reassembled() {
        return reassembled;
    }

    /** True when the destination was a broadcast or multicast address (no unicast reply semantics). */
    public boolean destinationMulticast() {
        return dstMulticast;
    }

    /**
     * What the port said about the transport checksum ({@link dev.chimney.link.NetworkPort#RX_CHECKSUM_UNKNOWN},
     * {@code _VALID}, {@code _PARTIAL}); always UNKNOWN for a reassembled packet.
     */
    public int checksumState() {
        return checksumState;
    }

    /**
     * True when the transport must not verify its checksum: the port verified it, or the sender left it partial
     * for an offload that never ran (a local kernel through a virtio-net TAP). Verifying a partial checksum would
     * drop every segment.
     */
    public boolean transportChecksumTrusted() {
        return checksumState != dev.chimney.link.NetworkPort.RX_CHECKSUM_UNKNOWN;
    }

    /**
     * For a GSO super-frame (one TCP segment standing for several, larger than the MTU), the payload bytes per
     * segment the sender used (its MSS); 0 for an ordinary packet.
     */
    public int segmentBytes() {
        return segmentBytes;
    }

    /** The source as a value object (allocates; for control paths and tests). */
    public IpAddress sourceAddress() {
        return version == 4 ? new Ipv4Address((int) srcLo) : new Ipv6Address(srcHi, srcLo);
    }

    /** The destination as a value object (allocates; for control paths and tests). */
    public IpAddress destinationAddress() {
        return version == 4 ? new Ipv4Address((int) dstLo) : new Ipv6Address(dstHi, dstLo);
    }

    void setV4(int src, int dst, int proto, int ttl, int tos, int iface) {
        version = 4;
        srcHi = 0;
        srcLo = src & 0xFFFF_FFFFL;
        dstHi = 0;
        dstLo = dst & 0xFFFF_FFFFL;
        protocol = proto;
        hopLimit = ttl;
        trafficClass = tos;
        interfaceIndex = iface;
        reassembled = false;
        dstMulticast = false;
        checksumState = 0;
        segmentBytes = 0;
    }

    void setV6(long sHi, long sLo, long dHi, long dLo, int proto, int hops, int tc, int iface) {
        version = 6;
        srcHi = sHi;
        srcLo = sLo;
        dstHi = dHi;
        dstLo = dLo;
        protocol = proto;
        hopLimit = hops;
        trafficClass = tc;
        interfaceIndex = iface;
        reassembled = false;
        dstMulticast = false;
        checksumState = 0;
        segmentBytes = 0;
    }

    @Override
    public String toString() {
        return "IPv" + version + " " + sourceAddress() + " -> " + destinationAddress() + " proto " + protocol
                + " hops " + hopLimit;
    }
}
