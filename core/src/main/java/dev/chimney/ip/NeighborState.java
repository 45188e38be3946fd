package dev.chimney.ip;

/**
 * Neighbor Unreachability Detection states (RFC 4861 §7.3.2), shared by NDP and ARP entries.
 */
public enum NeighborState {
    /** Address resolution in progress; the link-layer address is not known yet. Packets queue. */
    INCOMPLETE,
    /** Positive reachability confirmation received within the last ReachableTime. */
    REACHABLE,
    /** ReachableTime passed since the last confirmation; nothing is done until a packet is sent. */
    STALE,
    /** A packet was sent while STALE; waiting DELAY_FIRST_PROBE_TIME for an upper-layer confirmation. */
    DELAY,
    /** Sending unicast solicitations every RetransTimer to confirm reachability. */
    PROBE,
    /** Configured statically; never probed, aged or evicted (tests, fixed gateways). */
    PERMANENT;

    /** True when the entry holds a usable link-layer address. */
    public boolean hasLinkAddress() {
        return this != INCOMPLETE;
    }
}
