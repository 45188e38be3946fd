package dev.chimney.ip;

import dev.chimney.wire.MacAddress;

/**
 * The cached variables of a neighbor state object (chimney spec §2.3): only the host stack changes them.
 *
 * @param dlDestinationAddress    the neighbor's MAC (the next hop's link-layer address), or null while unresolved
 * @param hostReachabilityDeltaNs now minus the time the host last confirmed forward reachability (spec §5.2,
 *                                RFC 4861 §7.3.1), in ns; the chimney layer scales it to its tick unit
 */
public record NeighborCached(MacAddress dlDestinationAddress, long hostReachabilityDeltaNs) {
}
