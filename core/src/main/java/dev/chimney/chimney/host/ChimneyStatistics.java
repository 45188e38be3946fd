package dev.chimney.chimney.host;

import dev.chimney.chimney.IpOffloadStats;
import dev.chimney.chimney.OffloadStatistics;
import dev.chimney.chimney.TcpOffloadStats;
import dev.chimney.ip.IpCounter;
import dev.chimney.ip.IpStack;
import dev.chimney.tcp.TcpCounter;
import dev.chimney.tcp.TcpStack;
import java.util.Objects;

/**
 * A host's TCP/IP statistics merged with its offload target's, as spec §5.4.4 asks ("the HS merges these numbers
 * with its own statistics for non-offloaded traffic"): {@link #host()} is what the host stack counted itself — every
 * segment its engine handled, which excludes the traffic of connections while they run on the target — and {@link
 * #target()} is the target's {@code IP_OFFLOAD_STATS} / {@code TCP_OFFLOAD_STATS} for offloaded connections only
 * (spec §5.4.2, §5.4.3), so the merged figures count every packet once. {@link OffloadStatistics#ZERO} when the host
 * has no target.
 *
 * <p>Where the two sides count differently the merged figure says so: the host keeps no per-family TCP counters (the
 * merged TCP figures add both families of the target), its engine counts a TSO super-segment as one segment where
 * the target counts each piece the link cuts it into, and it counts frames handed to the link rather than IP
 * datagrams (ARP and NDP included, a TSO super-frame once). Counters add as unsigned 64-bit values and wrap to zero
 * (R-STAT-8). Taken on the host's loop: {@link OffloadManager#queryStatistics} and {@code
 * NetworkStack.statistics}.
 *
 * @param host   the host stack's own figures when the target's answer arrived
 * @param target the target's statistics, both IP versions
 */
public record ChimneyStatistics(HostStatistics host, OffloadStatistics target) {

    public ChimneyStatistics {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(target, "target (OffloadStatistics.ZERO without a target)");
    }

    /**
     * What the host stack counted itself (never the target's traffic).
     *
     * @param ipv4InReceives        IPv4 datagrams the host's IP layer received (frames the target passed up included)
     * @param ipv6InReceives        IPv6 datagrams the host's IP layer received
     * @param outFrames             frames the host handed to its link (TSO super-frames counted once, ARP/NDP in)
     * @param tcpInSegments         segments the host's TCP engine received (tcpInSegs)
     * @param tcpOutSegments        segments it sent less those it sent again (tcpOutSegs, RFC 4022: retransmissions
     *                              excluded)
     * @param tcpRetransmitted      segments it sent again (tcpRetransSegs)
     * @param tcpOutResets          RSTs it sent (tcpOutRsts)
     * @param tcpEstablished        its connections now in ESTABLISHED or CLOSE_WAIT, offloaded ones not counted
     *                              (tcpCurrEstab)
     */
    public record HostStatistics(long ipv4InReceives, long ipv6InReceives, long outFrames, long tcpInSegments,
            long tcpOutSegments, long tcpRetransmitted, long tcpOutResets, long tcpEstablished) {

        /** The figures of a host stack now (call on its loop). */
        public static HostStatistics of(IpStack ip, TcpStack tcp) {
            long sent = tcp.counter(TcpCounter.SEGMENTS_OUT);
            long again = tcp.counter(TcpCounter.RETRANSMITTED_SEGMENTS);
            return new HostStatistics(ip.counters().get(IpCounter.IPV4_RECEIVED),
                    ip.counters().get(IpCounter.IPV6_RECEIVED),
                    ip.counters().get(IpCounter.FRAMES_SENT) + ip.counters().get(IpCounter.SEGMENTED_FRAMES_SENT),
                    tcp.counter(TcpCounter.SEGMENTS_IN), Math.max(0, sent - again), again,
                    tcp.counter(TcpCounter.RESETS_SENT), tcp.establishedCount());
        }
    }

    /** IPv4 datagrams received, on the host and on offloaded connections (ipInReceives). */
    public long ipv4InReceives() {
        return host.ipv4InReceives() + target.ipv4().inReceives();
    }

    /** IPv6 datagrams received, on the host and on offloaded connections. */
    public long ipv6InReceives() {
        return host.ipv6InReceives() + target.ipv6().inReceives();
    }

    /** What went out: the host's frames plus the datagrams the target sent for offloaded connections. */
    public long outPackets() {
        return host.outFrames() + target.ipv4().outRequests() + target.ipv6().outRequests();
    }

    /** TCP segments received, both IP versions (tcpInSegs). */
    public long tcpInSegments() {
        return host.tcpInSegments() + target.tcp4().inSegments() + target.tcp6().inSegments();
    }

    /** TCP segments sent, retransmissions excluded, both IP versions (tcpOutSegs). */
    public long tcpOutSegments() {
        return host.tcpOutSegments() + target.tcp4().outSegments() + target.tcp6().outSegments();
    }

    /** TCP segments sent again, both IP versions (tcpRetransSegs). */
    public long tcpRetransmittedSegments() {
        return host.tcpRetransmitted() + target.tcp4().retransmittedSegments()
                + target.tcp6().retransmittedSegments();
    }

    /** RSTs sent, both IP versions (tcpOutRsts). */
    public long tcpOutResets() {
        return host.tcpOutResets() + target.tcp4().outResets() + target.tcp6().outResets();
    }

    /** Connections now in ESTABLISHED or CLOSE_WAIT, on the host or on the target (tcpCurrEstab). */
    public long tcpCurrentlyEstablished() {
        return host.tcpEstablished() + target.tcp4().currentlyEstablished() + target.tcp6().currentlyEstablished();
    }

    /** The share of received TCP segments the target handled, 0..1 (0 when nothing was received). */
    public double targetShareOfTcpIn() {
        long total = tcpInSegments();
        long offloaded = target.tcp4().inSegments() + target.tcp6().inSegments();
        return total == 0 ? 0 : (double) offloaded / total;
    }

    /**
     * One line for logs and {@code chimney run}'s summary: the merged TCP figures, then the target's own per family
     * (only the families it saw traffic on).
     */
    public String summary() {
        StringBuilder sb = new StringBuilder("tcp in ").append(tcpInSegments()).append(" segments, out ")
                .append(tcpOutSegments()).append(", retransmitted ").append(tcpRetransmittedSegments())
                .append(", resets out ").append(tcpOutResets()).append(", established ")
                .append(tcpCurrentlyEstablished());
        appendFamily(sb, "ipv4", target.ipv4(), target.tcp4());
        appendFamily(sb, "ipv6", target.ipv6(), target.tcp6());
        return sb.toString();
    }

    private static void appendFamily(StringBuilder sb, String family, IpOffloadStats ip, TcpOffloadStats tcp) {
        if (ip.inReceives() == 0 && ip.outRequests() == 0 && tcp.inSegments() == 0) {
            return;
        }
        sb.append("; target ").append(family).append(": in ").append(tcp.inSegments()).append(" segments ")
                .append(Long.toUnsignedString(ip.inOctets())).append(" octets, out ").append(tcp.outSegments())
                .append(" segments ").append(Long.toUnsignedString(ip.outOctets())).append(" octets, retransmitted ")
                .append(tcp.retransmittedSegments()).append(", resets out ").append(tcp.outResets());
    }
}
