package dev.chimney.chimney.target;

import dev.chimney.chimney.IpOffloadStats;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.TcpOffloadStats;

/**
 * The target's statistics (spec §5.4): IP and TCP counters of offloaded-connection traffic only, kept separately for
 * IPv4 and IPv6 (index 0 and 1). Java longs wrap like the unsigned 64-bit counters they stand for (R-STAT-8).
 * Owned by the target loop.
 */
final class OffloadCounters {
    static final int IN_RECEIVES = 0;
    static final int IN_OCTETS = 1;
    static final int IN_DELIVERS = 2;
    static final int OUT_REQUESTS = 3;
    static final int OUT_OCTETS = 4;
    static final int IN_HEADER_ERRORS = 5;
    static final int IN_TRUNCATED = 6;
    static final int IN_DISCARDS = 7;
    static final int OUT_DISCARDS = 8;
    static final int OUT_NO_ROUTES = 9;

    static final int TCP_IN_SEGMENTS = 0;
    static final int TCP_OUT_SEGMENTS = 1;
    static final int TCP_RESET_ESTABLISHED = 2;
    static final int TCP_RETRANSMITTED = 3;
    static final int TCP_IN_ERRORS = 4;
    static final int TCP_OUT_RESETS = 5;

    private final long[][] ip = new long[2][10];
    private final long[][] tcp = new long[2][6];

    void ip(boolean v6, int counter) {
        ip[v6 ? 1 : 0][counter]++;
    }

    void ip(boolean v6, int counter, long amount) {
        ip[v6 ? 1 : 0][counter] += amount;
    }

    void tcp(boolean v6, int counter) {
        tcp[v6 ? 1 : 0][counter]++;
    }

    /** An OID set on one family (spec §5.4.1, R-STAT-2): that family's counters back to zero. */
    void reset(OffloadStatistics.Family family) {
        switch (family) {
            case IPV4 -> java.util.Arrays.fill(ip[0], 0);
            case IPV6 -> java.util.Arrays.fill(ip[1], 0);
            case TCP4 -> java.util.Arrays.fill(tcp[0], 0);
            case TCP6 -> java.util.Arrays.fill(tcp[1], 0);
        }
    }

    /** The four structures; {@code established4/6} is the CurrentlyEstablished gauge counted now. */
    OffloadStatistics snapshot(long established4, long established6) {
        return new OffloadStatistics(ipStats(0), ipStats(1), tcpStats(0, established4), tcpStats(1, established6));
    }

    private IpOffloadStats ipStats(int f) {
        long[] c = ip[f];
        return new IpOffloadStats(c[IN_RECEIVES], c[IN_OCTETS], c[IN_DELIVERS], c[OUT_REQUESTS], c[OUT_OCTETS],
                c[IN_HEADER_ERRORS], c[IN_TRUNCATED], c[IN_DISCARDS], c[OUT_DISCARDS], c[OUT_NO_ROUTES]);
    }

    private TcpOffloadStats tcpStats(int f, long established) {
        long[] c = tcp[f];
        return new TcpOffloadStats(c[TCP_IN_SEGMENTS], c[TCP_OUT_SEGMENTS], established, c[TCP_RESET_ESTABLISHED],
                c[TCP_RETRANSMITTED], c[TCP_IN_ERRORS], c[TCP_OUT_RESETS]);
    }
}
