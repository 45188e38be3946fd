package dev.chimney.tcp;

import dev.chimney.wire.IpAddress;

/**
 * Where the engine's segments go: implemented by the IP layer over a reusable transmit buffer, and in tests by a
 * recorder. The segment (and its payload window) is valid only during the call; copy what you keep.
 */
public interface TcpOutput {

    /**
     * Transmits one segment.
     *
     * @param source our address
     * @param destination the peer's address
     * @param ipParams the connection's cached IP-level values (TTL, TOS, flow label, priority), or null for a
     *     segment sent on behalf of no connection (RST to a closed port) — use defaults
     */
    void transmit(IpAddress source, IpAddress destination, TcpSegment segment, TcpCached ipParams);

    /**
     * Largest TCP data the output can hand to a segmentation offload (TSO) in one super-segment towards
     * {@code destination}, or 0 when the interface has none (the default, and the virtual network). When it is
     * larger than the MSS the engine sends super-segments of up to this many data bytes, a whole number of MSS-sized
     * segments, with {@link TcpSegment#segmentBytes()} set to the MSS; the output must have them cut into exactly
     * those segments (Linux TSO/GSO semantics: options copied into every piece, FIN and PSH only on the last).
     * Queried when a connection is created.
     */
    default int segmentationOffloadBytes(IpAddress source, IpAddress destination) {
        return 0;
    }

    /**
     * A connection saw new data acknowledged: forward progress that proves the peer (its next hop) reachable
     * (RFC 4861 §7.3.1). Called at most once per {@link TcpConnection#REACHABILITY_CONFIRM_INTERVAL_NS} per
     * connection; the IP binding passes it to neighbor discovery.
     */
    default void forwardProgress(IpAddress source, IpAddress destination, long nowNs) {
    }

    /** Current path MTU towards {@code destination} (spec §2.4 PathMtu) for a new connection. */
    default int pathMtu(IpAddress source, IpAddress destination) {
        return 1500;
    }
}
