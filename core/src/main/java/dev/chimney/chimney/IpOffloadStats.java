package dev.chimney.chimney;

/**
 * {@code IP_OFFLOAD_STATS} for one interface and IP version (spec §5.4.2): offloaded connections only. Counters are
 * unsigned 64-bit and wrap to zero (R-STAT-8).
 */
public record IpOffloadStats(long inReceives, long inOctets, long inDelivers, long outRequests, long outOctets,
        long inHeaderErrors, long inTruncatedPackets, long inDiscards, long outDiscards, long outNoRoutes) {
    public static final IpOffloadStats ZERO = new IpOffloadStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
