package dev.chimney.chimney;

/**
 * {@code TCP_OFFLOAD_STATS} for one interface and IP version (spec §5.4.3): offloaded connections only.
 *
 * @param outSegments           segments sent, excluding those carrying only retransmitted bytes (R-STAT-3)
 * @param currentlyEstablished  connections now in ESTABLISHED or CLOSE_WAIT (a gauge, R-STAT-4)
 * @param retransmittedSegments segments with at least one previously sent byte
 */
public record TcpOffloadStats(long inSegments, long outSegments, long currentlyEstablished, long resetEstablished,
        long retransmittedSegments, long inErrors, long outResets) {
    public static final TcpOffloadStats ZERO = new TcpOffloadStats(0, 0, 0, 0, 0, 0, 0);
}
