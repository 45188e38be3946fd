package dev.chimney.chimney;

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

    /** Nanoseconds per host tick. */
    public long tickNs() {
        return 1_000_000_000L / ticksPerSecond;
    }
}
