package dev.chimney.chimney;

/**
 * A target's statistics (the four OIDs of spec §5.4.1, §7.4), per IP version. The host merges them with its own.
 */
public record OffloadStatistics(IpOffloadStats ipv4, IpOffloadStats ipv6, TcpOffloadStats tcp4,
        TcpOffloadStats tcp6) {
    public static final OffloadStatistics ZERO = new OffloadStatistics(IpOffloadStats.ZERO, IpOffloadStats.ZERO,
            TcpOffloadStats.ZERO, TcpOffloadStats.ZERO);

    /** Which counters a reset (an OID set, spec §5.4.1) clears. */
    public enum Family { IPV4, IPV6, TCP4, TCP6 }
}
