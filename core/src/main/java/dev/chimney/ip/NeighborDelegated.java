package dev.chimney.ip;

/**
 * The delegated variable of a neighbor state object (chimney spec §2.3): owned by the offload target once
 * offloaded. The host supplies the initial value, equal to the host reachability delta at offload (spec §5.2.1).
 *
 * @param nicReachabilityDeltaNs now minus the time the target last saw forward progress, in ns
 */
public record NeighborDelegated(long nicReachabilityDeltaNs) {
}
