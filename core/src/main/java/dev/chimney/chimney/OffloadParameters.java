package dev.chimney.chimney;

import dev.chimney.tcp.TcpConfig;

/**
 * The parameters the host sets on a target ({@code NDIS_TCP_CONNECTION_OFFLOAD_PARAMETERS}, spec §7.2, §7.6). The
 * target uses these, never built-in constants (R-CAP-2). Times are host ticks.
 *
 * @param ticksPerSecond                      10, 100 or 1000
 * @param tcpAckFrequency                     segments received before an ACK must go out
 * @param tcpDelayedAckTicks                  delayed-ACK wait
 * @param tcpMaximumRetransmissions           retransmissions of one segment before Retrieve/TimeoutExpiration
 * @param tcpDoubtReachabilityRetransmissions retransmissions after which reachability is in doubt
 * @param tcpSwsPreventionTicks               SWS timers
 * @param tcpDuplicateAckThreshold            duplicate ACKs that trigger fast retransmit
 * @param tcpPushTicks                        push timer (Windows default 500 ms)
 * @param nceStaleTicks                       neighbor staleness for NeighborReachabilityQuery (spec §5.2)
 */
public record OffloadParameters(int ticksPerSecond, int tcpAckFrequency, int tcpDelayedAckTicks,
        int tcpMaximumRetransmissions, int tcpDoubtReachabilityRetransmissions, int tcpSwsPreventionTicks,
        int tcpDuplicateAckThreshold, int tcpPushTicks, int nceStaleTicks) {

    /** Spec §7.6 defaults and its RFC-typical choices for the values the docs leave open; 1 tick = 1 ms. */
    public static final OffloadParameters DEFAULTS = new OffloadParameters(1000, 2, 200, 5, 3, 1000, 3, 500, 30_000);

    public OffloadParameters {
        if (ticksPerSecond != 10 && ticksPerSecond != 100 && ticksPerSecond != 1000) {
            throw new IllegalArgumentException("TicksPerSecond must be 10, 100 or 1000 (spec §7.2), got "
                    + ticksPerSecond);
        }
        if (tcpAckFrequency < 1 || tcpDelayedAckTicks < 0 || tcpMaximumRetransmissions < 1
                || tcpDuplicateAckThreshold < 1 || tcpPushTicks < 0 || nceStaleTicks < 0 || tcpSwsPreventionTicks < 0
                || tcpDoubtReachabilityRetransmissions < 0) {
            throw new IllegalArgumentException("bad offload parameters: " + this);
        }
    }

    /**
     * The parameters that make a target's engine run a connection as the host's own TCP would (spec §7.2: the host
     * passes its own values): its tick rate, delayed-ACK time (at least one tick) and retransmission limit; the ACK
     * frequency (2) and duplicate-ACK threshold (3) are the engine's fixed RFC 5681 values; the rest as {@link
     * #DEFAULTS}.
     */
    public static OffloadParameters matching(TcpConfig tcp) {
        int ticksPerSecond = tcp.ticksPerSecond();
        long tickNs = 1_000_000_000L / ticksPerSecond;
        int delayedAckTicks = (int) Math.max(1, (tcp.delayedAckNs() + tickNs - 1) / tickNs);
        OffloadParameters d = DEFAULTS;
        return new OffloadParameters(ticksPerSecond, 2, delayedAckTicks, tcp.maxRetransmissions(),
                d.tcpDoubtReachabilityRetransmissions(), d.tcpSwsPreventionTicks() * ticksPerSecond / 1000, 3,
                d.tcpPushTicks() * ticksPerSecond / 1000, d.nceStaleTicks() / 1000 * ticksPerSecond);
    }

    /** Nanoseconds per host tick. */
    public long tickNs() {
        return 1_000_000_000L / ticksPerSecond;
    }
}
